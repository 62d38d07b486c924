// The token source the server documents: POST /api/v3/token with the username and a password
// asked from the provider at each call, used once and wiped.
#pragma once

#include <vovrest/detail/http_transport.hpp>
#include <vovrest/detail/token_source.hpp>
#include <vovrest/password_provider.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <string>

namespace vovrest::detail {

class password_token_source final : public token_source
{
public:
    // `transport` must outlive the source.
    password_token_source(boost::asio::any_io_executor ex, http_transport& transport, std::string username,
                          password_provider provider);

    void async_fetch(token_fetch_handler handler) override;

private:
    boost::asio::awaitable<std::pair<boost::system::error_code, token_fetch_result>> fetch(operation_context& op);

    boost::asio::any_io_executor executor_;
    http_transport& transport_;
    std::string username_;
    password_provider provider_;
};

}  // namespace vovrest::detail
