#include "cli_errors.hpp"

#include "cli_options.hpp"
#include "cli_output.hpp"

#include <vovrest/error.hpp>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <string_view>
#include <utility>

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
        if (mentions(diag, {"certificate", "verify", "issuer", "self-signed", "self signed"}))
            return "trust the server's CA with --cacert FILE, or skip the check with --insecure";
        return "an untrusted certificate: --cacert FILE or --insecure; a server that speaks http: an http:// URL";
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

// A 3xx from the token endpoint is a refused redirect, whatever the SDK calls it: never a
// wrong password (exit 3), and the server's text says nothing about the password.
std::pair<boost::system::error_code, diagnostics> redirect_as_such(const boost::system::error_code& ec,
                                                                   const diagnostics& diag)
{
    if (diag.http_status >= 300 && diag.http_status < 400 && ec != error::redirect_refused)
    {
        diagnostics plain = diag;
        plain.server_message.clear();
        return {make_error_code(error::redirect_refused), plain};
    }
    return {ec, diag};
}

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

int exit_status_for(const boost::system::error_code& ec, const diagnostics& diag)
{
    return exit_status_for(redirect_as_such(ec, diag).first);
}

std::string error_text(const boost::system::error_code& original, const diagnostics& original_diag)
{
    const auto [ec, diag] = redirect_as_such(original, original_diag);
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
