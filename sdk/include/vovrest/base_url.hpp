/// @file
/// vovrest::base_url — where the Accelerator answers: scheme://host:port. Like the original
/// helper, anything after host:port (vovbrowser prints `http://host:6444/project`) is dropped.
/// Thread-safety: a plain value.
#pragma once

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vovrest {

/// The scheme, host and port of an Accelerator, and nothing else (no path, no query).
/// Thread-safety: a plain value; distinct objects are independent, const members may be called
/// from any thread at once.
struct base_url
{
    bool https = false;      ///< true for https://, false for http://
    std::string host;        ///< host name or address; IPv6 addresses without brackets
    std::uint16_t port = 0;  ///< explicit in the URL, or the scheme's default (80 / 443)

    /// The URL as text, IPv6 hosts bracketed: "https://host:6271".
    std::string to_string() const;
    /// The value of the HTTP Host header: "host:6271" (IPv6 hosts bracketed).
    std::string host_header() const;
};

/// Reduces an Accelerator URL to scheme://host:port.
/// @param url an http:// or https:// URL with an optional port and any path (the path, query and
///        fragment are dropped), e.g. the value of NC_URL.
/// @param ec set to error::invalid_url when the URL cannot be reduced (another scheme, no host,
///        user information, a port that is not 1-65535); cleared on success.
/// @return the parsed URL, or std::nullopt with `ec` set.
std::optional<base_url> parse_base_url(std::string_view url, boost::system::error_code& ec);

}  // namespace vovrest
