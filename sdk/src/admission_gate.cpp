#include <vovrest/detail/admission_gate.hpp>
#include <vovrest/error.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <utility>

namespace asio = boost::asio;
using boost::system::error_code;

namespace vovrest::detail {
namespace {

// Waiters taken out under the lock, given their turn once it is released (chained by `next`).
struct turns
{
    admission_gate::waiter* first = nullptr;
    admission_gate::waiter* last = nullptr;

    void add(admission_gate::waiter& w) noexcept
    {
        w.next = nullptr;
        (last ? last->next : first) = &w;
        last = &w;
    }

    // on_turn may free its node: the next one is read first.
    void deliver(error_code ec, bool by_cancel = false) const
    {
        for (admission_gate::waiter* w = first; w != nullptr;)
        {
            admission_gate::waiter* next = w->next;
            if (!by_cancel && w->slot.is_connected())
                w->slot.clear();  // (a cancellation handler that is running is left alone)
            w->slot = {};
            w->on_turn(*w, ec);
            w = next;
        }
    }
};

}  // namespace

struct admission_gate::state : std::enable_shared_from_this<state>
{
    state(asio::any_io_executor ex, std::size_t cap)
        : free(static_cast<std::ptrdiff_t>(std::max<std::size_t>(cap, 1))), timer(std::move(ex))
    {}

    // Taking and giving back a place with nobody waiting is one atomic operation each, no lock: a
    // call that leave()s increments `free` then looks at `queued`; one that enqueue()s increments
    // `queued` then looks at `free` (both sequentially consistent), so one of them always sees the
    // other and no place is left unused while someone waits.
    std::atomic<std::ptrdiff_t> free;    // places not taken
    std::atomic<std::size_t> queued{0};  // waiters in the queue
    std::atomic<bool> opened{false};

    // Under the mutex: the queue, the timer.
    mutable std::mutex mutex;
    asio::steady_timer timer;
    waiter* head = nullptr;
    waiter* tail = nullptr;
    // The deadline the timer waits for; max() when no wait is pending.
    clock::time_point armed_for = clock::time_point::max();

    bool take_place() noexcept
    {
        auto f = free.load(std::memory_order_relaxed);
        while (f > 0)
            if (free.compare_exchange_weak(f, f - 1, std::memory_order_seq_cst))
                return true;
        return false;
    }

    void push_locked(waiter& w) noexcept
    {
        w.prev = tail;
        w.next = nullptr;
        (tail ? tail->next : head) = &w;
        tail = &w;
        w.queued = true;
    }

    void unlink_locked(waiter& w) noexcept
    {
        (w.prev ? w.prev->next : head) = w.next;
        (w.next ? w.next->prev : tail) = w.prev;
        w.prev = w.next = nullptr;
        w.queued = false;
        queued.fetch_sub(1, std::memory_order_seq_cst);
    }

    // Every free place to the waiters, first come first.
    void drain_locked(turns& served)
    {
        while (head != nullptr && take_place())
        {
            waiter& w = *head;
            unlink_locked(w);
            served.add(w);
        }
        arm_locked();
    }

    // Lazily: a timer armed for an earlier deadline than the first waiter's fires, finds nobody
    // due and re-arms; an empty queue cancels it.
    void arm_locked()
    {
        if (head == nullptr)
        {
            if (armed_for != clock::time_point::max())
            {
                armed_for = clock::time_point::max();
                timer.cancel();
            }
            return;
        }
        if (armed_for != clock::time_point::max() || head->deadline == clock::time_point::max())
            return;
        armed_for = head->deadline;
        timer.expires_at(armed_for);
        timer.async_wait([weak = weak_from_this()](error_code ec) {
            if (ec)
                return;  // cancelled, or re-armed
            if (auto self = weak.lock())
                self->on_timer();
        });
    }

    void on_timer()
    {
        turns due;
        {
            std::lock_guard lock(mutex);
            const auto now = clock::now();
            while (head != nullptr && head->deadline <= now)
            {
                waiter& w = *head;
                unlink_locked(w);
                due.add(w);
            }
            if (armed_for <= now)
                armed_for = clock::time_point::max();  // this was the pending wait: arm the next
            arm_locked();
        }
        due.deliver(error::timeout);
    }

    void on_cancel(waiter& w)
    {
        turns cancelled;
        {
            std::lock_guard lock(mutex);
            if (!w.queued)
                return;  // its turn came already
            unlink_locked(w);
            cancelled.add(w);
            arm_locked();
        }
        cancelled.deliver(asio::error::operation_aborted, true);
    }
};

admission_gate::admission_gate(asio::any_io_executor timer_executor, std::size_t capacity)
    : state_(std::make_shared<state>(std::move(timer_executor), capacity))
{}

admission_gate::~admission_gate()
{
    open();
}

bool admission_gate::try_enter()
{
    if (state_->opened.load(std::memory_order_acquire))
        return true;
    if (state_->queued.load(std::memory_order_seq_cst) != 0)
        return false;  // FIFO: those who wait come first
    return state_->take_place();
}

void admission_gate::enqueue(waiter& w)
{
    // Installed before the node is queued: once queued, another thread may give it its turn.
    if (w.slot.is_connected())
        w.slot.assign([weak = std::weak_ptr<state>(state_), node = &w](asio::cancellation_type) {
            if (auto self = weak.lock())
                self->on_cancel(*node);
        });
    turns now;
    {
        std::lock_guard lock(state_->mutex);
        if (state_->opened.load(std::memory_order_relaxed))  // set under this lock
            now.add(w);
        else
        {
            state_->queued.fetch_add(1, std::memory_order_seq_cst);
            state_->push_locked(w);
            state_->drain_locked(now);  // a place that came free since try_enter(), in FIFO order
        }
    }
    now.deliver(error_code());
}

void admission_gate::leave()
{
    state_->free.fetch_add(1, std::memory_order_seq_cst);
    if (state_->queued.load(std::memory_order_seq_cst) == 0)
        return;
    // The place goes to the first waiter: whoever arrives now queues behind it.
    turns next;
    {
        std::lock_guard lock(state_->mutex);
        state_->drain_locked(next);
    }
    next.deliver(error_code());
}

void admission_gate::open()
{
    turns all;
    {
        std::lock_guard lock(state_->mutex);
        state_->opened.store(true, std::memory_order_release);
        while (state_->head != nullptr)
        {
            waiter& w = *state_->head;
            state_->unlink_locked(w);
            all.add(w);
        }
        state_->arm_locked();
    }
    all.deliver(error_code());
}

std::size_t admission_gate::waiting() const
{
    return state_->queued.load(std::memory_order_relaxed);
}

}  // namespace vovrest::detail
