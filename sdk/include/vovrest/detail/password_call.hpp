// Asking a password provider without blocking an I/O thread: a provider may prompt on a terminal
// or read a file on a slow mount, so unless it is known never to block (fixed_password,
// password_from_env) it runs on a thread of its own and the caller resumes with its answer.
// Thread-safety: async_ask_password may be called from any thread.
#pragma once

#include <vovrest/detail/secret_buffer.hpp>
#include <vovrest/password_provider.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/system/error_code.hpp>

#include <memory>
#include <string>

namespace vovrest::detail {

// The ready-made providers that never block, recognised by their type.
struct fixed_password_fn
{
    struct holder;  // the password, in a secret_buffer (password_provider.cpp)
    std::shared_ptr<holder> kept;
    std::string operator()() const;
};

struct env_password_fn
{
    std::string variable;
    std::string operator()() const;
};

bool never_blocks(const password_provider& provider) noexcept;

// The password travels in a secret_buffer: moving one moves a pointer, where moving a short
// std::string copies its bytes and leaves them behind in the moved-from object.
using password_signature = void(boost::system::error_code, secret_buffer);

// One call of the provider in flight.
class password_call;

// Calls the provider. Completes on `resume_on` with the password (empty: none), its bytes moved
// out of the provider's string (which is wiped) into pages core dumps leave out. Cancelling
// (terminal, partial, total) or abandon() completes at once with operation_aborted; a provider
// still running then finishes on its own thread and its answer is wiped. An exception from the
// provider is an empty password. The returned handle may be ignored.
std::weak_ptr<password_call> start_password_call(password_provider provider, boost::asio::any_io_executor resume_on,
                                                 boost::asio::any_completion_handler<password_signature> handler);

// Completes the call with operation_aborted if it has not completed yet (its owner is going away).
void abandon(const std::weak_ptr<password_call>& call) noexcept;

// The same as an Asio operation; `handle` receives the call's handle.
template <class CompletionToken>
auto async_ask_password(const password_provider& provider, const boost::asio::any_io_executor& resume_on,
                        std::weak_ptr<password_call>& handle, CompletionToken&& token)
{
    return boost::asio::async_initiate<CompletionToken, password_signature>(
        [](auto handler, const password_provider& p, const boost::asio::any_io_executor& ex,
           std::weak_ptr<password_call>* out) {
            *out =
                start_password_call(p, ex, boost::asio::any_completion_handler<password_signature>(std::move(handler)));
        },
        token, provider, resume_on, &handle);
}

}  // namespace vovrest::detail
