// job_info: reading a job, like `nc info`. One GET /api/v3/jobs/{id} per id, its fields printed;
// a job the server does not know (never submitted, or finished and forgotten) is a normal answer,
// not a crash.
// Usage: sample_job_info [URL] ID...   (URL defaults to $NC_URL; user $USER; password
// $VOV_PASSWORD or a prompt without echo). Exit status 1 when a job was not found.
#include <vovrest/vovrest.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <ctime>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

namespace asio = boost::asio;

namespace {

// Running: so far. Scheduled: nothing yet.
std::string duration_of(const vovrest::job_record& job)
{
    if (job.start_time == 0)
        return "-";
    const std::int64_t end = job.end_time != 0 ? job.end_time : static_cast<std::int64_t>(std::time(nullptr));
    return std::to_string(end - job.start_time) + "s";
}

asio::awaitable<int> print_jobs(vovrest::session& s, std::vector<vovrest::job_id> ids)
{
    int status = 0;
    for (const vovrest::job_id id : ids)
    {
        try
        {
            const vovrest::job_record job = co_await vovrest::jobs::get(s, id);
            std::cout << "Id:       " << job.id << '\n'
                      << "User:     " << job.user << '\n'
                      << "Command:  " << job.command << '\n'
                      << "Status:   " << job.status << '\n'
                      << "Host:     " << job.host << '\n'
                      << "Duration: " << duration_of(job) << "\n\n";
        }
        catch (const vovrest::error_with_diagnostics& e)
        {
            // 404 is the only error handled here; any other (server down, no permission) ends all.
            if (e.code() != vovrest::error::not_found)
                throw;
            std::cout << "Id:       " << id << "\nno such job (" << e.get_diagnostics().server_message << ")\n\n";
            status = 1;
        }
    }
    co_return status;
}

}  // namespace

int main(int argc, char** argv)
{
    vovrest::session_params params;
    const char* url = std::getenv("NC_URL");
    params.url = url ? url : "";
    params.username = std::getenv("USER") ? std::getenv("USER") : "";
    params.password =
        std::getenv("VOV_PASSWORD") ? vovrest::password_from_env("VOV_PASSWORD") : vovrest::password_prompt();
    std::vector<vovrest::job_id> ids;
    for (int i = 1; i < argc; ++i)
    {
        const std::string arg = argv[i];
        if (arg.find("://") != std::string::npos)
            params.url = arg;
        else if (auto id = vovrest::job_id::parse(arg))
            ids.push_back(*id);
        else
        {
            std::cerr << "job_info: not a job id: '" << arg << "'\n";
            return 2;
        }
    }
    if (ids.empty())
    {
        std::cerr << "usage: sample_job_info [URL] ID...\n";
        return 2;
    }
    try
    {
        asio::io_context io;
        vovrest::session s(io.get_executor(), std::move(params));
        int status = 1;
        std::exception_ptr failure;
        asio::co_spawn(io, print_jobs(s, std::move(ids)), [&](std::exception_ptr e, int result) {
            failure = e;
            status = result;
            s.shutdown();  // idle keep-alive connections would otherwise keep run() going
        });
        io.run();
        if (failure)
            std::rethrow_exception(failure);
        return status;
    }
    catch (const vovrest::error_with_diagnostics& e)
    {
        std::cerr << "job_info: " << e.what() << '\n';  // the server's text; never the token
        return 1;
    }
}
