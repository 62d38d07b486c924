#include <vovrest/detail/connection_pool.hpp>
#include <vovrest/error.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <utility>

namespace asio = boost::asio;

namespace vovrest::detail {

connection_pool::connection_pool(std::size_t max_connections,
                                 std::chrono::steady_clock::duration idle_timeout, session_observer& observer)
    : max_connections_(std::max<std::size_t>(max_connections, 1)),
      idle_timeout_(idle_timeout),
      observer_(observer)
{
}

connection_pool::~connection_pool()
{
    shutdown();
    *alive_ = false;
}

// Completions are always posted to the waiter's own executor: a waiter never runs inside another
// caller's release().
void connection_pool::hand_over(waiter w, boost::system::error_code ec, connection_ptr conn)
{
    asio::post(w.resume_on, [h = std::move(w.handler), ec, c = std::move(conn)]() mutable {
        std::move(h)(ec, std::move(c));
    });
}

void connection_pool::drop(std::vector<connection_ptr>& dead)
{
    for (auto& conn : dead)
    {
        conn->close();
        observer_.bump(observer_.connections_dropped);
        observer_.emit(event_kind::connection_dropped);
    }
    dead.clear();
}

void connection_pool::note_reused()
{
    observer_.bump(observer_.connections_reused);
    observer_.emit(event_kind::connection_reused);
}

bool connection_pool::try_acquire(connection_ptr& conn, boost::system::error_code& ec, bool idempotent)
{
    std::vector<connection_ptr> dead;
    std::unique_lock lock(mutex_);
    const bool placed = try_place_locked(conn, ec, dead, idempotent);
    lock.unlock();
    drop(dead);
    if (conn)
        note_reused();
    return placed;
}

bool connection_pool::try_place_locked(connection_ptr& conn, boost::system::error_code& ec,
                                       std::vector<connection_ptr>& dead, bool idempotent)
{
    if (shut_down_)
    {
        ec = error::session_closed;
        return true;
    }
    const auto now = std::chrono::steady_clock::now();
    evict_expired_locked(now, dead);
    while (!idle_.empty())
    {
        connection_ptr candidate = std::move(idle_.back());
        idle_.pop_back();
        if ((idempotent && now - candidate->idle_since < recent_idle) || candidate->alive_while_idle())
        {
            candidate->reused = true;
            conn = std::move(candidate);
            return true;
        }
        // Closed by the server while idle: never written to.
        --open_;
        dead.push_back(std::move(candidate));
    }
    // A free slot, unless others already wait for one (FIFO).
    if (open_ < max_connections_ && waiters_.empty())
    {
        ++open_;
        return true;
    }
    return false;
}

void connection_pool::start_acquire(const asio::any_io_executor& resume_on, bool ahead_of_queue,
                                    acquire_handler handler)
{
    std::vector<connection_ptr> dead;
    connection_ptr conn;
    boost::system::error_code ec;
    std::unique_lock lock(mutex_);
    if (try_place_locked(conn, ec, dead))
    {
        lock.unlock();
        drop(dead);
        if (conn)
            note_reused();
        hand_over(waiter{0, resume_on, std::move(handler)}, ec, std::move(conn));
        return;
    }
    const auto id = ++next_waiter_id_;
    auto slot = asio::get_associated_cancellation_slot(handler);
    // Behind the waiters ahead_of_queue (usually none), or at the very end.
    auto place = ahead_of_queue ? std::find_if(waiters_.begin(), waiters_.end(),
                                               [](const waiter& w) { return !w.ahead_of_queue; })
                                : waiters_.end();
    waiters_.insert(place, waiter{id, resume_on, std::move(handler), ahead_of_queue});
    if (slot.is_connected())
    {
        slot.assign([this, id, alive = alive_](asio::cancellation_type) {
            if (*alive)
                cancel_waiter(id);
        });
    }
    lock.unlock();
    drop(dead);
}

void connection_pool::cancel_waiter(std::uint64_t id)
{
    std::unique_lock lock(mutex_);
    auto it = std::find_if(waiters_.begin(), waiters_.end(), [id](const waiter& w) { return w.id == id; });
    if (it == waiters_.end())
        return;  // already served
    waiter w = std::move(*it);
    waiters_.erase(it);
    lock.unlock();
    hand_over(std::move(w), asio::error::operation_aborted, nullptr);
}

void connection_pool::release(connection_ptr conn, bool reusable)
{
    std::unique_lock lock(mutex_);
    if (reusable && !shut_down_)
    {
        if (!waiters_.empty())
        {
            waiter w = std::move(waiters_.front());
            waiters_.pop_front();
            conn->reused = true;
            lock.unlock();
            note_reused();
            hand_over(std::move(w), {}, std::move(conn));
            return;
        }
        std::vector<connection_ptr> dead;
        conn->idle_since = std::chrono::steady_clock::now();
        evict_expired_locked(conn->idle_since, dead);
        idle_.push_back(std::move(conn));
        lock.unlock();
        drop(dead);
        return;
    }
    lock.unlock();
    std::vector<connection_ptr> dead;
    dead.push_back(std::move(conn));
    drop(dead);
    release_slot();
}

void connection_pool::release_slot()
{
    std::unique_lock lock(mutex_);
    if (!waiters_.empty() && !shut_down_)
    {
        // The slot passes straight to the first waiter, which opens a new connection.
        waiter w = std::move(waiters_.front());
        waiters_.pop_front();
        lock.unlock();
        hand_over(std::move(w), {}, nullptr);
        return;
    }
    --open_;
}

void connection_pool::evict_expired_locked(std::chrono::steady_clock::time_point now,
                                           std::vector<connection_ptr>& dead)
{
    // idle_ is ordered by idle_since: the oldest are at the front.
    auto end = std::find_if(idle_.begin(), idle_.end(),
                            [&](const connection_ptr& c) { return now - c->idle_since < idle_timeout_; });
    for (auto it = idle_.begin(); it != end; ++it)
        dead.push_back(std::move(*it));
    open_ -= static_cast<std::size_t>(end - idle_.begin());
    idle_.erase(idle_.begin(), end);
}

void connection_pool::shutdown()
{
    std::vector<connection_ptr> idle;
    waiter_list waiters;
    {
        std::lock_guard lock(mutex_);
        if (shut_down_)
            return;
        shut_down_ = true;
        idle.swap(idle_);
        waiters.swap(waiters_);
        open_ -= idle.size();
    }
    for (auto& c : idle)
        c->close();
    for (auto& w : waiters)
        hand_over(std::move(w), error::session_closed, nullptr);
}

std::size_t connection_pool::open_connections() const
{
    std::lock_guard lock(mutex_);
    return open_;
}

}  // namespace vovrest::detail
