#include <vovrest/detail/caching_token_source.hpp>
#include <vovrest/detail/token_cache_store.hpp>
#include <vovrest/password_provider.hpp>
#include <vovrest/session_params.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <mutex>
#include <set>

namespace vovrest::detail {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// What every fetch shares: the store, the real source, and what this process knows of tokens.
struct caching_token_source::state
{
    state(asio::any_io_executor executor, std::unique_ptr<token_source> source, token_cache_params cache_params,
          const token_params& token_rules, const base_url& url, std::string username)
        : ex(std::move(executor)),
          strand(asio::make_strand(ex)),
          inner(std::move(source)),
          cache(std::move(cache_params)),
          token(token_rules),
          store(cache.directory, url.to_string(), username),
          url_text(url.to_string()),
          user(std::move(username))
    {}

    ~state()
    {
        wipe(held);
        wipe(rejected);
    }

    // Tells the user once per reason why the cache is not used.
    void report(const std::string& why)
    {
        {
            std::lock_guard lock(mutex);
            if (!reported.insert(why).second)
                return;
        }
        if (cache.on_refused)
            cache.on_refused(why);
    }

    bool refused() const
    {
        std::lock_guard lock(mutex);
        return file_refused || !store.ok();
    }

    // The cached token, when the token rules allow its use now and it is neither the one this
    // process is renewing nor one the server refused.
    std::optional<token_grant> cached_grant()
    {
        if (refused())
            return std::nullopt;
        cached_token cached;
        std::string why;
        switch (store.read(cached, why))
        {
        case cache_read::hit: break;
        case cache_read::refused:
        {
            std::lock_guard lock(mutex);
            file_refused = true;
        }
            report(why);
            return std::nullopt;
        case cache_read::missing:
        case cache_read::corrupt:
        case cache_read::other_key: return std::nullopt;
        }
        auto grant = usable_grant(cached, token, std::chrono::system_clock::now());
        if (!grant)
            return std::nullopt;
        std::string authorization = cached.authorization();
        std::lock_guard lock(mutex);
        if (authorization == held || authorization == rejected)
        {
            wipe(authorization);
            return std::nullopt;
        }
        wipe(held);
        held = std::move(authorization);
        return grant;
    }

    // A token from the real source: kept for the other processes, and as the one this one holds.
    void obtained(const token_grant& grant)
    {
        cached_token cached;
        cached.url = url_text;
        cached.username = user;
        cached.token_type = grant.token_type;
        cached.access_token = grant.access_token;
        cached.received_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        cached.expires_in = grant.expires_in;
        {
            std::lock_guard lock(mutex);
            wipe(held);
            held = cached.authorization();
        }
        std::string why;
        if (!refused() && !store.write(cached, why))
            report(why);
    }

    asio::any_io_executor ex;
    asio::strand<asio::any_io_executor> strand;
    std::unique_ptr<token_source> inner;
    const token_cache_params cache;
    const token_params token;
    const token_cache_store store;
    const std::string url_text;
    const std::string user;

    mutable std::mutex mutex;  // guards what follows
    std::string held;          // the header value last handed out here (a secret)
    std::string rejected;      // the header value the server last refused (a secret)
    std::set<std::string> reported;
    bool file_refused = false;
};

// One fetch, on the state's strand: the cache, else the lock (polled on a timer), else the real
// source. Exactly one completion.
struct caching_token_source::fetch_op : std::enable_shared_from_this<fetch_op>
{
    fetch_op(std::shared_ptr<state> st, token_fetch_handler h)
        : s(std::move(st)), handler(std::move(h)), timer(s->strand)
    {}

    void start()
    {
        if (cancelled)
            return complete_aborted();
        if (s->refused())
            return fetch_inner();
        if (auto grant = s->cached_grant())
            return complete_with(std::move(*grant));
        give_up = std::chrono::steady_clock::now() + s->cache.lock_wait;
        take_lock();
    }

    void take_lock()
    {
        std::string why;
        switch (s->store.try_lock(lock, why))
        {
        case cache_lock::held:
            // Another process may have written a token between our read and the lock.
            if (auto grant = s->cached_grant())
                return complete_with(std::move(*grant));
            return fetch_inner();
        case cache_lock::refused: s->report(why); return fetch_inner();
        case cache_lock::busy: break;
        }
        if (std::chrono::steady_clock::now() >= give_up)
            return fetch_inner();  // the lock holder is too slow: ask the server ourselves
        // Another process is asking the server: look again soon (2 ms, doubling up to 50 ms).
        timer.expires_after(next_poll);
        next_poll = std::min<std::chrono::steady_clock::duration>(next_poll * 2, 50ms);
        timer.async_wait(asio::bind_executor(s->strand, [self = shared_from_this()](boost::system::error_code) {
            if (self->done)
                return;
            if (self->cancelled)
                return self->complete_aborted();
            if (auto grant = self->s->cached_grant())
                return self->complete_with(std::move(*grant));
            self->take_lock();
        }));
    }

    void fetch_inner()
    {
        inner_running = true;
        s->inner->async_fetch(token_fetch_handler(asio::bind_cancellation_slot(
            inner_signal.slot(), asio::bind_executor(s->strand, [self = shared_from_this()](token_fetch_result r) {
                self->inner_running = false;
                if (!r.ec && !r.grant.access_token.empty())
                    self->s->obtained(r.grant);
                self->complete(std::move(r));
            }))));
    }

    void cancel()
    {
        if (done)
            return;
        cancelled = true;
        if (inner_running)
            inner_signal.emit(asio::cancellation_type::terminal);
        else
            timer.cancel();
    }

    void complete_with(token_grant grant)
    {
        token_fetch_result result;
        result.grant = std::move(grant);
        result.from_cache = true;
        complete(std::move(result));
    }

    void complete_aborted()
    {
        token_fetch_result result;
        result.ec = asio::error::operation_aborted;
        complete(std::move(result));
    }

    void complete(token_fetch_result result)
    {
        if (done)
            return;
        done = true;
        lock.unlock();
        timer.cancel();
        asio::post(s->ex, asio::append(std::move(handler), std::move(result)));
    }

    std::shared_ptr<state> s;
    token_fetch_handler handler;
    asio::steady_timer timer;
    asio::cancellation_signal inner_signal;
    token_cache_lock lock;
    std::chrono::steady_clock::time_point give_up{};
    std::chrono::steady_clock::duration next_poll = 2ms;
    bool done = false;
    bool cancelled = false;
    bool inner_running = false;
};

namespace {

// In the pipeline's cancellation slot: hops onto the fetch's strand.
struct fetch_canceller
{
    std::weak_ptr<caching_token_source::fetch_op> op;
    asio::strand<asio::any_io_executor> strand;

    void operator()(asio::cancellation_type_t type) const
    {
        constexpr auto handled =
            asio::cancellation_type::terminal | asio::cancellation_type::partial | asio::cancellation_type::total;
        if ((type & handled) == asio::cancellation_type::none)
            return;
        asio::post(strand, [op = op] {
            if (auto alive = op.lock())
                alive->cancel();
        });
    }
};

}  // namespace

caching_token_source::caching_token_source(asio::any_io_executor ex, std::unique_ptr<token_source> inner,
                                           token_cache_params cache, const token_params& token, const base_url& url,
                                           std::string username)
    : state_(
        std::make_shared<state>(std::move(ex), std::move(inner), std::move(cache), token, url, std::move(username)))
{
    if (!state_->store.ok())
        state_->report(state_->store.why());
}

caching_token_source::~caching_token_source() = default;

void caching_token_source::async_fetch(token_fetch_handler handler)
{
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto op = std::make_shared<fetch_op>(state_, std::move(handler));
    if (slot.is_connected())
        slot.emplace<fetch_canceller>(fetch_canceller{op, state_->strand});
    asio::post(state_->strand, [op] { op->start(); });
}

void caching_token_source::on_rejected(std::string_view authorization)
{
    {
        std::lock_guard lock(state_->mutex);
        if (state_->held == authorization)
            wipe(state_->held);
        wipe(state_->rejected);
        state_->rejected.assign(authorization);
    }
    if (!state_->refused())
        state_->store.remove_if_holds(authorization);
}

std::unique_ptr<token_source> with_token_cache(std::unique_ptr<token_source> inner, asio::any_io_executor ex,
                                               const session_params& params, const base_url& url)
{
    if (!params.token_cache.enabled)
        return inner;
    token_cache_params cache = params.token_cache;
    if (cache.directory.empty())
        cache.directory = default_token_cache_directory();
    return std::make_unique<caching_token_source>(std::move(ex), std::move(inner), std::move(cache), params.token, url,
                                                  params.username);
}

}  // namespace vovrest::detail
