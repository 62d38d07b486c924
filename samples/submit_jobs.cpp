// submit_jobs: many jobs fast. Accelerator has no batch endpoint, so throughput comes from many
// single-job POSTs in flight at once over a few keep-alive connections, all sharing one token;
// submit_many() does that and creates every job exactly once: submitted, or failed (certainly not
// created); outcome unknown only when the query that settles a lost answer kept failing.
// Usage: sample_submit_jobs [URL] [COUNT=1000] [CONCURRENCY=32]   (URL defaults to $NC_URL; user
// $USER; password $VOV_PASSWORD or a prompt without echo). Exit status 1 unless all were submitted.
#include <vovrest/vovrest.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

namespace asio = boost::asio;

namespace {

asio::awaitable<bool> submit_all(vovrest::session& s, std::vector<vovrest::job_spec> specs, std::size_t concurrency)
{
    vovrest::submit_many_options options;
    options.concurrency = concurrency;  // requests in flight; the session's pool bounds the sockets
    options.on_progress = [](const vovrest::submit_progress& p) {
        // Never called twice at once, so plain stdio is safe; one line, rewritten in place.
        if (p.done % 100 == 0 || p.done == p.total)
            std::fprintf(stderr, "\r%zu/%zu done (%zu failed, %zu unknown)%s", p.done, p.total, p.failed, p.unknown,
                         p.done == p.total ? "\n" : "");
    };
    const auto start = std::chrono::steady_clock::now();
    const std::vector<vovrest::submit_result> results = co_await vovrest::submit_many(s, specs, options);
    const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;

    std::size_t submitted = 0, failed = 0, unknown = 0;
    for (const vovrest::submit_result& r : results)
    {
        submitted += r.submitted();
        unknown += r.unknown();
        if (r.failed() && failed++ < 3)
            std::cerr << "failed: " << r.message() << '\n';  // the server's text, a few of them
    }
    std::cout << "submitted " << submitted << ", failed " << failed << ", unknown " << unknown << " in "
              << seconds.count() << " s (" << static_cast<double>(specs.size()) / seconds.count() << " jobs/s), "
              << s.counters().token_requests << " token request(s)\n";
    // An unknown outcome may be a job that runs: look for it by its jobname before submitting again.
    co_return submitted == specs.size();
}

}  // namespace

int main(int argc, char** argv)
{
    vovrest::session_params params;
    params.url = std::getenv("NC_URL") ? std::getenv("NC_URL") : "";
    params.username = std::getenv("USER") ? std::getenv("USER") : "";
    params.password =
        std::getenv("VOV_PASSWORD") ? vovrest::password_from_env("VOV_PASSWORD") : vovrest::password_prompt();
    params.single_threaded = true;  // one thread runs the io_context below
    int first = 1;
    if (argc > 1 && std::string(argv[1]).find("://") != std::string::npos)
        params.url = argv[first++];
    const std::size_t count = argc > first ? std::strtoul(argv[first], nullptr, 10) : 1000;
    const std::size_t concurrency = argc > first + 1 ? std::strtoul(argv[first + 1], nullptr, 10) : 32;
    if (count == 0 || concurrency == 0)
    {
        std::cerr << "usage: sample_submit_jobs [URL] [COUNT=1000] [CONCURRENCY=32]\n";
        return 2;
    }

    // Readable jobnames; submit_many appends each job's tag (".vovrest-<batch>-<index>"), by which
    // it looks for a job whose answer was lost. (A pid is not unique enough to be the tag itself.)
    std::vector<vovrest::job_spec> specs(count);
    for (std::size_t i = 0; i < count; ++i)
    {
        specs[i].jobname = "sample-" + std::to_string(::getpid()) + "-" + std::to_string(i);
        specs[i].argv = {"echo", specs[i].jobname};  // argv: each word quoted for /bin/sh
    }
    try
    {
        asio::io_context io;
        vovrest::session s(io.get_executor(), std::move(params));
        bool all = false;
        std::exception_ptr failure;
        asio::co_spawn(io, submit_all(s, std::move(specs), concurrency), [&](std::exception_ptr e, bool ok) {
            failure = e;
            all = ok;
            s.shutdown();  // idle keep-alive connections would otherwise keep run() going
        });
        io.run();
        if (failure)
            std::rethrow_exception(failure);
        return all ? 0 : 1;
    }
    catch (const vovrest::error_with_diagnostics& e)
    {
        std::cerr << "submit_jobs: " << e.what() << '\n';
        return 1;
    }
}
