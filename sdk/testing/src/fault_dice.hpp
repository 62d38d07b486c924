// The fake server's dice for its fault fractions: one seeded generator shared by every
// connection, so that a seed replays the same sequence of faults (given the same order of
// requests). Private to vovrest::testing. Thread-safety: roll() may be called from any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <random>

namespace vovrest::testing::detail {

class fault_dice
{
public:
    explicit fault_dice(std::uint64_t seed) : engine_(seed) {}

    // True with probability `fraction`; 0 and 1 never consume a number, so that turning one
    // knob fully on or off does not shift the sequence the other knobs see.
    bool roll(double fraction)
    {
        if (!(fraction > 0.0))
            return false;
        if (fraction >= 1.0)
            return true;
        std::lock_guard lock(mutex_);
        return std::uniform_real_distribution<double>(0.0, 1.0)(engine_) < fraction;
    }

private:
    std::mutex mutex_;
    std::mt19937_64 engine_;
};

}  // namespace vovrest::testing::detail
