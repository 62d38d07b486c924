// callbacks: the SDK without coroutines. Every async_* call takes any Asio completion token; here
// plain lambdas (each handler starts the next step: authorize, project, submit, read the job),
// then asio::use_future from a thread that blocks on the answer while another thread runs I/O.
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
    // A table answer's first cell in `column`; a table with an errormsg is an error too.
    bool cell(const vovrest::response& r, const char* column, std::string& out)
    {
        error_code ec;
        const vovrest::table t = vovrest::table::parse(r.body, ec, diag);
        if (!ec && t.empty())
            ec = vovrest::error::bad_response;
        if (failed(ec))
            return false;
        out = t.at(0, column).as_string();
        return true;
    }
};

void start(steps& st)
{
    st.s.async_authorize(st.diag, [&st](error_code ec) {
        if (st.failed(ec))
            return;
        st.s.async_get("/api/v3/project/1/project", {}, st.diag, [&st](error_code ec2, vovrest::response r) {
            std::string project;
            if (st.failed(ec2) || !st.cell(r, "PROJECT", project))
                return;
            std::cout << "project: " << project << '\n';
            vovrest::job_spec spec;
            spec.command = "sleep 1";
            st.s.async_post("/api/v3/jobs", vovrest::to_json(spec), st.diag, [&st](error_code ec3, vovrest::response a) {
                const vovrest::job_id id = ec3 ? vovrest::job_id{} : vovrest::jobs::parse_submit_response(a, ec3, st.diag);
                if (st.failed(ec3))
                    return;
                std::cout << "submitted: " << id << '\n';
                st.s.async_get("/api/v3/jobs/" + id.to_string(), {}, st.diag, [&st](error_code ec4, vovrest::response j) {
                    std::string status;
                    if (st.failed(ec4) || !st.cell(j, "status", status))
                        return;
                    std::cout << "status: " << status << '\n';
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
    params.password = std::getenv("VOV_PASSWORD") ? vovrest::password_from_env("VOV_PASSWORD")
                                                   : vovrest::password_prompt();
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
        // the thread that runs io: it would wait for itself.) Errors arrive as system_error.
        vovrest::diagnostics diag;
        try
        {
            std::future<vovrest::response> answer = s.async_get("/api/v3/project/1/version", {}, diag, asio::use_future);
            const vovrest::table version = vovrest::table::parse(answer.get().body);
            std::cout << "version: " << version.at(0, "VERSION").as_string() << '\n';
        }
        catch (const boost::system::system_error& e)  // error_with_diagnostics from parse() too
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
