// Callers waiting for something another party hands out — a token (token_pipeline), a connection
// (connection_pool) — in one primitive: each waiter is resumed by posting its completion to the
// executor it runs on, never inline inside the party that hands out; each can be taken out alone
// when it is cancelled; waiters `ahead` (the token request) are served before the others, each
// group in arrival order.
// Thread-safety: none of its own; the owner guards it with the mutex that guards what it hands out.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/recycling_allocator.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <utility>
#include <variant>

namespace vovrest::detail {

// `Note` is what the owner keeps of each waiter besides its handler (the pool: whether a fresh
// connection is wanted); std::monostate when nothing.
template <class Note, class... Args>
class waiter_queue
{
public:
    using handler_type = boost::asio::any_completion_handler<void(Args...)>;
    using key_type = std::uint64_t;

    struct waiter
    {
        boost::asio::any_io_executor resume_on;  // where the completion runs: the handler's own
        handler_type handler;
        Note note;
    };

    bool empty() const noexcept { return waiters_.empty(); }
    std::size_t size() const noexcept { return waiters_.size(); }

    // Queues a waiter and returns its key. The handler's cancellation slot, if connected, is given
    // `on_cancel(key)`: it should lock the owner, take(key) and complete the waiter as cancelled.
    template <class OnCancel>
    key_type push(boost::asio::any_io_executor resume_on, handler_type handler, Note note, bool ahead,
                  OnCancel on_cancel)
    {
        const key_type key = ahead ? next_ahead_++ : next_++;
        auto slot = boost::asio::get_associated_cancellation_slot(handler);
        // A map, not a deque: an any_completion_handler must never be move-assigned (Boost 1.81's
        // move assignment recurses without end), and a map never assigns its elements.
        // Keys grow in each group: a new one goes at the end of its group (constant time).
        const auto where = ahead ? waiters_.lower_bound(key_type(1) << 63) : waiters_.end();
        waiters_.emplace_hint(where, key, waiter{std::move(resume_on), std::move(handler), std::move(note)});
        if (slot.is_connected())
            slot.assign(
                [on_cancel = std::move(on_cancel), key](boost::asio::cancellation_type type) { on_cancel(key, type); });
        return key;
    }

    // The first waiter (without taking it out); nullptr when none waits.
    const waiter* front() const noexcept { return waiters_.empty() ? nullptr : &waiters_.begin()->second; }

    // The first waiter, taken out; nullopt when none waits.
    std::optional<waiter> pop()
    {
        if (waiters_.empty())
            return std::nullopt;
        auto node = waiters_.extract(waiters_.begin());
        return std::move(node.mapped());
    }

    // The waiter with that key, taken out; nullopt when it was already served.
    std::optional<waiter> take(key_type key)
    {
        auto it = waiters_.find(key);
        if (it == waiters_.end())
            return std::nullopt;
        auto node = waiters_.extract(it);
        return std::move(node.mapped());
    }

    // Every waiter, taken out, to be completed once the owner's lock is released.
    waiter_queue take_all()
    {
        waiter_queue all;
        all.waiters_.swap(waiters_);
        return all;
    }

    // Completes every waiter of this queue with the same arguments.
    template <class... Values>
    void complete_all(const Values&... values)
    {
        for (auto& [key, w] : waiters_)
            complete(std::move(w), values...);
        waiters_.clear();
    }

    // Posted to the waiter's executor, never run inside the caller of complete(). The handler is
    // called there directly, not through its type-erased associated executor (that costs two
    // allocations and a dispatch): `resume_on` must be the executor the handler belongs on.
    template <class... Values>
    static void complete(waiter w, Values&&... values)
    {
        boost::asio::post(w.resume_on, [h = std::move(w.handler), ... v = std::forward<Values>(values)]() mutable {
            std::move(h)(std::move(v)...);
        });
    }

private:
    using map_type = std::map<key_type, waiter, std::less<key_type>,
                              boost::asio::recycling_allocator<std::pair<const key_type, waiter>>>;
    map_type waiters_;
    key_type next_ahead_ = 0;
    key_type next_ = key_type(1) << 63;
};

}  // namespace vovrest::detail
