#include "job_journal.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <fstream>
#include <stdexcept>
#include <vector>

namespace vovrest::testing::detail {
namespace {

namespace json = boost::json;

std::int64_t to_millis(job_journal::wall_time t)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

json::object spec_object(const job_spec& spec)
{
    return json::object{
        {"command", spec.command},   {"rundir", spec.rundir},       {"env", spec.env},
        {"jobname", spec.jobname},   {"resources", spec.resources}, {"priority", spec.priority},
        {"jobclass", spec.jobclass}, {"group", spec.group},         {"logfile", spec.logfile},
    };
}

std::string text(const json::object& o, std::string_view key)
{
    const json::value* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string{};
}

job_spec spec_from(const json::object& o)
{
    job_spec spec;
    spec.command = text(o, "command");
    spec.rundir = text(o, "rundir");
    spec.env = text(o, "env");
    spec.jobname = text(o, "jobname");
    spec.resources = text(o, "resources");
    if (const json::value* p = o.if_contains("priority"); p != nullptr && p->is_int64())
        spec.priority = p->as_int64();
    spec.jobclass = text(o, "jobclass");
    spec.group = text(o, "group");
    spec.logfile = text(o, "logfile");
    return spec;
}

std::runtime_error corrupt(const std::string& path, std::size_t line, const std::string& why)
{
    return std::runtime_error("fake_server: state file " + path + " line " + std::to_string(line) + ": " + why);
}

}  // namespace

job_journal::job_journal(const std::string& path, job_store& store, steady_time steady_now, wall_time wall_now,
                         replayed& out)
    : path_(path)
{
    std::vector<std::string> lines;
    {
        std::ifstream in(path);
        for (std::string line; std::getline(in, line);)
            lines.push_back(std::move(line));
        if (in.bad())
            throw std::runtime_error("fake_server: cannot read state file " + path);
    }
    for (std::size_t n = 0; n < lines.size(); ++n)
    {
        if (lines[n].empty())
            continue;
        boost::system::error_code ec;
        json::value v = json::parse(lines[n], ec);
        if (ec || !v.is_object())
        {
            if (n + 1 == lines.size())
                break;  // the last record, cut short by a kill: it was never acknowledged
            throw corrupt(path, n + 1, "not a JSON object");
        }
        const json::object& record = v.as_object();
        const json::value* op = record.if_contains("op");
        const json::value* id = record.if_contains("id");
        const json::value* at = record.if_contains("at_ms");
        if (op == nullptr || !op->is_string() || id == nullptr || !id->is_int64() || at == nullptr || !at->is_int64())
            throw corrupt(path, n + 1, "a record needs op, id and at_ms");
        const auto wall = wall_time(std::chrono::milliseconds(at->as_int64()));
        const auto steady =
            steady_now - std::chrono::duration_cast<std::chrono::steady_clock::duration>(wall_now - wall);
        store.advance(steady);
        const std::string_view what = op->as_string();
        if (what == "submit")
        {
            const json::value* spec = record.if_contains("spec");
            if (spec == nullptr || !spec->is_object())
                throw corrupt(path, n + 1, "a submit record needs a spec");
            auto done = store.submit(text(record, "user"), spec_from(spec->as_object()), steady, wall);
            if (done.id != id->as_int64())
                throw corrupt(path, n + 1, "job id " + std::to_string(id->as_int64()) + " out of sequence");
            ++out.jobs_created;
            out.duplicates += done.duplicate;
            continue;
        }
        job* j = store.find(id->as_int64());
        if (j == nullptr)
            continue;  // forgotten by its lifecycle before this record: nothing to change
        if (what == "stop")
            store.stop(*j, steady);
        else if (what == "suspend")
            store.suspend(*j, steady);
        else if (what == "resume")
            store.resume(*j, steady);
        else if (what == "spec" && record.contains("spec") && record.at("spec").is_object())
            j->spec = spec_from(record.at("spec").as_object());
        else if (what == "forget")
            store.forget(j->id);
        else
            throw corrupt(path, n + 1, "unknown record '" + std::string(what) + "'");
    }
    file_ = std::fopen(path.c_str(), "a");
    if (file_ == nullptr)
        throw std::runtime_error("fake_server: cannot write state file " + path);
}

job_journal::~job_journal()
{
    if (file_ != nullptr)
        std::fclose(file_);
}

void job_journal::append(const std::string& line)
{
    // One write and a flush per record: in the kernel before the change is answered, so a kill
    // of the process cannot lose an acknowledged job.
    const bool ok = std::fwrite(line.data(), 1, line.size(), file_) == line.size() && std::fputc('\n', file_) != EOF
                    && std::fflush(file_) == 0;
    if (!ok && !write_failed_)
    {
        write_failed_ = true;
        std::fprintf(stderr, "vovrest fake_server: cannot append to state file %s\n", path_.c_str());
    }
}

void job_journal::submitted(std::int64_t id, const std::string& user, const job_spec& spec, wall_time when)
{
    append(json::serialize(json::object{
        {"op", "submit"}, {"id", id}, {"at_ms", to_millis(when)}, {"user", user}, {"spec", spec_object(spec)}}));
}

void job_journal::controlled(std::int64_t id, std::string_view action, wall_time when)
{
    append(json::serialize(json::object{{"op", action}, {"id", id}, {"at_ms", to_millis(when)}}));
}

void job_journal::modified(std::int64_t id, const job_spec& spec, wall_time when)
{
    append(json::serialize(
        json::object{{"op", "spec"}, {"id", id}, {"at_ms", to_millis(when)}, {"spec", spec_object(spec)}}));
}

void job_journal::forgotten(std::int64_t id, wall_time when)
{
    append(json::serialize(json::object{{"op", "forget"}, {"id", id}, {"at_ms", to_millis(when)}}));
}

}  // namespace vovrest::testing::detail
