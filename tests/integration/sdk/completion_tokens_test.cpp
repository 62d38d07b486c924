// The same operation with the completion tokens users embed it with: callbacks, use_future,
// deferred, and per-operation cancellation through a bound slot.
#include "sdk_fixture.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>

#include <future>
#include <thread>

namespace vovrest::test {
namespace {

TEST(completion_tokens, use_future_from_a_plain_thread)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    auto guard = asio::make_work_guard(io);
    std::thread runner([&io] { io.run(); });
    std::exception_ptr failure;
    diagnostics missing_diag;
    {
        session s(io.get_executor(), client_params(server));
        diagnostics diag;
        std::future<response> answer = s.async_get("/api/v3/project/1/version", {}, diag, asio::use_future);
        EXPECT_EQ(answer.get().status, 200u);

        // A failure reaches the future as an exception carrying the error code.
        auto missing = s.async_get("/api/v3/jobs/123456789", {}, missing_diag, asio::use_future);
        try
        {
            missing.get();
        }
        catch (...)
        {
            failure = std::current_exception();
        }
    }
    guard.reset();
    runner.join();
    // Inspected once the I/O thread is done with its reference: libstdc++'s exception_ptr
    // count is invisible to the thread sanitizer.
    ASSERT_TRUE(failure) << "no error for a missing job";
    try
    {
        std::rethrow_exception(failure);
    }
    catch (const boost::system::system_error& e)
    {
        EXPECT_EQ(e.code(), error::not_found);
    }
    EXPECT_EQ(missing_diag.http_status, 404u);
}

TEST(completion_tokens, deferred_operation_runs_when_invoked)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    session s(io.get_executor(), client_params(server));
    diagnostics diag;
    auto op = s.async_get("/api/v3/project/1/project", {}, diag, asio::deferred);
    io.run();
    EXPECT_EQ(server.stats().requests, 0u);  // nothing is sent until the deferred op is started

    unsigned status = 0;
    std::move(op)([&](boost::system::error_code ec, response r) {
        EXPECT_FALSE(ec);
        status = r.status;
    });
    io.restart();
    io.run();
    EXPECT_EQ(status, 200u);
}

TEST(completion_tokens, callback_runs_on_the_handlers_executor)
{
    testing::fake_server server(server_params());
    server.start();
    asio::io_context io;
    asio::io_context other;  // the handler's own executor, run by this thread afterwards
    session s(io.get_executor(), client_params(server));
    diagnostics diag;
    bool ran_on_other = false;
    s.async_get("/api/v3/project/1/version", {}, diag,
                asio::bind_executor(other, [&](boost::system::error_code ec, response) {
                    EXPECT_FALSE(ec);
                    ran_on_other = other.get_executor().running_in_this_thread();
                }));
    io.run();
    EXPECT_FALSE(ran_on_other);
    other.run();
    EXPECT_TRUE(ran_on_other);
}

}  // namespace
}  // namespace vovrest::test
