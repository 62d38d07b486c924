#include <vovrest/diagnostics.hpp>
#include <vovrest/error.hpp>
#include <vovrest/events.hpp>

#include <string>

namespace vovrest {
namespace {

class vovrest_category final : public boost::system::error_category
{
public:
    const char* name() const noexcept override { return "vovrest"; }

    std::string message(int value) const override
    {
        switch (static_cast<error>(value))
        {
        case error::authentication_failed: return "authentication failed";
        case error::unauthorized: return "unauthorized";
        case error::forbidden: return "forbidden";
        case error::not_found: return "not found";
        case error::bad_request: return "bad request";
        case error::payload_too_large: return "payload too large";
        case error::rate_limited: return "rate limited";
        case error::server_error: return "server error";
        case error::outcome_unknown: return "outcome unknown: the request may have been carried out";
        case error::timeout: return "timeout";
        case error::connection_failed: return "connection failed";
        case error::tls_failed: return "TLS failed";
        case error::bad_response: return "bad response";
        case error::redirect_refused: return "redirect refused";
        case error::invalid_url: return "invalid URL";
        case error::https_required: return "https required";
        case error::no_password: return "no password";
        case error::query_failed: return "query failed";
        case error::job_forgotten: return "job forgotten";
        case error::session_closed: return "session closed";
        case error::queue_full: return "queue full";
        case error::invalid_argument: return "invalid argument";
        }
        return "unknown vovrest error";
    }
};

}  // namespace

const boost::system::error_category& error_category() noexcept
{
    static const vovrest_category category;
    return category;
}

std::string describe(const boost::system::error_code& ec, const diagnostics& diag)
{
    std::string text;
    if (!diag.method.empty() || !diag.path.empty())
    {
        text += diag.method;
        text += ' ';
        text += diag.path;
        text += ": ";
    }
    if (diag.http_status != 0)
    {
        text += "HTTP ";
        text += std::to_string(diag.http_status);
        text += ": ";
    }
    if (!diag.server_message.empty())
        text += diag.server_message;
    else
        text += ec.message();
    if (!diag.client_message.empty())
    {
        text += ": ";
        text += diag.client_message;
    }
    return text;
}

std::string error_with_diagnostics::describe_for_what(const boost::system::error_code& ec, const diagnostics& diag)
{
    return describe(ec, diag);
}

void throw_on_error(const boost::system::error_code& ec, const diagnostics& diag)
{
    if (ec)
        throw error_with_diagnostics(ec, diag);
}

std::string_view to_string(event_kind kind) noexcept
{
    switch (kind)
    {
    case event_kind::renewal_started: return "renewal_started";
    case event_kind::renewal_succeeded: return "renewal_succeeded";
    case event_kind::renewal_failed: return "renewal_failed";
    case event_kind::unauthorized_renewal: return "unauthorized_renewal";
    case event_kind::replay: return "replay";
    case event_kind::retry: return "retry";
    case event_kind::waiter_added: return "waiter_added";
    case event_kind::connection_opened: return "connection_opened";
    case event_kind::connection_reused: return "connection_reused";
    case event_kind::connection_dropped: return "connection_dropped";
    case event_kind::request_completed: return "request_completed";
    }
    return "unknown";
}

}  // namespace vovrest
