// A token_source decorator: the cross-process token cache (token_cache.hpp) in front of the real
// source. A fetch takes a usable token from the cache file when there is one; otherwise it takes
// the cache's lock without waiting (LOCK_NB, retried on a timer, never blocking a thread), reads
// the file again under the lock (another process may just have written it), and only then asks
// the real source, writing what it got. A 401 on a cached token removes it (on_rejected).
// Thread-safety: async_fetch and on_rejected may be called from any thread.
#pragma once

#include <vovrest/base_url.hpp>
#include <vovrest/detail/token_source.hpp>
#include <vovrest/token_cache.hpp>
#include <vovrest/token_params.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <string>

namespace vovrest {
struct session_params;
}

namespace vovrest::detail {

class caching_token_source final : public token_source
{
public:
    // `url` and `username` are the cache's key; `token` decides whether a cached token is still
    // usable (its soft and hard windows).
    caching_token_source(boost::asio::any_io_executor ex, std::unique_ptr<token_source> inner, token_cache_params cache,
                         const token_params& token, const base_url& url, std::string username);
    ~caching_token_source() override;

    // Completes with a cached token, or with the real source's result (operation_aborted when
    // cancelled while waiting for another process's token request).
    void async_fetch(token_fetch_handler handler) override;
    // The header value was refused by the server: never hand it out again, remove its file.
    void on_rejected(std::string_view authorization) override;

    struct state;
    struct fetch_op;

private:
    std::shared_ptr<state> state_;
};

// `inner` wrapped in a caching_token_source when params.token_cache.enabled, else `inner` itself.
std::unique_ptr<token_source> with_token_cache(std::unique_ptr<token_source> inner, boost::asio::any_io_executor ex,
                                               const session_params& params, const base_url& url);

}  // namespace vovrest::detail
