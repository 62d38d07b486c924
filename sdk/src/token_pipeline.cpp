#include <vovrest/detail/token_pipeline.hpp>
#include <vovrest/detail/waiter_queue.hpp>
#include <vovrest/detail/wire_format.hpp>
#include <vovrest/error.hpp>
#include <vovrest/password_provider.hpp>

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <array>
#include <atomic>
#include <cstring>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <vector>

namespace vovrest::detail {

namespace asio = boost::asio;

namespace {

std::int64_t to_ns(steady_time t) noexcept
{
    if (t == steady_time::max())
        return std::numeric_limits<std::int64_t>::max();
    if (t == steady_time::min())
        return std::numeric_limits<std::int64_t>::min();
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

inline void cpu_relax() noexcept
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

using waiters_type = waiter_queue<std::monostate, boost::system::error_code, token_ticket, diagnostics>;

// Waiters taken out of the queue under the mutex, completed (posted) after it is released.
struct completions
{
    waiters_type waiters;
    boost::system::error_code ec;
    token_ticket ticket;
    diagnostics diag;
};

// A token type or token that could add a header of its own, or make a terminal misbehave.
bool has_control_characters(std::string_view text) noexcept
{
    for (const char ch : text)
    {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F)
            return true;
    }
    return false;
}

}  // namespace

class token_pipeline::impl : public std::enable_shared_from_this<impl>
{
public:
    static constexpr std::size_t fast_words = 1024;  // 8 KiB of header value on the fast path
    static constexpr std::size_t fast_capacity = fast_words * sizeof(std::uint64_t);

    impl(asio::any_io_executor ex, const token_params& params, std::unique_ptr<token_source> source,
         session_observer& observer, token_pipeline_hooks hooks)
        : params_(params),
          hooks_(std::move(hooks)),
          machine_(params, std::move(hooks_.jitter)),
          ex_(std::move(ex)),
          strand_(asio::make_strand(ex_)),
          backoff_timer_(strand_),
          fetch_timer_(strand_),
          source_(std::move(source)),
          observer_(observer)
    {}

    // ---- fast path (any thread, no lock) ----

    bool try_acquire(token_ticket& ticket) noexcept
    {
        const std::int64_t now = to_ns(hooks_.steady_now());
        for (int round = 0; round < 64; ++round)
        {
            const std::uint64_t seq1 = seq_.load(std::memory_order_acquire);
            if (seq1 & 1u)
            {
                cpu_relax();
                continue;
            }
            const std::uint64_t generation = generation_.load(std::memory_order_relaxed);
            const std::int64_t hard = hard_ns_.load(std::memory_order_relaxed);
            const std::size_t length = length_.load(std::memory_order_relaxed);
            if (generation == 0 || now >= hard)
                return false;  // perhaps a torn read: the slow path decides properly
            if (length > fast_capacity)
                return try_acquire_long(ticket);

            std::string& out = ticket.authorization;
            if (out.capacity() < length)
            {
                try
                {
                    out.reserve(length);
                }
                catch (...)
                {
                    return false;
                }
            }
            out.resize(length);  // within capacity: no allocation
            char* dst = out.data();
            const std::size_t full = length / sizeof(std::uint64_t);
            for (std::size_t i = 0; i < full; ++i)
            {
                const std::uint64_t word = words_[i].load(std::memory_order_relaxed);
                std::memcpy(dst + i * sizeof word, &word, sizeof word);
            }
            if (const std::size_t rest = length % sizeof(std::uint64_t); rest != 0)
            {
                const std::uint64_t word = words_[full].load(std::memory_order_relaxed);
                std::memcpy(dst + full * sizeof word, &word, rest);
            }
            std::atomic_thread_fence(std::memory_order_acquire);
            if (seq_.load(std::memory_order_relaxed) != seq1)
                continue;  // a writer came by: read again
            ticket.generation = generation;
            if (now >= kick_ns_.load(std::memory_order_relaxed))
                kick();
            return true;
        }
        return false;
    }

    bool has_token() const noexcept { return generation_.load(std::memory_order_relaxed) != 0; }

    bool usable_now() const noexcept
    {
        return generation_.load(std::memory_order_relaxed) != 0
               && to_ns(hooks_.steady_now()) < hard_ns_.load(std::memory_order_relaxed);
    }

    // ---- slow path ----

    void start_acquire(const asio::any_io_executor& resume_on, token_acquire_handler handler)
    {
        // Tracked: the caller's context does not run out of work while it waits.
        auto ex = asio::prefer(resume_on, asio::execution::outstanding_work.tracked);
        std::optional<waiters_type::waiter> immediate;
        boost::system::error_code immediate_ec;
        diagnostics immediate_diag;
        token_ticket ticket;
        bool added = false;
        step([&](token_actions& actions) {
            acquire_decision decision = machine_.acquire(hooks_.steady_now(), actions);
            switch (decision.status)
            {
            case acquire_status::ready:
                ticket.generation = machine_.token()->generation;
                ticket.authorization = machine_.token()->authorization;
                immediate.emplace(waiters_type::waiter{std::move(ex), std::move(handler), {}});
                break;
            case acquire_status::failed:
                immediate_ec = decision.ec;
                immediate_diag = std::move(decision.diag);
                immediate.emplace(waiters_type::waiter{std::move(ex), std::move(handler), {}});
                break;
            case acquire_status::wait:
                waiters_.push(std::move(ex), std::move(handler), {}, false,
                              [weak = weak_from_this()](waiters_type::key_type key, asio::cancellation_type type) {
                                  constexpr auto handled = asio::cancellation_type::terminal
                                                           | asio::cancellation_type::partial
                                                           | asio::cancellation_type::total;
                                  if ((type & handled) == asio::cancellation_type::none)
                                      return;
                                  if (auto self = weak.lock())
                                      self->cancel_waiter(key);
                              });
                observer_.waiters_now.fetch_add(1, std::memory_order_relaxed);
                added = true;
                break;
            }
        });
        if (added)
        {
            session_observer::bump(observer_.waiters);
            observer_.emit(event_kind::waiter_added, generation_.load(std::memory_order_relaxed));
        }
        if (immediate)
            waiters_type::complete(std::move(*immediate), immediate_ec, std::move(ticket), std::move(immediate_diag));
    }

    void on_unauthorized(std::uint64_t generation, std::string_view server_text)
    {
        std::string refused;  // the current token's header value, when it is the one refused
        step(
            [&](token_actions& actions) {
                if (const installed_token* current = machine_.token(); current && current->generation == generation)
                    refused = current->authorization;
                machine_.unauthorized(hooks_.steady_now(), generation, server_text, actions);
            },
            [&] {
                if (!refused.empty())
                {
                    source_->on_rejected(refused);
                    wipe(refused);
                }
            });
    }

    void accepted(std::uint64_t generation) noexcept
    {
        // Once per generation takes the lock; every later answer is one relaxed load.
        std::uint64_t known = accepted_.load(std::memory_order_relaxed);
        while (known < generation)
        {
            if (accepted_.compare_exchange_weak(known, generation, std::memory_order_relaxed))
            {
                std::lock_guard lock(mutex_);
                machine_.accepted(generation);
                return;
            }
        }
    }

    void set_token(std::string_view token_type, std::string_view access_token)
    {
        if (access_token.empty() || has_control_characters(token_type) || has_control_characters(access_token))
            throw error_with_diagnostics(error::invalid_argument,
                                         client_failure("set_token: the token is empty or holds a control character"));
        step([&](token_actions& actions) {
            machine_.set_token(hooks_.steady_now(), hooks_.wall_now(), token_type, access_token, actions);
        });
    }

    std::optional<std::string> current_authorization() const
    {
        std::lock_guard lock(mutex_);
        if (const installed_token* token = machine_.token())
            return token->authorization;
        return std::nullopt;
    }

    void shutdown()
    {
        step([&](token_actions& actions) { machine_.shutdown(actions); });
    }

private:
    void cancel_waiter(waiters_type::key_type key)
    {
        std::optional<waiters_type::waiter> cancelled;
        {
            std::lock_guard lock(mutex_);
            cancelled = waiters_.take(key);
            if (!cancelled)
                return;  // already completed
            observer_.waiters_now.fetch_sub(1, std::memory_order_relaxed);
        }
        waiters_type::complete(std::move(*cancelled), boost::system::error_code(asio::error::operation_aborted),
                               token_ticket{}, diagnostics{});
    }

    // Feeds one input to the machine under the mutex, applies what must happen under it
    // (publishing, taking the waiters out), then carries out the rest without the lock.
    template <class Input>
    void step(Input&& input)
    {
        step(std::forward<Input>(input), [] {});
    }
    template <class Input, class BeforePerform>
    void step(Input&& input, BeforePerform&& before_perform)
    {
        token_actions actions;
        completions done;
        {
            std::lock_guard lock(mutex_);
            input(actions);
            apply_locked(actions, done);
        }
        before_perform();
        perform(actions, done);
    }

    void apply_locked(const token_actions& actions, completions& done)
    {
        if (actions.publish)
            publish_locked();
        kick_ns_.store(to_ns(machine_.kick_time()), std::memory_order_relaxed);
        if (actions.waiters == waiters_outcome::none || waiters_.empty())
            return;
        done.waiters = waiters_.take_all();
        observer_.waiters_now.fetch_sub(done.waiters.size(), std::memory_order_relaxed);
        if (actions.waiters == waiters_outcome::release && machine_.token() != nullptr)
        {
            done.ticket.generation = machine_.token()->generation;
            done.ticket.authorization = machine_.token()->authorization;
        }
        else
        {
            // Each waiter gets the failure's own diagnostics with its completion.
            done.ec = actions.ec ? actions.ec : make_error_code(error::session_closed);
            done.diag = actions.diag;
        }
    }

    // Writer side of the seqlock; called under mutex_, so writers never overlap.
    void publish_locked()
    {
        const installed_token* token = machine_.token();
        const std::uint64_t seq = seq_.load(std::memory_order_relaxed);
        seq_.store(seq + 1, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_release);
        if (token == nullptr)
        {
            generation_.store(0, std::memory_order_relaxed);
            hard_ns_.store(std::numeric_limits<std::int64_t>::min(), std::memory_order_relaxed);
            length_.store(0, std::memory_order_relaxed);
        }
        else
        {
            const std::string& value = token->authorization;
            generation_.store(token->generation, std::memory_order_relaxed);
            hard_ns_.store(to_ns(token->hard_at), std::memory_order_relaxed);
            length_.store(value.size(), std::memory_order_relaxed);
            if (value.size() <= fast_capacity)
            {
                for (std::size_t i = 0, off = 0; off < value.size(); ++i, off += sizeof(std::uint64_t))
                {
                    std::uint64_t word = 0;
                    std::memcpy(&word, value.data() + off, std::min(sizeof word, value.size() - off));
                    words_[i].store(word, std::memory_order_relaxed);
                }
            }
        }
        seq_.store(seq + 2, std::memory_order_release);
    }

    bool try_acquire_long(token_ticket& ticket) noexcept
    {
        try
        {
            std::lock_guard lock(mutex_);
            const steady_time now = hooks_.steady_now();
            if (!machine_.usable(now))
                return false;
            ticket.generation = machine_.token()->generation;
            ticket.authorization = machine_.token()->authorization;
            if (now >= machine_.kick_time())
                kick();
            return true;
        }
        catch (...)
        {
            return false;
        }
    }

    // Soft window seen on the fast path: one flag decides who posts the kick.
    void kick() noexcept
    {
        if (kick_pending_.load(std::memory_order_relaxed) || kick_pending_.exchange(true, std::memory_order_acq_rel))
            return;
        try
        {
            asio::post(strand_, [self = shared_from_this()] {
                self->step([&](token_actions& actions) {
                    self->kick_pending_.store(false, std::memory_order_relaxed);
                    self->machine_.soft_kick(self->hooks_.steady_now(), actions);
                });
            });
        }
        catch (...)
        {
            kick_pending_.store(false, std::memory_order_relaxed);
        }
    }

    void perform(const token_actions& actions, completions& done)
    {
        switch (actions.started)
        {
        case renewal_reason::none: break;
        case renewal_reason::forced: session_observer::bump(observer_.renewals_forced); break;
        case renewal_reason::proactive: session_observer::bump(observer_.renewals_proactive); break;
        case renewal_reason::on_401: session_observer::bump(observer_.renewals_on_401); break;
        }
        if (actions.unauthorized_renewal)
            observer_.emit(event_kind::unauthorized_renewal, actions.unauthorized_generation);
        switch (actions.fetched)
        {
        case fetch_outcome::none: break;
        case fetch_outcome::succeeded:
            observer_.emit(event_kind::renewal_succeeded, generation_.load(std::memory_order_relaxed));
            break;
        case fetch_outcome::retry:
        case fetch_outcome::failed:
            session_observer::bump(observer_.renewal_failures);
            observer_.emit(session_event{event_kind::renewal_failed, actions.ec,
                                         observer_.waiters_now.load(std::memory_order_relaxed),
                                         generation_.load(std::memory_order_relaxed),
                                         actions.fetched == fetch_outcome::retry, actions.diag.server_message});
            break;
        }

        done.waiters.complete_all(done.ec, done.ticket, done.diag);

        if (actions.fetch || actions.backoff || actions.cancel_io)
        {
            asio::dispatch(strand_, [self = shared_from_this(), fetch = actions.fetch, backoff = actions.backoff,
                                     cancel = actions.cancel_io, timeout = actions.fetch_timeout] {
                self->do_io(fetch, backoff, cancel, timeout);
            });
        }
    }

    // ---- I/O, on the strand ----

    void do_io(bool fetch, std::optional<std::chrono::steady_clock::duration> backoff, bool cancel,
               std::chrono::steady_clock::duration fetch_timeout)
    {
        if (cancel)
        {
            backoff_timer_.cancel();
            fetch_timer_.cancel();
            if (fetch_in_flight_)
                fetch_signal_.emit(asio::cancellation_type::terminal);
            return;
        }
        {
            std::lock_guard lock(mutex_);
            if (machine_.closed())
                return;
        }
        if (backoff)
        {
            backoff_timer_.expires_after(*backoff);
            backoff_timer_.async_wait(
                asio::bind_executor(strand_, [self = shared_from_this()](boost::system::error_code ec) {
                    if (ec)
                        return;
                    self->step([&](token_actions& actions) {
                        self->machine_.backoff_elapsed(self->hooks_.steady_now(), actions);
                    });
                }));
        }
        if (fetch)
            start_fetch(fetch_timeout);
    }

    void start_fetch(std::chrono::steady_clock::duration timeout)
    {
        if (fetch_in_flight_)
            return;  // cannot happen: the machine starts one fetch at a time
        fetch_in_flight_ = true;
        fetch_timed_out_ = false;
        const std::uint64_t id = ++fetch_id_;
        session_observer::bump(observer_.token_requests);
        observer_.emit(event_kind::renewal_started, generation_.load(std::memory_order_relaxed));

        fetch_timer_.expires_after(timeout);
        fetch_timer_.async_wait(
            asio::bind_executor(strand_, [self = shared_from_this(), id](boost::system::error_code ec) {
                if (ec || !self->fetch_in_flight_ || self->fetch_id_ != id)
                    return;
                self->fetch_timed_out_ = true;
                self->fetch_signal_.emit(asio::cancellation_type::terminal);
            }));

        auto self = shared_from_this();
        try
        {
            source_->async_fetch(token_fetch_handler(asio::bind_cancellation_slot(
                fetch_signal_.slot(), asio::bind_executor(strand_, [self, id](token_fetch_result result) mutable {
                    self->on_fetch_done(id, std::move(result));
                }))));
        }
        catch (const std::exception&)
        {
            token_fetch_result result;
            result.ec = error::connection_failed;
            result.diag.client_message = "the token request could not be started";
            asio::post(strand_, [self, id, result = std::move(result)]() mutable {
                self->on_fetch_done(id, std::move(result));
            });
        }
    }

    void on_fetch_done(std::uint64_t id, token_fetch_result result)
    {
        if (!strand_.running_in_this_thread())
        {
            // A source that ignored the handler's executor: hop onto the strand.
            asio::post(strand_, [self = shared_from_this(), id, result = std::move(result)]() mutable {
                self->on_fetch_done(id, std::move(result));
            });
            return;
        }
        if (!fetch_in_flight_ || id != fetch_id_)
            return;
        fetch_in_flight_ = false;
        fetch_timer_.cancel();
        if (result.from_cache)
            session_observer::bump(observer_.token_cache_hits);
        if (result.ec && fetch_timed_out_)
        {
            result.ec = error::timeout;
            result.diag.client_message = "the token request took longer than its deadline (token_params::"
                                         "renewal_timeout, renewal_deadline)";
        }
        step([&](token_actions& actions) {
            machine_.fetch_completed(hooks_.steady_now(), hooks_.wall_now(), result, actions);
        });
    }

    const token_params params_;
    token_pipeline_hooks hooks_;

    // Fast-path view, written under mutex_ by publish_locked(), read by anyone.
    alignas(64) std::atomic<std::uint64_t> seq_{0};
    std::atomic<std::uint64_t> generation_{0};  // 0: no usable token
    std::atomic<std::int64_t> hard_ns_{std::numeric_limits<std::int64_t>::min()};
    std::atomic<std::size_t> length_{0};
    std::atomic<std::int64_t> kick_ns_{std::numeric_limits<std::int64_t>::max()};
    alignas(64) std::atomic<bool> kick_pending_{false};
    alignas(64) std::array<std::atomic<std::uint64_t>, fast_words> words_{};

    // Slow path, under mutex_.
    mutable std::mutex mutex_;
    token_state_machine machine_;
    waiters_type waiters_;
    std::atomic<std::uint64_t> accepted_{0};  // the newest generation the server accepted

    // I/O, on strand_ only.
    asio::any_io_executor ex_;
    asio::strand<asio::any_io_executor> strand_;
    asio::steady_timer backoff_timer_;
    asio::steady_timer fetch_timer_;
    asio::cancellation_signal fetch_signal_;
    bool fetch_in_flight_ = false;
    bool fetch_timed_out_ = false;
    std::uint64_t fetch_id_ = 0;
    std::unique_ptr<token_source> source_;
    session_observer& observer_;
};

token_pipeline::token_pipeline(asio::any_io_executor ex, const token_params& params,
                               std::unique_ptr<token_source> source, session_observer& observer)
    : token_pipeline(std::move(ex), params, std::move(source), observer, token_pipeline_hooks{})
{}

token_pipeline::token_pipeline(asio::any_io_executor ex, const token_params& params,
                               std::unique_ptr<token_source> source, session_observer& observer,
                               token_pipeline_hooks hooks)
    : impl_(std::make_shared<impl>(std::move(ex), params, std::move(source), observer, std::move(hooks)))
{}

token_pipeline::~token_pipeline()
{
    impl_->shutdown();
}

bool token_pipeline::try_acquire(token_ticket& ticket) noexcept
{
    return impl_->try_acquire(ticket);
}

bool token_pipeline::has_token() const noexcept
{
    return impl_->has_token();
}

bool token_pipeline::usable_now() const noexcept
{
    return impl_->usable_now();
}

void token_pipeline::start_acquire(const asio::any_io_executor& resume_on, token_acquire_handler handler)
{
    impl_->start_acquire(resume_on, std::move(handler));
}

void token_pipeline::on_unauthorized(std::uint64_t generation, std::string_view server_text)
{
    impl_->on_unauthorized(generation, server_text);
}

void token_pipeline::accepted(std::uint64_t generation) noexcept
{
    impl_->accepted(generation);
}

void token_pipeline::set_token(std::string_view token_type, std::string_view access_token)
{
    impl_->set_token(token_type, access_token);
}

std::optional<std::string> token_pipeline::current_authorization() const
{
    return impl_->current_authorization();
}

void token_pipeline::shutdown()
{
    impl_->shutdown();
}

}  // namespace vovrest::detail
