// The README's "API in a page", as a program: CI builds and runs it, so the README's code is
// known to compile and to work. NC_URL, USER and VOV_PASSWORD say where and who.
#include <vovrest/vovrest.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <iostream>

// Built outside the coroutine: g++ 12 mishandles braced lists inside coroutine bodies.
vovrest::query valid_jobs()
{
    return vovrest::query().select({"id", "status"}).where("status==VALID").limit(10);
}

boost::asio::awaitable<void> run(vovrest::session& s)
{
    co_await s.authorize();                         // learn now if the password is wrong
    auto name = co_await vovrest::project_name(s);  // GET /api/v3/project/1/project

    vovrest::job_spec spec;
    spec.command = "sleep 10";
    spec.jobname = "nightly-42";
    vovrest::job_id id = co_await vovrest::jobs::submit(s, spec);  // POST /api/v3/jobs
    auto end = co_await vovrest::jobs::wait(s, id);                // VALID, FAILED or forgotten

    auto done = co_await vovrest::run(s, valid_jobs());                      // GET /api/v3/query
    auto raw = co_await s.get("/api/v3/jobs/" + to_string(id) + "/status");  // any resource
    std::cout << name << ": job " << id << " ended " << end.status << "; " << done.size()
              << " VALID jobs listed; status resource: HTTP " << raw.status << '\n';
}

int main()
{
    const char* url = std::getenv("NC_URL");
    const char* user = std::getenv("USER");
    if (!url || !user)
    {
        std::cerr << "set NC_URL (and USER, VOV_PASSWORD)\n";
        return 2;
    }
    boost::asio::io_context io;
    vovrest::session_params params;
    params.url = url;  // https://host:6271/anything -> scheme://host:port
    params.username = user;
    params.password = vovrest::password_from_env("VOV_PASSWORD");  // asked at each authentication
    params.single_threaded = true;                                 // only this thread runs io: no strands needed
    vovrest::session s(io.get_executor(), params);
    int status = 0;
    boost::asio::co_spawn(io, run(s), [&status](std::exception_ptr e) {
        if (!e)
            return;
        status = 1;
        try
        {
            std::rethrow_exception(e);
        }
        catch (const std::exception& x)
        {
            std::cerr << x.what() << '\n';
        }
    });
    io.run();
    return status;
}
