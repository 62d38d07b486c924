// A token_source that hands back a token it was given (the Python module's setJWT, and tests):
// every fetch completes, posted to the given executor, with that token.
// Thread-safety: every member may be called from any thread at once.
#pragma once

#include <vovrest/detail/token_source.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <mutex>
#include <string>
#include <string_view>

namespace vovrest::detail {

class static_token_source final : public token_source
{
public:
    static_token_source(boost::asio::any_io_executor ex, std::string_view token_type, std::string_view access_token);

    // Replaces the token handed back by later fetches.
    void set(std::string_view token_type, std::string_view access_token);

    // Completes with the token (an empty one: bad_response). Never inline: posted to ex.
    void async_fetch(token_fetch_handler handler) override;

private:
    boost::asio::any_io_executor ex_;
    std::mutex mutex_;
    token_grant grant_;
};

}  // namespace vovrest::detail
