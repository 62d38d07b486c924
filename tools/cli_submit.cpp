// vovrest submit: one job from the command line, or one per line of a file (like `nc run -f`)
// through submit_many, answered line for line in input order.
#include "cli_commands.hpp"
#include "cli_progress.hpp"

#include <vovrest/jobs.hpp>
#include <vovrest/submit_many.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iostream>
#include <memory>

namespace vovrest::cli {
namespace {

namespace asio = boost::asio;

constexpr std::string_view submit_help = R"help(usage: vovrest [options] submit [--rundir D] [--jobname N] [--resources R] [--] COMMAND [ARG...]
       vovrest [options] submit --file FILE [--concurrency N] [--summary] [--no-reconcile]
                                [--tag PREFIX] [--rundir D] [--jobname N] [--resources R]

The first form submits one job and prints its id. A single COMMAND word is sent as the command
line it holds ("make -j4 && ./test"); several words are quoted for /bin/sh and joined.

The second form submits one job per line of FILE (- for standard input; empty lines and lines
starting with # are skipped), N at a time (default 32) through one session, and prints one line
per job in the order of the file: its id, or "error: <reason>". Every job is created exactly
once: each carries a tag in its jobname, PREFIX-<batch>-<index> (PREFIX from --tag, default
vovrest; with --jobname N: N-<line number>.PREFIX-<batch>-<index>), and a job whose answer was
lost is looked for by that tag, then submitted again only if it does not exist (see
docs/reconciling-unknown-outcomes.md). --no-reconcile sends the jobnames as given and prints
"error: outcome unknown" for a lost answer (the server may have the job; it is never resent).
A progress bar is drawn on stderr when it is a terminal; --summary adds one JSON line on stderr:
  {"created":..,"reconciled_found":..,"resubmitted":..,"failed":..,"unknown":..,"seconds":..,
   "jobs_per_s":..,"token_requests":..,"replays":..}
(created counts every job with an id, those found by query included). The exit status is 0
only when every job was created.
)help";

struct submit_options
{
    job_spec common;                 // rundir, resources (and jobname for one job)
    std::vector<std::string> command;
    std::string file;
    std::size_t concurrency = 32;
    bool summary = false;
    bool reconcile = true;
    std::string tag;  // empty: the SDK's default prefix
};

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

std::vector<job_spec> read_jobs(const submit_options& o)
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
    std::vector<job_spec> specs;
    std::string line;
    for (std::size_t number = 1; std::getline(*in, line); ++number)
    {
        std::string_view command = job_line(line);
        if (command.empty())
            continue;
        job_spec spec = o.common;
        spec.command = std::string(command);
        if (!o.common.jobname.empty())
            spec.jobname = o.common.jobname + "-" + std::to_string(number);
        specs.push_back(std::move(spec));
    }
    return specs;
}

std::string reason(const submit_result& r)
{
    if (r.unknown())
        return "outcome unknown";
    std::string text = r.diag.server_message.empty() ? r.error.message() : r.diag.server_message;
    if (r.diag.http_status != 0)
        text += " (HTTP " + std::to_string(r.diag.http_status) + ")";
    return text;
}

asio::awaitable<int> run_one(session& s, job_spec spec)
{
    job_id id = co_await jobs::submit(s, std::move(spec));
    std::cout << id << '\n';
    co_return exit_ok;
}

asio::awaitable<int> run_file(session& s, submit_options o)
{
    const std::vector<job_spec> specs = read_jobs(o);
    const auto start = std::chrono::steady_clock::now();
    submit_many_options options;
    options.concurrency = o.concurrency;
    options.reconcile = o.reconcile;
    if (!o.tag.empty())
        options.tag_prefix = o.tag;
    std::shared_ptr<progress_bar> bar;
    if (::isatty(STDERR_FILENO) && !specs.empty())
        bar = std::make_shared<progress_bar>(stderr);
    auto last = std::make_shared<submit_progress>();
    options.on_progress = [bar, last](const submit_progress& p) {
        *last = p;
        if (bar)
            bar->update(p);
    };
    const std::vector<submit_result> results = co_await submit_many(s, specs, std::move(options));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    submit_progress total;
    total.total = results.size();
    for (const auto& r : results)
    {
        ++total.done;
        if (r.submitted())
        {
            ++total.succeeded;
            std::cout << *r.id << '\n';
        }
        else
        {
            if (r.unknown())
                ++total.unknown;
            else
                ++total.failed;
            std::cout << "error: " << reason(r) << '\n';
        }
    }
    std::cout.flush();
    if (bar)
        bar->finish(total);
    if (o.summary)
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
        line["token_requests"] = counters.token_requests;
        line["replays"] = counters.replays;
        std::cerr << boost::json::serialize(line) << std::endl;
    }
    co_return total.succeeded == total.total ? exit_ok : exit_failure;
}

}  // namespace

runner parse_submit(arguments& args, command_needs& needs)
{
    submit_options o;
    bool concurrency_given = false;
    while (!args.empty())
    {
        if (args.help())
        {
            std::cout << submit_help;
            return {};
        }
        if (auto rundir = args.option("--rundir"))
            o.common.rundir = *rundir;
        else if (auto jobname = args.option("--jobname"))
            o.common.jobname = *jobname;
        else if (auto resources = args.option("--resources"))
            o.common.resources = *resources;
        else if (auto file = args.option("--file"))
            o.file = *file;
        else if (auto concurrency = args.option("--concurrency"))
        {
            o.concurrency = parse_count("--concurrency", *concurrency, 1, 4096);
            concurrency_given = true;
        }
        else if (args.flag("--summary"))
            o.summary = true;
        else if (args.flag("--no-reconcile"))
            o.reconcile = false;
        else if (auto tag = args.option("--tag"))
        {
            o.tag = *tag;
            const bool word = std::all_of(o.tag.begin(), o.tag.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
            });
            if (o.tag.empty() || o.tag.size() > 32 || !word)
                throw usage_error("submit: --tag: 1 to 32 characters from A-Z a-z 0-9 _ -");
        }
        else if (args.flag("--"))
        {
            o.command = args.rest();
            break;
        }
        else if (args.peek().starts_with("-"))
            throw usage_error("submit: unknown option '" + std::string(args.peek()) + "'");
        else
        {
            o.command = args.rest();
            break;
        }
    }
    if (!o.file.empty())
    {
        if (!o.command.empty())
            throw usage_error("submit: give either --file or a command, not both");
        needs.reads_stdin = o.file == "-";
        return [o](session& s) { return run_file(s, o); };
    }
    if (concurrency_given || o.summary || !o.reconcile || !o.tag.empty())
        throw usage_error("submit: --concurrency, --summary, --no-reconcile and --tag go with --file");
    if (o.command.empty())
        throw usage_error("submit: the command is missing (submit -- COMMAND ARGS..., or --file FILE)");
    job_spec spec = o.common;
    if (o.command.size() == 1)
        spec.command = o.command.front();
    else
        spec.argv = o.command;
    return [spec](session& s) { return run_one(s, spec); };
}

}  // namespace vovrest::cli
