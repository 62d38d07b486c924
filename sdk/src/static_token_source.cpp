#include <vovrest/detail/static_token_source.hpp>

#include <vovrest/error.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/post.hpp>

#include <utility>

namespace vovrest::detail {

static_token_source::static_token_source(boost::asio::any_io_executor ex, std::string_view token_type,
                                         std::string_view access_token)
    : ex_(std::move(ex))
{
    grant_.token_type = token_type;
    grant_.access_token = access_token;
}

void static_token_source::set(std::string_view token_type, std::string_view access_token)
{
    std::lock_guard lock(mutex_);
    grant_.token_type = token_type;
    grant_.access_token = access_token;
}

void static_token_source::async_fetch(token_fetch_handler handler)
{
    token_fetch_result result;
    {
        std::lock_guard lock(mutex_);
        result.grant = grant_;
    }
    if (result.grant.access_token.empty())
    {
        result.ec = error::bad_response;
        result.diag.server_message = "no token was handed in";
    }
    boost::asio::post(ex_, boost::asio::append(std::move(handler), std::move(result)));
}

}  // namespace vovrest::detail
