// Opens connections to one Accelerator: resolve, connect, and for https the TLS handshake with
// verification, SNI and the host name check, each step under its own deadline. It holds the TLS
// context; Beast and OpenSSL stay inside http_transport.cpp. It knows nothing of tokens, of the
// pool or of retries: the request machine decides those.
// Thread-safety: open() may run from any number of operations at once.
#pragma once

#include <vovrest/base_url.hpp>
#include <vovrest/detail/connection.hpp>
#include <vovrest/detail/operation_context.hpp>
#include <vovrest/session_params.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <memory>
#include <string>

namespace vovrest::detail {

struct open_outcome
{
    boost::system::error_code ec;  // connection_failed, tls_failed, timeout, operation_aborted
    std::shared_ptr<connection> conn;
    std::string cause;  // the system or TLS reason, when ec is set
};

class http_transport
{
public:
    // Throws error_with_diagnostics (tls_failed) when ca_file / ca_dir cannot be loaded.
    http_transport(boost::asio::any_io_executor ex, base_url url, const session_params& params);
    ~http_transport();

    // A new connection, from inside an operation running on op.executor(). The resolve and the
    // connect are bounded by connect_timeout, the handshake by handshake_timeout (and all of it
    // by the operation's deadline).
    boost::asio::awaitable<open_outcome> open(operation_context& op);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace vovrest::detail
