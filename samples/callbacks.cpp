// callbacks: the SDK without coroutines. Every async_* call, the session's and the typed API's
// (async_project_name, jobs::async_submit, jobs::async_get, ...), takes any Asio completion
// token; here plain lambdas (each handler starts the next step: authorize, project, submit, read
// the job), then asio::use_future from a thread that blocks on the answer while another thread
// runs I/O.
// Usage: sample_callbacks [URL]   (URL defaults to $NC_URL; user $USER; password $VOV_PASSWORD or
// a prompt without echo).
#include <vovrest/vovrest.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdlib>
#include <future>
#include <iostream>
#include <thread>

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// What the chain of handlers shares. `diag` must outlive each call; the calls here run one at a
// time, so one is enough.
struct steps
{
    vovrest::session& s;
    vovrest::diagnostics diag;
    std::promise<bool> done;

    // Handlers must not throw (the exception would leave io.run()): errors end the chain here.
    bool failed(error_code ec)
    {
        if (ec)
        {
            std::cerr << "callbacks: " << vovrest::describe(ec, diag) << '\n';
            done.set_value(false);
        }
        return ec.failed();
    }
};

void start(steps& st)
{
    st.s.async_authorize(st.diag, [&st](error_code ec) {
        if (st.failed(ec))
            return;
        vovrest::async_project_name(st.s, st.diag, [&st](error_code ec2, std::string project) {
            if (st.failed(ec2))
                return;
            std::cout << "project: " << project << '\n';
            vovrest::job_spec spec;
            spec.command = "sleep 1";
            vovrest::jobs::async_submit(st.s, spec, st.diag, [&st](error_code ec3, vovrest::job_id id) {
                if (st.failed(ec3))
                    return;
                std::cout << "submitted: " << id << '\n';
                vovrest::jobs::async_get(st.s, id, st.diag, [&st](error_code ec4, vovrest::job_record job) {
                    if (st.failed(ec4))
                        return;
                    std::cout << "status: " << job.status << '\n';
                    st.done.set_value(true);
                });
            });
        });
    });
}

}  // namespace

int main(int argc, char** argv)
{
    vovrest::session_params params;
    params.url = argc > 1 ? argv[1] : std::getenv("NC_URL") ? std::getenv("NC_URL") : "";
    params.username = std::getenv("USER") ? std::getenv("USER") : "";
    params.password =
        std::getenv("VOV_PASSWORD") ? vovrest::password_from_env("VOV_PASSWORD") : vovrest::password_prompt();
    try
    {
        asio::io_context io;
        vovrest::session s(io.get_executor(), std::move(params));
        auto work = asio::make_work_guard(io);  // run() must wait for calls this thread starts
        std::thread loop([&io] { io.run(); });

        steps st{s, {}, {}};
        std::future<bool> chain = st.done.get_future();
        start(st);  // from this thread: a session may be called from any thread
        bool ok = chain.get();

        // use_future: this thread blocks while the loop thread does the I/O. (Never call get() on
        // the thread that runs io: it would wait for itself.) Errors arrive as system_error; `diag`
        // holds the rest.
        vovrest::diagnostics diag;
        try
        {
            std::future<std::string> version = vovrest::async_server_version(s, diag, asio::use_future);
            std::cout << "version: " << version.get() << '\n';
        }
        catch (const boost::system::system_error& e)
        {
            std::cerr << "callbacks: " << vovrest::describe(e.code(), diag) << '\n';
            ok = false;
        }
        s.shutdown();  // closes the idle connections; then the loop runs out of work
        work.reset();
        loop.join();
        return ok ? 0 : 1;
    }
    catch (const vovrest::error_with_diagnostics& e)
    {
        std::cerr << "callbacks: " << e.what() << '\n';
        return 1;
    }
}
