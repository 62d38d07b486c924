// Where the layers of a session report what happened: atomic counters readable at any time, and
// the user's event hook. Thread-safety: every member may be called from any thread at once.
#pragma once

#include <vovrest/events.hpp>

#include <atomic>
#include <cstdint>
#include <utility>

namespace vovrest::detail {

class session_observer
{
public:
    explicit session_observer(event_hook hook = {}) : hook_(std::move(hook)) {}

    bool has_hook() const noexcept { return static_cast<bool>(hook_); }

    // Calls the hook, if any. Never pass a secret in event.detail.
    void emit(const session_event& event) const
    {
        if (hook_)
            hook_(event);
    }
    void emit(event_kind kind, std::uint64_t generation = 0) const
    {
        if (hook_)
        {
            session_event event{kind};
            event.waiters = waiters_now.load(std::memory_order_relaxed);
            event.generation = generation;
            hook_(event);
        }
    }

    session_counters snapshot() const noexcept
    {
        session_counters c;
        c.token_requests = token_requests.load(std::memory_order_relaxed);
        c.token_cache_hits = token_cache_hits.load(std::memory_order_relaxed);
        c.renewals_proactive = renewals_proactive.load(std::memory_order_relaxed);
        c.renewals_on_401 = renewals_on_401.load(std::memory_order_relaxed);
        c.renewals_forced = renewals_forced.load(std::memory_order_relaxed);
        c.renewal_failures = renewal_failures.load(std::memory_order_relaxed);
        c.waiters = waiters.load(std::memory_order_relaxed);
        c.waiters_now = waiters_now.load(std::memory_order_relaxed);
        c.replays = replays.load(std::memory_order_relaxed);
        c.retries = retries.load(std::memory_order_relaxed);
        c.requests = requests.load(std::memory_order_relaxed);
        c.connections_opened = connections_opened.load(std::memory_order_relaxed);
        c.connections_reused = connections_reused.load(std::memory_order_relaxed);
        c.connections_dropped = connections_dropped.load(std::memory_order_relaxed);
        return c;
    }

    static void bump(std::atomic<std::uint64_t>& counter) noexcept { counter.fetch_add(1, std::memory_order_relaxed); }

    std::atomic<std::uint64_t> token_requests{0};
    std::atomic<std::uint64_t> token_cache_hits{0};
    std::atomic<std::uint64_t> renewals_proactive{0};
    std::atomic<std::uint64_t> renewals_on_401{0};
    std::atomic<std::uint64_t> renewals_forced{0};
    std::atomic<std::uint64_t> renewal_failures{0};
    std::atomic<std::uint64_t> waiters{0};
    std::atomic<std::uint64_t> waiters_now{0};
    std::atomic<std::uint64_t> replays{0};
    std::atomic<std::uint64_t> retries{0};
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> connections_opened{0};
    std::atomic<std::uint64_t> connections_reused{0};
    std::atomic<std::uint64_t> connections_dropped{0};

private:
    event_hook hook_;
};

}  // namespace vovrest::detail
