#include "cli_errors.hpp"

#include "cli_options.hpp"
#include "cli_output.hpp"

#include <vovrest/error.hpp>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <string_view>

namespace vovrest::cli {
namespace {

bool mentions(const diagnostics& diag, std::initializer_list<std::string_view> words)
{
    std::string text = diag.client_message + " " + diag.server_message;
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return std::any_of(words.begin(), words.end(), [&text](std::string_view w) { return text.find(w) != text.npos; });
}

std::string hint(const boost::system::error_code& ec, const diagnostics& diag)
{
    if (ec == error::tls_failed)
    {
        if (mentions(diag, {"wrong version number", "packet length too long"}))
            return "is it an http:// server? give the URL with http://";
        return "trust the server's CA with --cacert FILE, or skip the check with --insecure";
    }
    if (ec == error::connection_failed && mentions(diag, {"refused"}))
        return "is the URL right? (--url, NC_URL)";
    if (ec == error::timeout)
        return "no answer in time; a longer --timeout or --connect-timeout may help";
    if (ec == error::no_password)
        return "give --password-file FILE, --password-stdin or VOV_PASSWORD, or run on a terminal";
    if (ec == error::redirect_refused)
        return "the server answered with a redirect; check the URL's scheme and port";
    if (ec == error::invalid_argument)
        return "a path or header holds a control character";
    return {};
}

}  // namespace

int exit_status_for(const boost::system::error_code& ec)
{
    if (ec == error::authentication_failed || ec == error::no_password || ec == error::unauthorized)
        return exit_authentication;
    if (ec == error::not_found || ec == error::job_forgotten)
        return exit_not_found;
    if (ec == error::invalid_url || ec == error::https_required || ec == error::invalid_argument)
        return exit_usage;
    return exit_failure;  // redirect_refused included: a refused redirect is no wrong password
}

std::string error_text(const boost::system::error_code& ec, const diagnostics& diag)
{
    std::string text = describe(ec, diag);
    if (std::string h = hint(ec, diag); !h.empty())
        text += " (" + h + ")";
    return text;
}

int fail(int status, const std::string& text)
{
    std::cerr << "vovrest: " << printable_line(text) << std::endl;
    return status;
}

}  // namespace vovrest::cli
