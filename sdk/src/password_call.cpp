#include <vovrest/detail/password_call.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <mutex>
#include <optional>
#include <thread>

namespace asio = boost::asio;
using boost::system::error_code;

namespace vovrest::detail {

// One call in flight: whichever comes first — the provider's answer or the caller's
// cancellation — completes the caller; the other finds it done.
// The provider's thread may outlive the io_context (a program that ends right after its call
// completed), so it never holds a copy of an executor whose destruction touches the io_context: a
// strand (its last copy destroys the strand, under the strand service's mutex) or a work-tracking
// executor. It posts to the io_context's plain executor, and the executor to resume on travels
// inside the posted function, destroyed on the io_context's own thread.
class password_call : public std::enable_shared_from_this<password_call>
{
public:
    password_call(asio::any_io_executor ex, asio::any_completion_handler<password_signature> handler)
        : post_to_(plain_executor(ex)), resume_on_(std::move(ex))
    {
        handler_.emplace(std::move(handler));
    }

    void follow_cancellation()
    {
        auto slot = asio::get_associated_cancellation_slot(*handler_);
        if (slot.is_connected())
            slot.assign([weak = weak_from_this()](asio::cancellation_type) {
                if (auto self = weak.lock())
                    self->finish(asio::error::operation_aborted, {});
            });
    }

    void finish(error_code ec, secret_buffer password)
    {
        std::optional<asio::any_completion_handler<password_signature>> handler;
        asio::any_io_executor resume_on;
        {
            std::lock_guard lock(mutex_);
            if (!handler_)
            {
                password.release();  // the caller gave up: nobody gets it
                return;
            }
            handler.emplace(std::move(*handler_));
            handler_.reset();
            resume_on = std::move(resume_on_);
            resume_on_ = asio::any_io_executor();
        }
        asio::post(post_to_, [h = std::move(*handler), ex = std::move(resume_on), ec,
                              p = std::move(password)]() mutable {
            asio::dispatch(ex, [h = std::move(h), ec, p = std::move(p)]() mutable { std::move(h)(ec, std::move(p)); });
        });
    }

private:
    // The io_context's own executor, untracked: copied and destroyed on any thread without
    // touching the io_context. Any other executor is kept as given.
    static asio::any_io_executor plain_executor(const asio::any_io_executor& ex)
    {
        using io_executor = asio::io_context::executor_type;
        if (const auto* io = ex.target<io_executor>())
            return *io;
        if (const auto* strand = ex.target<asio::strand<io_executor>>())
            return strand->get_inner_executor();
        if (const auto* strand = ex.target<asio::strand<asio::any_io_executor>>())
            return plain_executor(strand->get_inner_executor());
        return ex;
    }

    std::mutex mutex_;
    const asio::any_io_executor post_to_;
    asio::any_io_executor resume_on_;
    std::optional<asio::any_completion_handler<password_signature>> handler_;
};

namespace {

secret_buffer ask(const password_provider& provider) noexcept
{
    try
    {
        std::string answer = provider ? provider() : std::string();
        secret_buffer password;
        try
        {
            password.append(answer);
        }
        catch (...)
        {
            wipe(answer);
            throw;
        }
        wipe(answer);
        return password;
    }
    catch (...)
    {
        return {};
    }
}

}  // namespace

std::weak_ptr<password_call> start_password_call(password_provider provider, asio::any_io_executor resume_on,
                                                 asio::any_completion_handler<password_signature> handler)
{
    auto call = std::make_shared<password_call>(std::move(resume_on), std::move(handler));
    if (never_blocks(provider))
    {
        call->finish({}, ask(provider));
        return {};
    }
    call->follow_cancellation();
    try
    {
        std::thread([call, provider = std::move(provider)] { call->finish({}, ask(provider)); }).detach();
    }
    catch (const std::system_error&)
    {
        call->finish(asio::error::no_memory, {});  // no thread to be had
    }
    return call;
}

void abandon(const std::weak_ptr<password_call>& call) noexcept
{
    if (auto running = call.lock())
        running->finish(asio::error::operation_aborted, {});
}

}  // namespace vovrest::detail
