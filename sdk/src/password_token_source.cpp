#include <vovrest/detail/launch_operation.hpp>
#include <vovrest/detail/secret_buffer.hpp>
#include <vovrest/detail/password_token_source.hpp>
#include <vovrest/detail/wire_format.hpp>
#include <vovrest/error.hpp>

namespace asio = boost::asio;
using boost::system::error_code;

namespace vovrest::detail {
namespace {

constexpr std::string_view token_path = "/api/v3/token";

// What a non-2xx answer of the token endpoint means (the body's `error` text is already in diag).
void classify_refusal(const http_result& answer, token_fetch_result& result)
{
    const unsigned status = answer.status;
    if (status >= 500 || status == 429)
    {
        result.ec = error_for_status(status);
        result.retry_after = parse_retry_after(find_header(answer.headers, "Retry-After"));
    }
    else if (status >= 300 && status < 400)
    {
        // Never followed: the password would go wherever the server says.
        result.ec = error::redirect_refused;
        const std::string_view location = find_header(answer.headers, "Location");
        result.diag.client_message =
            "the token endpoint answered with a redirect"
            + (location.empty() ? std::string() : " to " + std::string(location.substr(0, 256)))
            + ", which is refused: the password is never sent elsewhere";
    }
    else
    {
        // Any other refusal of the token endpoint is a refusal of the credentials.
        result.ec = error::authentication_failed;
        if (result.diag.server_message.empty())
            result.diag.client_message =
                "the server refused the username or password (HTTP " + std::to_string(status) + ")";
    }
}

// username=...&password=... in pages that core dumps leave out and that are wiped when released.
secret_buffer token_form(std::string_view username, std::string_view password)
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
    return form;
}

}  // namespace

password_token_source::password_token_source(asio::any_io_executor ex, request_driver& driver, std::string username,
                                             password_provider provider)
    : executor_(std::move(ex)), driver_(driver), username_(std::move(username)), provider_(std::move(provider))
{}

password_token_source::~password_token_source()
{
    abandon(asking_);
}

void password_token_source::async_fetch(token_fetch_handler handler)
{
    // The pipeline's deadline reaches the operation through the handler's cancellation slot.
    auto adapted = adapt_handler<token_fetch_result>(std::move(handler), executor_,
                                                     [](token_fetch_handler h, error_code ec, token_fetch_result r) {
                                                         if (ec && !r.ec)
                                                             r.ec = ec;
                                                         std::move(h)(std::move(r));
                                                     });
    // Renewals are rare: always a strand of their own, whatever the session was promised.
    launch_operation<token_fetch_result>(operation_context::serialized_executor(executor_, false), {},
                                         std::move(adapted), [this](operation_context& op) { return fetch(op); });
}

asio::awaitable<std::pair<error_code, token_fetch_result>> password_token_source::fetch(operation_context& op)
{
    token_fetch_result result;
    result.diag.method = "POST";
    result.diag.path = std::string(token_path);

    op.arm({});
    auto [pec, password] = co_await async_ask_password(provider_, op.executor(), asking_, op.step_token());
    if (pec)
    {
        result.ec = pec == asio::error::operation_aborted ? op.interruption() : error_code(pec);
        co_return std::pair{result.ec, std::move(result)};
    }
    if (password.empty())
    {
        result.ec = error::no_password;
        result.diag.client_message = "the password provider gave no password";
        co_return std::pair{result.ec, std::move(result)};
    }
    secret_buffer form = token_form(username_, password.view());
    password.release();

    http_request request;
    request.method = "POST";
    request.target = std::string(token_path);
    request.content_type = "application/x-www-form-urlencoded";
    request.body = form.view();
    request.authorized = false;
    request.ahead_of_queue = true;  // the requests queued for a connection may be waiting for it

    http_result answer;
    diagnostics diag;
    const error_code ec = co_await driver_.run(op, request, answer, diag);
    form.release();
    if (ec && answer.status == 0)
    {
        // No answer. outcome_unknown only means "a token may have been issued": harmless, ask again.
        result.ec = ec == error::outcome_unknown ? error_code(error::connection_failed) : ec;
        result.diag.client_message = std::move(diag.client_message);
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
    classify_refusal(answer, result);
    co_return std::pair{result.ec, std::move(result)};
}

}  // namespace vovrest::detail
