// vovrest::base_url — where the Accelerator answers: scheme://host:port. Like the original
// helper, anything after host:port (vovbrowser prints `http://host:6444/project`) is dropped.
// Thread-safety: a plain value.
#pragma once

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vovrest {

struct base_url
{
    bool https = false;
    std::string host;         // without brackets for IPv6
    std::uint16_t port = 0;   // explicit or the scheme's default (80 / 443)

    std::string to_string() const;   // "https://host:6271"
    std::string host_header() const; // "host:6271"
};

// Accepts http:// and https:// URLs with an optional port and any path; error::invalid_url otherwise.
std::optional<base_url> parse_base_url(std::string_view url, boost::system::error_code& ec);

}  // namespace vovrest
