// The fake server's state file: every change to the jobs (submitted, controlled, modified,
// forgotten) appended as one JSON line and flushed to the kernel before the change is answered,
// so that a killed process loses nothing it acknowledged; replayed into a job_store when a
// server starts with the same file. Times are wall-clock milliseconds, mapped back onto the
// steady clock at replay, so the simulated lifecycle goes on where it was. A last line cut short
// by a kill is ignored. Not thread-safe: the service calls it under its mutex.
#pragma once

#include "job_store.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace vovrest::testing::detail {

class job_journal
{
public:
    using wall_time = std::chrono::system_clock::time_point;
    using steady_time = std::chrono::steady_clock::time_point;

    // What the replay found, for the counters that span every run sharing the file.
    struct replayed
    {
        std::uint64_t jobs_created = 0;
        std::uint64_t duplicates = 0;
    };

    // Opens `path` (created if absent) and replays it into `store`, whose clocks read
    // steady_now / wall_now at this moment. Throws std::runtime_error for a file that cannot be
    // opened or read (a line that is not a record, an id out of sequence).
    job_journal(const std::string& path, job_store& store, steady_time steady_now, wall_time wall_now, replayed& out);
    ~job_journal();
    job_journal(const job_journal&) = delete;
    job_journal& operator=(const job_journal&) = delete;

    void submitted(std::int64_t id, const std::string& user, const job_spec& spec, wall_time when);
    void controlled(std::int64_t id, std::string_view action, wall_time when);  // stop, suspend, resume
    void modified(std::int64_t id, const job_spec& spec, wall_time when);       // the spec after a PATCH
    void forgotten(std::int64_t id, wall_time when);

private:
    void append(const std::string& line);

    std::FILE* file_ = nullptr;
    std::string path_;
    bool write_failed_ = false;
};

}  // namespace vovrest::testing::detail
