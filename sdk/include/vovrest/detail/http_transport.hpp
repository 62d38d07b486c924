// The transport of one session: the keep-alive pool, TCP or TLS connections, one HTTP/1.1
// exchange at a time per connection, deadlines, size limits, and the one place where retries are
// decided by idempotency. Beast and OpenSSL stay inside http_transport.cpp.
// Thread-safety: exchange() may run from any number of operations at once; shutdown() from any thread.
#pragma once

#include <vovrest/base_url.hpp>
#include <vovrest/detail/http_message.hpp>
#include <vovrest/detail/operation_context.hpp>
#include <vovrest/detail/session_observer.hpp>
#include <vovrest/session_params.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <memory>

namespace vovrest::detail {

class http_transport
{
public:
    // Throws error_with_diagnostics (tls_failed) when ca_file / ca_dir cannot be loaded.
    http_transport(boost::asio::any_io_executor ex, base_url url, const session_params& params,
                   session_observer& observer);
    ~http_transport();

    // One request and its answer, from inside an operation coroutine running on op.executor().
    // Retries what provably never reached the server; after bytes left, idempotent requests are
    // sent once more on a fresh connection and others end with error::outcome_unknown.
    // With a request.authorizer, the Authorization is attached once a connection is in hand,
    // before each sending; when it has no token, the exchange ends unsent with
    // result.needs_token. Never throws for I/O failures: the error_code says what happened.
    boost::asio::awaitable<boost::system::error_code> exchange(operation_context& op, http_request& request,
                                                              http_result& result);

    void shutdown();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace vovrest::detail
