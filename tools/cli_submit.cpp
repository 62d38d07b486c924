// vovrest submit: one job from the command line, or one per line of a file (like `nc run -f`)
// through submit_many, answered line for line in input order. The job-description options apply
// to the single job and are the defaults of every job of a file; unset ones fall back on the
// variables `nc run` reads (NC_DEFAULT_JOBCLASS, VOV_ENV, VOV_JOBPROJ/LM_PROJECT/RLM_PROJECT)
// and on the current directory for rundir, as `nc run` does.
#include "cli_commands.hpp"
#include "cli_output.hpp"
#include "cli_progress.hpp"

#include <vovrest/jobs.hpp>
#include <vovrest/submit_many.hpp>

#include <boost/json/object.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>

namespace vovrest::cli {
namespace {

namespace asio = boost::asio;

struct submit_options
{
    std::vector<std::string> command;
    std::string file;
    std::size_t concurrency = 32;
    bool summary = false;
    bool reconcile = true;
    std::string tag;  // empty: the SDK's default prefix
    // The job description; empty: the environment's default, else the server's.
    std::string rundir, env, jobname, resources, priority, jobclass, group, logfile;
    std::vector<std::string> set;  // KEY=VALUE
};

std::string environment(const char* name)
{
    const char* value = std::getenv(name);
    return value ? value : "";
}

// The current directory as the shell names it ($PWD, when it is the current directory: it keeps
// the logical path Accelerator's equivalences know), else as the kernel does.
std::string current_directory()
{
    const std::string pwd = environment("PWD");
    struct stat a
    {
    }, b{};
    if (!pwd.empty() && pwd.front() == '/' && ::stat(pwd.c_str(), &a) == 0 && ::stat(".", &b) == 0
        && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return pwd;
    std::string buffer(4096, '\0');
    if (::getcwd(buffer.data(), buffer.size()) == nullptr)
        return {};
    buffer.resize(buffer.find('\0'));
    return buffer;
}

// The job description common to every job: options first, then what `nc run` would take from
// the environment.
job_spec common_spec(const submit_options& o)
{
    job_spec spec;
    spec.rundir = o.rundir.empty() ? current_directory() : o.rundir;
    spec.jobclass = o.jobclass.empty() ? environment("NC_DEFAULT_JOBCLASS") : o.jobclass;
    spec.env = o.env;
    if (spec.env.empty())
    {
        // nc run uses VOV_ENV as a named environment; empty, DEFAULT or a SNAPSHOT mean an
        // environment snapshot, which only nc run can take: then the server's default applies.
        const std::string named = environment("VOV_ENV");
        if (!named.empty() && named != "DEFAULT" && named.find("SNAPSHOT") == std::string::npos)
            spec.env = named;
    }
    spec.resources = o.resources;
    spec.priority = o.priority;
    spec.group = o.group;
    spec.logfile = o.logfile;
    spec.jobname = o.jobname;
    for (const char* variable : {"VOV_JOBPROJ", "LM_PROJECT", "RLM_PROJECT"})
    {
        if (const std::string project = environment(variable); !project.empty())
        {
            spec.extra["jobproj"] = project;
            break;
        }
    }
    for (const auto& pair : o.set)
    {
        const auto eq = pair.find('=');
        if (eq == std::string::npos || eq == 0)
            throw usage_error("submit: --set: expected KEY=VALUE, got '" + pair + "'");
        spec.extra[pair.substr(0, eq)] = pair.substr(eq + 1);
    }
    return spec;
}

// A line of the file without its surrounding blanks; empty for lines to skip.
std::string_view job_line(std::string_view line)
{
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
        line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
        line.remove_suffix(1);
    if (line.starts_with('#'))
        return {};
    return line;
}

struct job_file
{
    std::vector<job_spec> specs;
    std::vector<std::size_t> lines;  // each job's line number in the file
};

job_file read_jobs(const submit_options& o, const job_spec& common)
{
    std::ifstream file;
    std::istream* in = &std::cin;
    if (o.file != "-")
    {
        file.open(o.file);
        if (!file)
            throw cli_failure(exit_failure, "cannot read " + o.file);
        in = &file;
    }
    job_file jobs;
    std::string line;
    for (std::size_t number = 1; std::getline(*in, line); ++number)
    {
        std::string_view command = job_line(line);
        if (command.empty())
            continue;
        job_spec spec = common;
        spec.command = std::string(command);
        if (!common.jobname.empty())
            spec.jobname = common.jobname + "-" + std::to_string(number);
        jobs.specs.push_back(std::move(spec));
        jobs.lines.push_back(number);
    }
    return jobs;
}

// The failure of one job: the server's text (or the error's), the client's cause, and the HTTP
// status in text output (JSON has it apart).
std::string reason(const submit_result& r, bool with_status = true)
{
    if (r.unknown())
        return "outcome unknown";
    std::string text = r.diag.server_message.empty() ? r.error.message() : r.diag.server_message;
    if (!r.diag.client_message.empty())
        text += ": " + r.diag.client_message;
    if (with_status && r.diag.http_status != 0)
        text += " (HTTP " + std::to_string(r.diag.http_status) + ")";
    return text;
}

asio::awaitable<int> run_one(session& s, const global_options& o, job_spec spec)
{
    job_id id = co_await jobs::submit(s, std::move(spec));
    if (o.json())
    {
        boost::json::object line;
        line["id"] = id.to_string();
        print_line(json_text(line));
    }
    else
        print_line(id.to_string());
    co_return exit_ok;
}

asio::awaitable<int> run_file(session& s, const global_options& g, std::shared_ptr<const submit_options> o,
                              job_spec common)
{
    const job_file jobs = read_jobs(*o, common);
    const auto start = std::chrono::steady_clock::now();
    submit_many_options options;
    options.concurrency = o->concurrency;
    options.reconcile = o->reconcile;
    if (!o->tag.empty())
        options.tag_prefix = o->tag;
    std::shared_ptr<progress_bar> bar;
    if (!g.no_progress && ::isatty(STDERR_FILENO) && !jobs.specs.empty())
        bar = std::make_shared<progress_bar>(stderr);
    // The last progress: the summary's reconciliation counts.
    auto last = std::make_shared<submit_progress>();
    options.on_progress = [bar, last](const submit_progress& p) {
        *last = p;
        if (bar)
            bar->update(p);
    };
    const std::vector<submit_result> results = co_await submit_many(s, jobs.specs, std::move(options));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    submit_progress total;
    total.total = results.size();
    for (const auto& r : results)
    {
        ++total.done;
        if (r.submitted())
            ++total.succeeded;
        else if (r.unknown())
            ++total.unknown;
        else
            ++total.failed;
    }
    // The bar's last state ends its line before anything else reaches the terminal.
    if (bar)
        bar->finish(total);
    for (std::size_t i = 0; i < results.size(); ++i)
    {
        const submit_result& r = results[i];
        if (g.json())
        {
            boost::json::object line;
            line["line"] = jobs.lines[i];
            if (r.submitted())
            {
                line["id"] = r.id->to_string();
                if (r.found_by_query)
                    line["found_by_query"] = true;
            }
            else
            {
                line["error"] = reason(r, false);
                line["unknown"] = r.unknown();
                if (r.diag.http_status != 0)
                    line["http_status"] = r.diag.http_status;
            }
            print_line(json_text(line));
        }
        else if (r.submitted())
            print_line(r.id->to_string());
        else
            print_line("error: " + printable_line(reason(r)));
    }
    std::cout.flush();
    if (o->summary)
    {
        const auto counters = s.counters();
        boost::json::object line;
        line["created"] = total.succeeded;
        line["reconciled_found"] = last->found;
        line["resubmitted"] = last->resubmitted;
        line["failed"] = total.failed;
        line["unknown"] = total.unknown;
        line["seconds"] = seconds;
        line["jobs_per_s"] = seconds > 0 ? static_cast<double>(total.succeeded) / seconds : 0.0;
        line["token_requests"] = counters.token_requests - counters.token_cache_hits;  // POSTs sent
        line["replays"] = counters.replays;
        std::cerr << json_text(line) << std::endl;
    }
    co_return total.succeeded == total.total ? exit_ok : exit_failure;
}

}  // namespace

void add_submit_command(CLI::App& app, global_options& g, command& out)
{
    auto* sub = app.add_subcommand("submit", "submit one job (-- COMMAND ARGS...) or one per line of a file");
    sub->footer("vovrest submit [OPTIONS] [--] COMMAND [ARG...]\n"
                "  submits one job and prints its id. A single COMMAND word is sent as the command line\n"
                "  it holds (\"make -j4 && ./test\"); several words are quoted for /bin/sh and joined. Put\n"
                "  the command after -- when it has options of its own.\n"
                "vovrest submit --file FILE [--concurrency N] [--summary] [--no-reconcile] [--tag PREFIX] [OPTIONS]\n"
                "  submits one job per line of FILE (- for standard input; empty lines and lines starting\n"
                "  with # are skipped), N at a time, and prints one line per job in the order of the file:\n"
                "  its id, or \"error: <reason>\". Every job is created exactly once: each carries a tag in\n"
                "  its jobname, PREFIX-<batch>-<index> (PREFIX from --tag, default vovrest; with --jobname N:\n"
                "  N-<line number>.PREFIX-<batch>-<index>), and a job whose answer was lost is looked for by\n"
                "  that tag, then submitted again only if it does not exist (docs/reconciling-unknown-outcomes.md).\n"
                "  --no-reconcile sends the jobnames as given and prints \"error: outcome unknown\" for a lost\n"
                "  answer (the server may have the job; it is never resent).\n"
                "  With -o json: {\"line\", \"id\"[, \"found_by_query\"]} or {\"line\", \"error\", \"unknown\",\n"
                "  \"http_status\"} per job. A progress bar (rate, ETA) is drawn on stderr when it is a\n"
                "  terminal, unless --no-progress. The exit status is 0 only when every job was created.\n"
                "Defaults as nc run takes them: --rundir the current directory, --jobclass\n"
                "$NC_DEFAULT_JOBCLASS, --env $VOV_ENV (unless empty, DEFAULT or a SNAPSHOT), and the job's\n"
                "jobproj from $VOV_JOBPROJ, else $LM_PROJECT, else $RLM_PROJECT.");
    auto o = std::make_shared<submit_options>();
    const std::string job = "Job description";
    sub->add_option("--rundir", o->rundir, "the directory the job runs in (default: the current one)")
        ->type_name("DIR")
        ->group(job);
    sub->add_option("--jobname", o->jobname, "the job's name (with --file: NAME-<line number>)")
        ->type_name("NAME")
        ->group(job);
    sub->add_option("--jobclass", o->jobclass, "the job class (default: $NC_DEFAULT_JOBCLASS)")
        ->type_name("CLASS")
        ->group(job);
    sub->add_option("--env", o->env, "the environment, e.g. BASE or \"BASE+D(VAR=1)\" (default: $VOV_ENV)")
        ->type_name("ENV")
        ->group(job);
    sub->add_option("--resources", o->resources, "the resources, e.g. \"linux64 RAM/2000\"")
        ->type_name("R")
        ->group(job);
    sub->add_option("--priority", o->priority, "1 to 15, low, normal, high, top, or sched,exec such as 4,8")
        ->type_name("P")
        ->group(job);
    sub->add_option("--group", o->group, "the group the job belongs to")->type_name("GROUP")->group(job);
    sub->add_option("--logfile", o->logfile, "the job's log file")->type_name("FILE")->group(job);
    sub->add_option("--set", o->set,
                    "any other job-description key, sent as text (repeatable), e.g. --set autokill=3600")
        ->type_name("KEY=VALUE")
        ->group(job);
    sub->add_option("--file", o->file, "one job per line of FILE (- for standard input)")->type_name("FILE");
    auto* concurrency = sub->add_option("--concurrency", o->concurrency, "with --file: submissions in flight at once")
                            ->check(CLI::Range(1, 4096))
                            ->capture_default_str()
                            ->type_name("N");
    auto* summary = sub->add_flag("--summary", o->summary,
                                  "with --file: one JSON line on stderr: created (found by query included), "
                                  "reconciled_found, resubmitted, failed, unknown, seconds, jobs_per_s, "
                                  "token_requests, replays");
    auto* no_reconcile = sub->add_flag("--no-reconcile{false}", o->reconcile,
                                       "with --file: a lost answer is the job's outcome (\"outcome unknown\"); "
                                       "jobnames are sent as given");
    auto* tag = sub->add_option("--tag", o->tag, "with --file: the prefix of the jobs' tags (default: vovrest)")
                    ->type_name("PREFIX")
                    ->check([](const std::string& text) -> std::string {
                        const bool word = std::all_of(text.begin(), text.end(), [](char c) {
                            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
                        });
                        return !text.empty() && text.size() <= 32 && word ? std::string{}
                                                                          : "1 to 32 characters from A-Z a-z 0-9 _ -";
                    });
    sub->add_option("COMMAND", o->command, "the job's command line");
    sub->callback([&g, &out, o, concurrency, summary, no_reconcile, tag] {
        job_spec common = common_spec(*o);
        if (!o->file.empty())
        {
            if (!o->command.empty())
                throw usage_error("submit: give either --file or a command, not both");
            out.reads_stdin = o->file == "-";
            out.run = [&g, o, common](session& s) { return run_file(s, g, o, common); };
            return;
        }
        if (concurrency->count() > 0 || summary->count() > 0 || no_reconcile->count() > 0 || tag->count() > 0)
            throw usage_error("submit: --concurrency, --summary, --no-reconcile and --tag go with --file");
        if (o->command.empty())
            throw usage_error("submit: the command is missing (submit -- COMMAND ARGS..., or --file FILE)");
        job_spec spec = common;
        if (o->command.size() == 1)
            spec.command = o->command.front();
        else
            spec.argv = o->command;
        out.run = [&g, spec](session& s) { return run_one(s, g, spec); };
    });
}

}  // namespace vovrest::cli
