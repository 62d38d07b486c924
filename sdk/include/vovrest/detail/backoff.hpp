// The one backoff rule of the SDK (token renewals, request retries, batch submission): the n-th
// retry waits `initial` doubled n-1 times, capped at `max`, minus up to half of it at random so
// that many clients do not come back in the same instant; a wait the server asked for
// (Retry-After) is never shortened.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

namespace vovrest::detail {

// `retry` counts from 1; `jitter` is uniform in [0, 1).
inline std::chrono::steady_clock::duration backoff_delay(std::chrono::steady_clock::duration initial,
                                                         std::chrono::steady_clock::duration max, unsigned retry,
                                                         double jitter,
                                                         std::optional<std::chrono::steady_clock::duration> asked = {})
{
    using duration = std::chrono::steady_clock::duration;
    duration base = std::max(initial, duration::zero());
    max = std::max(max, duration::zero());
    for (unsigned i = 1; i < retry && base < max; ++i)
        base *= 2;
    base = std::min(base, max);
    jitter = std::isfinite(jitter) ? std::clamp(jitter, 0.0, 1.0) : 0.0;
    duration delay = base - std::chrono::duration_cast<duration>(base * (0.5 * jitter));
    if (asked)
        delay = std::max(delay, *asked);
    return std::max(delay, duration::zero());
}

}  // namespace vovrest::detail
