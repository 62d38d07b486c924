#include "secret_buffer.hpp"

#include <vovrest/detail/launch_operation.hpp>
#include <vovrest/detail/password_token_source.hpp>
#include <vovrest/detail/wire_format.hpp>
#include <vovrest/error.hpp>


namespace asio = boost::asio;
using boost::system::error_code;

namespace vovrest::detail {
namespace {

// username=...&password=... in pages that core dumps leave out and that are wiped when released;
// the provider's copy of the password is wiped here, before anything is sent.
secret_buffer token_form(std::string_view username, std::string& password)
{
    secret_buffer form(32 + 3 * (username.size() + password.size()));
    const auto put_encoded = [&form](std::string_view text) {
        char* start = form.extend(3 * text.size());
        form.commit(static_cast<std::size_t>(append_encoded(start, text, true) - start));
    };
    form.append("username=");
    put_encoded(username);
    form.append("&password=");
    put_encoded(password);
    wipe(password);
    return form;
}

}  // namespace

password_token_source::password_token_source(asio::any_io_executor ex, http_transport& transport,
                                             std::string username, password_provider provider)
    : executor_(std::move(ex)), transport_(transport), username_(std::move(username)), provider_(std::move(provider))
{
}

void password_token_source::async_fetch(token_fetch_handler handler)
{
    // The pipeline's deadline reaches the operation through the handler's cancellation slot.
    auto adapted = adapt_handler<token_fetch_result>(
        std::move(handler), executor_, [](token_fetch_handler h, error_code ec, token_fetch_result r) {
            if (ec && !r.ec)
                r.ec = ec;
            std::move(h)(std::move(r));
        });
    // Renewals are rare: always a strand of their own, whatever the session was promised.
    launch_operation<token_fetch_result>(operation_context::serialized_executor(executor_, false), {}, std::move(adapted),
                                         [this](operation_context& op) { return fetch(op); });
}

asio::awaitable<std::pair<error_code, token_fetch_result>> password_token_source::fetch(operation_context& op)
{
    token_fetch_result result;
    result.diag.method = "POST";
    result.diag.path = "/api/v3/token";

    std::string password = provider_ ? provider_() : std::string();
    if (password.empty())
    {
        result.ec = error::no_password;
        result.diag.server_message = "the password provider gave no password";
        co_return std::pair{result.ec, std::move(result)};
    }
    secret_buffer form = token_form(username_, password);
    http_request request;
    request.method = "POST";
    request.target = "/api/v3/token";
    request.content_type = "application/x-www-form-urlencoded";
    request.ahead_of_queue = true;  // the requests queued for a connection may be waiting for it
    request.external_body = form.view();

    http_result answer;
    error_code ec = co_await transport_.exchange(op, request, answer);
    form.release();
    if (ec)
    {
        // outcome_unknown only means "a token may have been issued": harmless, ask again.
        result.ec = ec == error::outcome_unknown ? error_code(error::connection_failed) : ec;
        co_return std::pair{result.ec, std::move(result)};
    }
    result.diag.http_status = answer.status;
    if (answer.status >= 200 && answer.status < 300)
    {
        std::string_view why;
        if (!parse_token_response(answer.body, result.grant, why))
        {
            result.ec = error::bad_response;
            result.diag.client_message = std::string(why);
        }
        co_return std::pair{result.ec, std::move(result)};
    }
    result.diag.server_message = server_message(answer.body);
    if (answer.status >= 500 || answer.status == 429)
    {
        result.ec = error_for_status(answer.status);
        result.retry_after = parse_retry_after(find_header(answer.headers, "Retry-After"));
    }
    else
    {
        // Any other refusal of the token endpoint is a refusal of the credentials.
        result.ec = error::authentication_failed;
        if (result.diag.server_message.empty())
            result.diag.server_message = "the server refused the username or password";
    }
    co_return std::pair{result.ec, std::move(result)};
}

}  // namespace vovrest::detail
