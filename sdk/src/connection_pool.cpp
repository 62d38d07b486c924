#include <vovrest/detail/connection_pool.hpp>
#include <vovrest/error.hpp>

#include <boost/asio/error.hpp>

#include <algorithm>
#include <mutex>
#include <utility>
#include <vector>

namespace asio = boost::asio;
using boost::system::error_code;

namespace vovrest::detail {
namespace {

struct wants
{
    bool fresh = false;  // a kept-alive connection will not do
    bool ahead = false;  // ahead of the queue (the token request)
};

}  // namespace

struct connection_pool::impl : std::enable_shared_from_this<impl>
{
    using waiters_type = waiter_queue<wants, error_code, connection_ptr>;

    impl(std::size_t max, std::chrono::steady_clock::duration idle, session_observer& obs)
        : max_connections(std::max<std::size_t>(max, 1)), idle_timeout(idle), observer(obs)
    {}

    const std::size_t max_connections;
    const std::chrono::steady_clock::duration idle_timeout;
    session_observer& observer;

    mutable std::mutex mutex;
    std::vector<connection_ptr> idle;  // most recently used last
    waiters_type waiters;
    std::size_t open = 0;  // connections open or being opened
    bool shut_down = false;
    bool arming_posted = false;  // a batch of idle watches (arm_due_watches) is on its way

    // Closed and counted outside the lock.
    void drop(std::vector<connection_ptr>& dead)
    {
        for (auto& conn : dead)
        {
            conn->close();
            observer.bump(observer.connections_dropped);
            observer.emit(event_kind::connection_dropped);
        }
        dead.clear();
    }

    void note_reused()
    {
        observer.bump(observer.connections_reused);
        observer.emit(event_kind::connection_reused);
    }

    bool expired(const connection& c, std::chrono::steady_clock::time_point now) const noexcept
    {
        return now - c.idle_since >= idle_timeout || (c.retire_at && now >= *c.retire_at);
    }

    // Idle connections past idle_timeout or their server's Keep-Alive timeout. There is no sweep
    // timer on purpose: a session never keeps its io_context running on its own, so io.run()
    // returns once the caller's work is done.
    void evict_expired_locked(std::chrono::steady_clock::time_point now, std::vector<connection_ptr>& dead)
    {
        auto kept = std::remove_if(idle.begin(), idle.end(), [&](connection_ptr& c) {
            if (!expired(*c, now))
                return false;
            dead.push_back(std::move(c));
            return true;
        });
        open -= static_cast<std::size_t>(idle.end() - kept);
        idle.erase(kept, idle.end());
    }

    acquired try_place_locked(connection_ptr& conn, bool fresh, std::vector<connection_ptr>& dead)
    {
        if (shut_down)
            return acquired::closed;
        evict_expired_locked(std::chrono::steady_clock::now(), dead);
        while (!fresh && !idle.empty())
        {
            connection_ptr candidate = std::move(idle.back());
            idle.pop_back();
            if (candidate->claim())
            {
                candidate->reused = true;
                conn = std::move(candidate);
                return acquired::connection;
            }
            // The server closed it (or spoke) while idle: never written to.
            --open;
            dead.push_back(std::move(candidate));
        }
        if (!waiters.empty())
            return acquired::full;  // FIFO: those who wait come first
        if (open < max_connections)
        {
            ++open;
            return acquired::slot;
        }
        if (fresh && !idle.empty())
        {
            // Room for a new connection, made by closing the oldest idle one (its slot is reused).
            dead.push_back(std::move(idle.front()));
            idle.erase(idle.begin());
            return acquired::slot;
        }
        return acquired::full;
    }

    // The watch of an idle connection saw the server close it or send something.
    void on_activity(connection& c)
    {
        std::vector<connection_ptr> dead;
        std::unique_lock lock(mutex);
        auto it = std::find_if(idle.begin(), idle.end(), [&](const connection_ptr& p) { return p.get() == &c; });
        if (it == idle.end())
            return;  // already taken out by whoever saw it first
        dead.push_back(std::move(*it));
        idle.erase(it);
        lock.unlock();
        drop(dead);
        release_slot();
    }

    void put_idle_locked(connection_ptr conn)
    {
        conn->idle_since = std::chrono::steady_clock::now();
        if (!conn->has_activity_handler())
        {
            // Once per connection: the watch tells this pool, if it still exists.
            conn->on_activity([weak = weak_from_this()](connection& c) {
                if (auto self = weak.lock())
                    self->on_activity(c);
            });
        }
        conn->reused = true;
        // The watch is armed two turns of the event loop later, in one batch with the others that
        // went idle meanwhile: under load a connection is taken again before that and never pays
        // for a wait on its socket (a call that waited for its turn is resumed one turn after the
        // connection it takes was given back). Until it is armed, the peek before writing
        // (connection::quiet) sees a close or stray bytes all the same; the watch only notices
        // them without a request.
        conn->watch_due = 2;
        idle.push_back(std::move(conn));
        post_arming_locked(*idle.back());
    }

    // The next batch of watches, posted once however many connections go idle meanwhile.
    void post_arming_locked(connection& any)
    {
        if (arming_posted)
            return;
        arming_posted = any.post_soon([weak = weak_from_this()] {
            if (auto self = weak.lock())
                self->arm_due_watches();
        });
        if (!arming_posted)
            arm_due_watches_locked(true);  // no io_context to post to: at once
    }

    void arm_due_watches()
    {
        std::lock_guard lock(mutex);
        arming_posted = false;
        arm_due_watches_locked(false);
    }

    // Under the lock: only the connections still idle, each watched once per idle period, one
    // turn older at each batch (all at once when there is no event loop).
    void arm_due_watches_locked(bool at_once)
    {
        connection* younger = nullptr;
        for (auto& conn : idle)
        {
            if (conn->watch_due == 0)
                continue;
            if (!at_once && --conn->watch_due > 0)
            {
                younger = conn.get();
                continue;
            }
            conn->watch_due = 0;
            conn->watch();
        }
        if (younger)
            post_arming_locked(*younger);
    }

    void release(connection_ptr conn, bool reusable)
    {
        std::vector<connection_ptr> dead;
        std::unique_lock lock(mutex);
        if (reusable && !shut_down)
        {
            if (!waiters.empty())
            {
                auto w = std::move(*waiters.pop());
                connection_ptr handed = std::move(conn);
                if (w.note.fresh)
                    dead.push_back(std::move(handed));  // its slot goes to the waiter instead
                lock.unlock();
                if (handed)
                {
                    handed->reused = true;
                    note_reused();
                }
                drop(dead);
                waiters_type::complete(std::move(w), error_code{}, std::move(handed));
                return;
            }
            put_idle_locked(std::move(conn));
            evict_expired_locked(std::chrono::steady_clock::now(), dead);
            lock.unlock();
            drop(dead);
            return;
        }
        lock.unlock();
        dead.push_back(std::move(conn));
        drop(dead);
        release_slot();
    }

    void release_slot()
    {
        std::unique_lock lock(mutex);
        if (!waiters.empty() && !shut_down)
        {
            // The slot passes straight to the first waiter, which opens a new connection.
            auto w = std::move(*waiters.pop());
            lock.unlock();
            waiters_type::complete(std::move(w), error_code{}, connection_ptr{});
            return;
        }
        --open;
    }

    void park(connection_ptr conn)
    {
        std::unique_lock lock(mutex);
        const waiters_type::waiter* first = waiters.front();
        if (shut_down || (first != nullptr && first->note.ahead))
        {
            lock.unlock();
            release(std::move(conn), !shut_down);  // the token request takes it at once
            return;
        }
        put_idle_locked(std::move(conn));
    }

    // Idle connections to the queue, one each, as releases would have.
    void unpark()
    {
        for (;;)
        {
            std::vector<connection_ptr> dead;
            std::unique_lock lock(mutex);
            if (shut_down || waiters.empty() || idle.empty())
                return;
            connection_ptr candidate = std::move(idle.back());
            idle.pop_back();
            const bool alive = candidate->claim();
            if (!alive)
            {
                --open;  // closed by the server while idle: its slot goes to the waiter instead
                dead.push_back(std::move(candidate));
            }
            lock.unlock();
            drop(dead);
            if (alive)
                release(std::move(candidate), true);
            else
                release_slot();
        }
    }

    void cancel_waiter(waiters_type::key_type key)
    {
        std::unique_lock lock(mutex);
        auto w = waiters.take(key);
        lock.unlock();
        if (w)
            waiters_type::complete(std::move(*w), error_code(asio::error::operation_aborted), connection_ptr{});
    }

    void start_acquire(const asio::any_io_executor& resume_on, bool ahead_of_queue, bool fresh,
                       asio::any_completion_handler<acquire_signature> handler)
    {
        std::vector<connection_ptr> dead;
        connection_ptr conn;
        std::unique_lock lock(mutex);
        const acquired result = try_place_locked(conn, fresh, dead);
        if (result != acquired::full)
        {
            lock.unlock();
            drop(dead);
            if (conn)
                note_reused();
            const error_code ec = result == acquired::closed ? error_code(error::session_closed) : error_code{};
            waiters_type::complete(waiters_type::waiter{resume_on, std::move(handler), wants{fresh, ahead_of_queue}},
                                   ec, std::move(conn));
            return;
        }
        waiters.push(resume_on, std::move(handler), wants{fresh, ahead_of_queue}, ahead_of_queue,
                     [weak = weak_from_this()](waiters_type::key_type key, asio::cancellation_type) {
                         if (auto self = weak.lock())
                             self->cancel_waiter(key);
                     });
        lock.unlock();
        drop(dead);
    }

    void shutdown()
    {
        std::vector<connection_ptr> closing;
        waiters_type failing;
        {
            std::lock_guard lock(mutex);
            if (shut_down)
                return;
            shut_down = true;
            closing.swap(idle);
            failing = waiters.take_all();
            open -= closing.size();
        }
        for (auto& c : closing)
            c->close();
        failing.complete_all(error_code(error::session_closed), connection_ptr{});
    }
};

connection_pool::connection_pool(std::size_t max_connections, std::chrono::steady_clock::duration idle_timeout,
                                 session_observer& observer)
    : impl_(std::make_shared<impl>(max_connections, idle_timeout, observer))
{}

connection_pool::~connection_pool()
{
    impl_->shutdown();
}

connection_pool::acquired connection_pool::try_acquire(connection_ptr& conn, bool fresh)
{
    std::vector<connection_ptr> dead;
    std::unique_lock lock(impl_->mutex);
    const acquired result = impl_->try_place_locked(conn, fresh, dead);
    lock.unlock();
    impl_->drop(dead);
    if (conn)
        impl_->note_reused();
    return result;
}

void connection_pool::start_acquire(const asio::any_io_executor& resume_on, bool ahead_of_queue, bool fresh,
                                    asio::any_completion_handler<acquire_signature> handler)
{
    impl_->start_acquire(resume_on, ahead_of_queue, fresh, std::move(handler));
}

void connection_pool::release(connection_ptr conn, bool reusable)
{
    impl_->release(std::move(conn), reusable);
}

void connection_pool::release_slot()
{
    impl_->release_slot();
}

void connection_pool::park(connection_ptr conn)
{
    impl_->park(std::move(conn));
}

void connection_pool::unpark()
{
    impl_->unpark();
}

void connection_pool::shutdown()
{
    impl_->shutdown();
}

std::size_t connection_pool::open_connections() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->open;
}

}  // namespace vovrest::detail
