// One keep-alive connection to the Accelerator, as the pool sees it. The concrete TCP and TLS
// connections live in http_transport.cpp, the only place that includes Beast and OpenSSL.
#pragma once

#include <chrono>

namespace vovrest::detail {

class connection
{
public:
    virtual ~connection() = default;

    // True when nothing has arrived on the idle socket: no FIN, no reset, no stray bytes (a TLS
    // close_notify counts as stray bytes). Non-blocking; the socket is never written to here.
    virtual bool alive_while_idle() noexcept = 0;
    virtual void close() noexcept = 0;

    std::chrono::steady_clock::time_point idle_since{};
    bool reused = false;  // served at least one request before the current one
};

}  // namespace vovrest::detail
