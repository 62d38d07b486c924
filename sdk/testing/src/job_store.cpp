#include "job_store.hpp"

#include <array>
#include <cstdio>

namespace vovrest::testing::detail {

namespace {

bool is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// The failure rule: a command fails when one of its words (runs of [A-Za-z0-9_]) is "fail" or
// "false", in any case: "/bin/false", "run --fail", "FAIL now"; not "failover" or "false_alarm".
bool command_fails(std::string_view command)
{
    std::size_t i = 0;
    while (i < command.size())
    {
        while (i < command.size() && !is_word_char(command[i]))
            ++i;
        std::size_t begin = i;
        while (i < command.size() && is_word_char(command[i]))
            ++i;
        std::string word;
        for (std::size_t k = begin; k < i; ++k)
            word += lower(command[k]);
        if (word == "fail" || word == "false")
            return true;
    }
    return false;
}

std::int64_t wall_seconds(const job& j, std::chrono::steady_clock::time_point t)
{
    auto wall = j.submitted_wall + std::chrono::duration_cast<std::chrono::system_clock::duration>(t - j.submitted);
    return std::chrono::floor<std::chrono::seconds>(wall.time_since_epoch()).count();
}

constexpr std::array<std::string_view, job_store::field_count> job_field_names = {
    "id",         "idint",     "jobname",  "user",     "command",    "rundir",  "env",
    "status",     "host",      "priority", "jobclass", "group",      "logfile", "resources",
    "submittime", "starttime", "endtime",  "duration", "exitstatus",
};

}  // namespace

std::string_view to_string(job_status status)
{
    switch (status)
    {
    case job_status::scheduled: return "SCHEDULED";
    case job_status::running: return "RUNNING";
    case job_status::suspended: return "SUSPENDED";
    case job_status::valid: return "VALID";
    case job_status::failed: return "FAILED";
    }
    return "INVALID";
}

job_store::submitted job_store::submit(std::string user, job_spec spec, steady_time now,
                                       std::chrono::system_clock::time_point wall_now)
{
    submitted result;
    result.id = next_id_++;
    result.duplicate = !submissions_seen_.insert(spec.command + '\n' + spec.jobname).second;
    job j;
    j.id = result.id;
    j.user = std::move(user);
    j.fails = command_fails(spec.command);
    j.spec = std::move(spec);
    j.submitted = now;
    j.submitted_wall = wall_now;
    auto [it, inserted] = jobs_.emplace(j.id, std::move(j));
    schedule(it->second, now + timing_.schedule_delay);
    return result;
}

void job_store::schedule(job& j, steady_time when)
{
    j.deadline = when;
    ++j.generation;
    events_.push({when, j.id, j.generation});
}

void job_store::finish(job& j, steady_time when)
{
    j.ended = when;
    ++j.generation;
    if (timing_.forget_after)
        events_.push({when + *timing_.forget_after, j.id, j.generation});
}

void job_store::advance(steady_time now)
{
    while (!events_.empty() && events_.top().when <= now)
    {
        event e = events_.top();
        events_.pop();
        auto it = jobs_.find(e.id);
        if (it == jobs_.end() || it->second.generation != e.generation)
            continue;  // forgotten, or its schedule changed since
        job& j = it->second;
        switch (j.status)
        {
        case job_status::scheduled:
            j.status = job_status::running;
            j.started = e.when;
            schedule(j, e.when + timing_.run_time);
            break;
        case job_status::running:
            j.status = j.fails ? job_status::failed : job_status::valid;
            j.exitstatus = j.fails ? failed_exitstatus : 0;
            finish(j, e.when);
            break;
        case job_status::valid:
        case job_status::failed:
            jobs_.erase(it);  // the forget event
            break;
        case job_status::suspended: break;  // no event is pending while suspended
        }
    }
}

job* job_store::find(std::int64_t id)
{
    auto it = jobs_.find(id);
    return it == jobs_.end() ? nullptr : &it->second;
}

bool job_store::forget(std::int64_t id)
{
    return jobs_.erase(id) != 0;
}

bool job_store::stop(job& j, steady_time now)
{
    if (j.status == job_status::valid || j.status == job_status::failed)
        return true;  // already over: nothing to stop
    j.status = job_status::failed;
    j.stopped = true;
    j.exitstatus = stopped_exitstatus;
    finish(j, now);
    return true;
}

bool job_store::suspend(job& j, steady_time now)
{
    switch (j.status)
    {
    case job_status::suspended: return true;
    case job_status::scheduled:
    case job_status::running:
        j.status_before_suspend = j.status;
        j.status = job_status::suspended;
        j.remaining = j.deadline > now ? j.deadline - now : std::chrono::steady_clock::duration{};
        ++j.generation;
        return true;
    case job_status::valid:
    case job_status::failed: break;
    }
    return false;
}

bool job_store::resume(job& j, steady_time now)
{
    switch (j.status)
    {
    case job_status::suspended:
        j.status = j.status_before_suspend;
        schedule(j, now + j.remaining);
        return true;
    case job_status::scheduled:
    case job_status::running: return true;
    case job_status::valid:
    case job_status::failed: break;
    }
    return false;
}

std::span<const std::string_view> job_store::fields()
{
    return job_field_names;
}

namespace {

// One field of a job as a cell, by its index in job_field_names.
cell field_cell(const job& j, std::size_t field, std::chrono::steady_clock::time_point now)
{
    switch (field)
    {
    case 0:
    {
        char padded[32];
        std::snprintf(padded, sizeof padded, "%09lld", static_cast<long long>(j.id));
        return cell{std::string(padded)};
    }
    case 1: return cell{j.id};
    case 2: return cell{j.spec.jobname};
    case 3: return cell{j.user};
    case 4: return cell{j.spec.command};
    case 5: return cell{j.spec.rundir};
    case 6: return cell{j.spec.env};
    case 7: return cell{std::string(to_string(j.status))};
    case 8: return cell{std::string("fakehost")};
    case 9: return cell{j.spec.priority};
    case 10: return cell{j.spec.jobclass};
    case 11: return cell{j.spec.group};
    case 12: return cell{j.spec.logfile};
    case 13: return cell{j.spec.resources};
    case 14: return cell{wall_seconds(j, j.submitted)};
    case 15: return cell{j.started ? wall_seconds(j, *j.started) : std::int64_t{0}};
    case 16: return cell{j.ended ? wall_seconds(j, *j.ended) : std::int64_t{0}};
    case 17:
        if (!j.started)
            return cell{std::int64_t{0}};
        return cell{static_cast<std::int64_t>(
            std::chrono::duration_cast<std::chrono::seconds>((j.ended ? *j.ended : now) - *j.started).count())};
    case 18: return cell{j.exitstatus};
    default: return cell{std::int64_t{0}};
    }
}

}  // namespace

std::vector<cell> job_store::row(const job& j, steady_time now)
{
    std::vector<cell> out;
    out.reserve(field_count);
    for (std::size_t field = 0; field < field_count; ++field)
        out.push_back(field_cell(j, field, now));
    return out;
}

std::vector<std::vector<cell>> job_store::rows(steady_time now, const field_mask& needed,
                                               const std::function<bool(const std::vector<cell>&)>& keep,
                                               std::size_t max_rows) const
{
    std::vector<std::vector<cell>> out;
    std::vector<cell> scratch(field_count, cell{std::int64_t{0}});
    for (const auto& [id, j] : jobs_)
    {
        for (std::size_t field = 0; field < field_count; ++field)
            if (needed.test(field))
                scratch[field] = field_cell(j, field, now);
        if (!keep || keep(scratch))
            out.push_back(scratch);
        if (max_rows != 0 && out.size() == max_rows)
            break;
    }
    return out;
}

}  // namespace vovrest::testing::detail
