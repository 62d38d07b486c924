#include <vovrest/base_url.hpp>
#include <vovrest/error.hpp>

#include <boost/url/parse.hpp>

#include <charconv>

namespace vovrest {

std::string base_url::to_string() const
{
    return (https ? "https://" : "http://") + host_header();
}

std::string base_url::host_header() const
{
    const bool ipv6 = host.find(':') != std::string::npos;
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<base_url> parse_base_url(std::string_view text, boost::system::error_code& ec)
{
    ec = error::invalid_url;
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed)
        return std::nullopt;
    const auto& u = *parsed;
    base_url result;
    if (u.scheme() == "https")
        result.https = true;
    else if (u.scheme() != "http")
        return std::nullopt;
    if (!u.has_authority() || u.encoded_host().empty() || u.has_userinfo())
        return std::nullopt;
    // The host as written, brackets removed for an IPv6 literal.
    std::string host(u.encoded_host_address());
    if (host.empty())
        return std::nullopt;
    result.host = std::move(host);
    if (u.has_port())
    {
        auto port = u.port();
        unsigned value = 0;
        auto [end, err] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (err != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535)
            return std::nullopt;
        result.port = static_cast<std::uint16_t>(value);
    }
    else
    {
        result.port = result.https ? 443 : 80;
    }
    ec.clear();
    return result;
}

}  // namespace vovrest
