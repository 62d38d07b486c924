// The token source the server documents: POST /api/v3/token with the username and a password
// asked from the provider at each call (off the I/O thread unless the provider never blocks),
// used once and wiped. The request goes through the request driver as an unauthorized request:
// it never touches the token pipeline, and takes the next free connection ahead of the queue.
#pragma once

#include <vovrest/detail/password_call.hpp>
#include <vovrest/detail/request_driver.hpp>
#include <vovrest/detail/token_source.hpp>
#include <vovrest/password_provider.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <string>

namespace vovrest::detail {

class password_token_source final : public token_source
{
public:
    // `driver` must outlive the source.
    password_token_source(boost::asio::any_io_executor ex, request_driver& driver, std::string username,
                          password_provider provider);
    ~password_token_source() override;  // a provider still asked is abandoned

    void async_fetch(token_fetch_handler handler) override;

private:
    boost::asio::awaitable<std::pair<boost::system::error_code, token_fetch_result>> fetch(operation_context& op);

    boost::asio::any_io_executor executor_;
    request_driver& driver_;
    std::string username_;
    password_provider provider_;
    std::weak_ptr<password_call> asking_;
};

}  // namespace vovrest::detail
