#include <vovrest/detail/connection.hpp>

#include <boost/asio/error.hpp>

namespace vovrest::detail {

void connection::watch()
{
    const std::uint64_t id = (watch_.load(std::memory_order_relaxed) | state_mask) + 1;  // the next watch
    watch_.store(id | watching, std::memory_order_release);
    wait_readable(id);
}

bool connection::claim() noexcept
{
    std::uint64_t current = watch_.load(std::memory_order_acquire);
    if ((current & state_mask) == fired)
        return false;
    // Watching: end the watch (its wait completes later and is ignored). Another state: no watch.
    while ((current & state_mask) == watching
           && !watch_.compare_exchange_weak(current, current & ~state_mask, std::memory_order_acq_rel))
    {}
    return (current & state_mask) != fired;
}

void connection::watch_ended(std::uint64_t watch_id, boost::system::error_code ec) noexcept
{
    if (ec == boost::asio::error::operation_aborted)
        return;  // closed or cancelled: whoever closed it accounts for it
    std::uint64_t expected = watch_id | watching;
    if (!watch_.compare_exchange_strong(expected, watch_id | fired, std::memory_order_acq_rel))
        return;  // claimed meanwhile, or an earlier watch: the bytes belong to a request
    if (on_activity_)
        on_activity_(*this);
}

}  // namespace vovrest::detail
