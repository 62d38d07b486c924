// What the SDK's integration tests share: a fake server on 127.0.0.1, a session on an io_context,
// and a way to run many coroutines and count how they ended (never a sleep: the io_context runs
// until every coroutine is done).
#pragma once

#include <vovrest/session.hpp>
#include <vovrest/testing/fake_server.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace vovrest::test {

namespace asio = boost::asio;

// How coroutines ended: successes, and the error of each failure.
struct outcomes
{
    std::atomic<int> succeeded{0};
    std::mutex mutex;
    std::vector<boost::system::error_code> errors;
    std::vector<std::string> texts;  // what() of each exception, for the secrets check

    void fail(const boost::system::error_code& ec, std::string text)
    {
        std::lock_guard lock(mutex);
        errors.push_back(ec);
        texts.push_back(std::move(text));
    }
    int failed()
    {
        std::lock_guard lock(mutex);
        return static_cast<int>(errors.size());
    }
};

// Spawns a coroutine whose end (value or exception) is recorded; nothing dies silently.
inline void spawn_counted(asio::io_context& io, asio::awaitable<void> work, outcomes& out)
{
    asio::co_spawn(io, std::move(work), [&out](std::exception_ptr failure) {
        if (!failure)
        {
            ++out.succeeded;
            return;
        }
        try
        {
            std::rethrow_exception(failure);
        }
        catch (const error_with_diagnostics& e)
        {
            out.fail(e.code(), e.what());
        }
        catch (const boost::system::system_error& e)
        {
            out.fail(e.code(), e.what());
        }
        catch (const std::exception& e)
        {
            out.fail(boost::asio::error::fault, e.what());
        }
    });
}

// Spawns `count` coroutines made by make(i) and runs the io_context until every one has ended.
template <class MakeCoroutine>
void run_many(asio::io_context& io, int count, outcomes& out, MakeCoroutine make)
{
    for (int i = 0; i < count; ++i)
        spawn_counted(io, make(i), out);
    io.restart();
    io.run();
}

// One GET that throws on failure: the unit of load of most tests.
inline asio::awaitable<void> get_once(session& s, std::string path)
{
    co_await s.get(std::move(path));
}

// authorize() run to its end; true when a token was obtained.
inline bool authorize_now(asio::io_context& io, session& s)
{
    outcomes out;
    run_many(io, 1, out, [&s](int) { return s.authorize(); });
    return out.succeeded == 1;
}

inline testing::fake_server_params server_params()
{
    testing::fake_server_params p;
    p.users = {{"demo", "demo-password", testing::security_level::user},
               {"boss", "boss-password", testing::security_level::admin}};
    return p;
}

inline session_params client_params(const testing::fake_server& server, std::string password = "demo-password")
{
    session_params p;
    p.url = server.url();
    p.username = "demo";
    p.password = fixed_password(std::move(password));
    p.token.backoff_initial = std::chrono::milliseconds(5);
    p.token.backoff_max = std::chrono::milliseconds(50);
    p.request_timeout = std::chrono::seconds(20);
    // ctest runs this suite twice: as is, and promising single_threaded (tests/CMakeLists.txt),
    // so that every test also covers operations run inside the calling coroutine.
    p.single_threaded = std::getenv("VOVREST_TEST_SINGLE_THREADED") != nullptr;
    return p;
}

inline std::uint64_t count_of(const std::map<std::string, std::uint64_t>& counts, const std::string& key)
{
    auto it = counts.find(key);
    return it == counts.end() ? 0 : it->second;
}

}  // namespace vovrest::test
