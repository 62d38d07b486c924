// The cross-process token cache: the store's files (permissions, corrupt and foreign files,
// atomic writes under concurrent writers, the lock) and the caching token source in front of a
// fake real source (one token request for many "processes", the lock polled without blocking,
// cancellation, 401 invalidation). Separate stores and sources stand for separate processes:
// flock locks are per open file, so two stores in one process exclude each other as two
// processes do. No sleeps: io_context steps and bounded waits on outcomes.
#include <vovrest/detail/caching_token_source.hpp>
#include <vovrest/detail/token_cache_store.hpp>
#include <vovrest/token_cache.hpp>

#include "token_test_support.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include <gtest/gtest.h>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace vovrest::detail;
using vovrest::test::make_jwt;

const std::string url = "http://127.0.0.1:6271";
const std::string user = "alice";

double wall_seconds()
{
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::int64_t wall_ms()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A JWT issued now that lives `lifetime` seconds.
std::string fresh_jwt(double lifetime = 3600)
{
    const double now = std::floor(wall_seconds());
    return make_jwt(now, now + lifetime);
}

cached_token token_for(std::string jwt, std::string for_url = url, std::string for_user = user)
{
    cached_token t;
    t.url = std::move(for_url);
    t.username = std::move(for_user);
    t.token_type = "Bearer";
    t.access_token = std::move(jwt);
    t.received_ms = wall_ms();
    return t;
}

class token_cache_test : public ::testing::Test
{
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/vovrest-token-cache-test-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        root = pattern;
        dir = root + "/cache";
    }
    void TearDown() override { fs::remove_all(root); }

    std::string file_of(const std::string& for_url = url, const std::string& for_user = user) const
    {
        return dir + "/" + token_cache_store::file_name(for_url, for_user);
    }

    static mode_t mode_of(const std::string& path)
    {
        struct stat info
        {};
        EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
        return info.st_mode & 07777;
    }

    std::string root;
    std::string dir;
};

// ---- the store ----

TEST_F(token_cache_test, creates_a_private_directory_and_private_files)
{
    token_cache_store store(dir, url, user);
    ASSERT_TRUE(store.ok()) << store.why();
    EXPECT_EQ(mode_of(dir), 0700u);
    std::string why;
    ASSERT_TRUE(store.write(token_for(fresh_jwt()), why)) << why;
    EXPECT_EQ(mode_of(store.path()), 0600u);
    cached_token back;
    EXPECT_EQ(store.read(back, why), cache_read::hit);
    EXPECT_EQ(back.token_type, "Bearer");
    EXPECT_EQ(back.url, url);
    EXPECT_EQ(back.username, user);
    // Only the token file and its lock: the temporary file was renamed.
    std::size_t entries = 0;
    for (const auto& entry : fs::directory_iterator(dir))
    {
        ++entries;
        EXPECT_TRUE(entry.path().filename().string().starts_with("token-")) << entry.path();
    }
    EXPECT_EQ(entries, 1u);
}

TEST_F(token_cache_test, a_missing_file_is_a_miss)
{
    token_cache_store store(dir, url, user);
    cached_token t;
    std::string why;
    EXPECT_EQ(store.read(t, why), cache_read::missing);
}

TEST_F(token_cache_test, refuses_a_directory_others_may_access)
{
    fs::create_directories(dir);
    ::chmod(dir.c_str(), 0755);
    token_cache_store store(dir, url, user);
    EXPECT_FALSE(store.ok());
    EXPECT_NE(store.why().find("chmod 700"), std::string::npos) << store.why();
    std::string why;
    EXPECT_FALSE(store.write(token_for(fresh_jwt()), why));
    EXPECT_FALSE(fs::exists(file_of()));
}

TEST_F(token_cache_test, refuses_a_symbolic_link_as_directory)
{
    fs::create_directories(root + "/real");
    ::chmod((root + "/real").c_str(), 0700);
    fs::create_directory_symlink(root + "/real", dir);
    token_cache_store store(dir, url, user);
    EXPECT_FALSE(store.ok());
}

TEST_F(token_cache_test, refuses_a_file_others_may_read_and_leaves_it)
{
    token_cache_store store(dir, url, user);
    std::string why;
    ASSERT_TRUE(store.write(token_for(fresh_jwt()), why));
    ::chmod(store.path().c_str(), 0640);
    cached_token t;
    EXPECT_EQ(store.read(t, why), cache_read::refused);
    EXPECT_NE(why.find("chmod 600"), std::string::npos) << why;
    EXPECT_EQ(mode_of(store.path()), 0640u);
}

TEST_F(token_cache_test, refuses_a_symbolic_link_as_file)
{
    token_cache_store store(dir, url, user);
    std::string why;
    const std::string elsewhere = root + "/elsewhere";
    {
        std::ofstream out(elsewhere);
    }
    ::chmod(elsewhere.c_str(), 0600);
    fs::create_symlink(elsewhere, store.path());
    cached_token t;
    EXPECT_EQ(store.read(t, why), cache_read::refused);
}

TEST_F(token_cache_test, refuses_files_and_directories_of_another_user)
{
    if (::geteuid() != 0)
        GTEST_SKIP() << "needs root to give a file away";
    const passwd* nobody = ::getpwnam("nobody");
    ASSERT_NE(nobody, nullptr);
    {
        token_cache_store store(dir, url, user);
        std::string why;
        ASSERT_TRUE(store.write(token_for(fresh_jwt()), why));
        ASSERT_EQ(::chown(store.path().c_str(), nobody->pw_uid, nobody->pw_gid), 0);
        cached_token t;
        EXPECT_EQ(store.read(t, why), cache_read::refused);
        EXPECT_NE(why.find("not owned"), std::string::npos) << why;
    }
    ASSERT_EQ(::chown(dir.c_str(), nobody->pw_uid, nobody->pw_gid), 0);
    token_cache_store store(dir, url, user);
    EXPECT_FALSE(store.ok());
    EXPECT_NE(store.why().find("not owned"), std::string::npos) << store.why();
}

TEST_F(token_cache_test, a_corrupt_file_is_a_miss_and_is_replaced)
{
    token_cache_store store(dir, url, user);
    std::string why;
    cached_token t;
    const std::string good = [] {
        cached_token ok = token_for(fresh_jwt());
        return ok.access_token;
    }();
    for (const std::string& text :
         {std::string("not json"), std::string("{\"version\":1}"),
          std::string("{\"version\":2,\"url\":\"" + url + "\"}"), std::string(), std::string(100 * 1024, '{'),
          "{\"version\":1,\"url\":\"" + url + "\",\"user\":\"" + user
              + "\",\"token_type\":\"Bearer\\r\\nX: y\",\"access_token\":\"" + good + "\",\"received_ms\":1}"})
    {
        {
            std::ofstream out(store.path(), std::ios::trunc);
            out << text;
        }
        ::chmod(store.path().c_str(), 0600);
        EXPECT_EQ(store.read(t, why), cache_read::corrupt) << text.substr(0, 80);
    }
    ASSERT_TRUE(store.write(token_for(fresh_jwt()), why));
    EXPECT_EQ(store.read(t, why), cache_read::hit);
}

TEST_F(token_cache_test, a_file_for_another_url_or_user_is_not_used)
{
    token_cache_store mine(dir, url, user);
    std::string why;
    // A file written for another key, found under this key's name (a copy, or a hash collision).
    token_cache_store other(dir, "https://elsewhere:6271", user);
    ASSERT_TRUE(other.write(token_for(fresh_jwt(), "https://elsewhere:6271"), why));
    fs::copy_file(other.path(), mine.path());
    cached_token t;
    EXPECT_EQ(mine.read(t, why), cache_read::other_key);
    fs::remove(mine.path());
    ASSERT_TRUE(other.write(token_for(fresh_jwt(), url, "bob"), why));
    fs::copy_file(other.path(), mine.path());
    EXPECT_EQ(mine.read(t, why), cache_read::other_key);
    EXPECT_NE(token_cache_store::file_name(url, user), token_cache_store::file_name(url, "bob"));
    EXPECT_NE(token_cache_store::file_name(url, user), token_cache_store::file_name("https://127.0.0.1:6271", user));
}

TEST_F(token_cache_test, concurrent_writers_never_leave_a_torn_file)
{
    token_cache_store setup(dir, url, user);
    ASSERT_TRUE(setup.ok());
    std::atomic<bool> stop{false};
    std::atomic<int> torn{0};
    std::atomic<int> hits{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < 4; ++w)
        threads.emplace_back([&, w] {
            token_cache_store store(dir, url, user);
            std::string why;
            for (int i = 0; i < 300; ++i)
                store.write(token_for(fresh_jwt(3600 + w * 1000 + i)), why);
        });
    std::thread reader([&] {
        token_cache_store store(dir, url, user);
        std::string why;
        while (!stop.load())
        {
            cached_token t;
            switch (store.read(t, why))
            {
            case cache_read::hit: ++hits; break;
            case cache_read::missing: break;
            default: ++torn; break;
            }
        }
    });
    for (auto& t : threads)
        t.join();
    stop = true;
    reader.join();
    EXPECT_EQ(torn.load(), 0);
    cached_token last;
    std::string why;
    EXPECT_EQ(setup.read(last, why), cache_read::hit);
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir))
        ++entries;
    EXPECT_EQ(entries, 1u);  // the token file: no temporary file left behind
}

TEST_F(token_cache_test, the_lock_excludes_other_holders_until_released)
{
    token_cache_store a(dir, url, user);
    token_cache_store b(dir, url, user);
    token_cache_lock first, second;
    std::string why;
    EXPECT_EQ(a.try_lock(first, why), cache_lock::held);
    EXPECT_EQ(b.try_lock(second, why), cache_lock::busy);
    first.unlock();
    EXPECT_EQ(b.try_lock(second, why), cache_lock::held);
    EXPECT_EQ(mode_of(a.path() + ".lock"), 0600u);
}

TEST_F(token_cache_test, remove_if_holds_removes_only_that_token)
{
    token_cache_store store(dir, url, user);
    std::string why;
    const cached_token t = token_for(fresh_jwt());
    ASSERT_TRUE(store.write(t, why));
    store.remove_if_holds("Bearer:another");
    EXPECT_TRUE(fs::exists(store.path()));
    store.remove_if_holds(t.authorization());
    EXPECT_FALSE(fs::exists(store.path()));
}

TEST_F(token_cache_test, logout_functions_remove_files)
{
    boost::system::error_code ec;
    const auto base = vovrest::parse_base_url(url, ec);
    ASSERT_TRUE(base);
    EXPECT_FALSE(vovrest::remove_cached_token(dir, *base, user, ec));  // no directory yet
    EXPECT_FALSE(ec);
    token_cache_store store(dir, url, user);
    token_cache_store other(dir, url, "bob");
    std::string why;
    ASSERT_TRUE(store.write(token_for(fresh_jwt()), why));
    ASSERT_TRUE(other.write(token_for(fresh_jwt(), url, "bob"), why));
    EXPECT_EQ(vovrest::token_cache_file(dir, *base, user), store.path());
    EXPECT_TRUE(vovrest::remove_cached_token(dir, *base, user, ec));
    EXPECT_FALSE(fs::exists(store.path()));
    EXPECT_TRUE(fs::exists(other.path()));
    EXPECT_EQ(vovrest::remove_cached_tokens(dir, ec), 1u);
    EXPECT_FALSE(fs::exists(other.path()));
    ::chmod(dir.c_str(), 0755);
    EXPECT_FALSE(vovrest::remove_cached_token(dir, *base, user, ec));
    EXPECT_EQ(ec, boost::system::errc::permission_denied);
}

// ---- the token rules applied to a cached token ----

TEST(token_cache_rules, a_fresh_jwt_is_used_with_the_seconds_left)
{
    cached_token t = token_for(fresh_jwt(3600));
    const auto grant = usable_grant(t, vovrest::token_params{}, std::chrono::system_clock::now());
    ASSERT_TRUE(grant);
    ASSERT_TRUE(grant->expires_in);
    EXPECT_GE(*grant->expires_in, 3590s);
    EXPECT_LE(*grant->expires_in, 3600s);
    EXPECT_EQ(grant->access_token, t.access_token);
}

TEST(token_cache_rules, not_in_its_soft_window_nor_expired)
{
    const auto now = std::chrono::system_clock::now();
    // A 100 s token: soft window the last 25 s. Received 74 s ago: usable; 76 s ago: not.
    const double issued = std::floor(wall_seconds());
    cached_token t = token_for(make_jwt(issued - 74, issued + 26));
    t.received_ms = wall_ms() - 74'000;
    EXPECT_TRUE(usable_grant(t, vovrest::token_params{}, now));
    t.access_token = make_jwt(issued - 76, issued + 24);
    t.received_ms = wall_ms() - 76'000;
    EXPECT_FALSE(usable_grant(t, vovrest::token_params{}, now));
    t.access_token = make_jwt(issued - 200, issued - 100);
    t.received_ms = wall_ms() - 200'000;
    EXPECT_FALSE(usable_grant(t, vovrest::token_params{}, now));
}

TEST(token_cache_rules, expires_in_counts_from_arrival)
{
    cached_token t = token_for("opaque-token");
    t.expires_in = 100s;
    t.received_ms = wall_ms() - 50'000;
    const auto grant = usable_grant(t, vovrest::token_params{}, std::chrono::system_clock::now());
    ASSERT_TRUE(grant);
    EXPECT_GE(*grant->expires_in, 49s);
    EXPECT_LE(*grant->expires_in, 50s);
    t.received_ms = wall_ms() - 80'000;  // in the soft window
    EXPECT_FALSE(usable_grant(t, vovrest::token_params{}, std::chrono::system_clock::now()));
}

TEST(token_cache_rules, unknown_expiry_until_a_401_or_max_token_age)
{
    cached_token t = token_for("opaque-token");
    t.received_ms = wall_ms() - 3'600'000;
    vovrest::token_params rules;
    auto grant = usable_grant(t, rules, std::chrono::system_clock::now());
    ASSERT_TRUE(grant);
    EXPECT_FALSE(grant->expires_in);
    rules.max_token_age = std::chrono::minutes(30);
    EXPECT_FALSE(usable_grant(t, rules, std::chrono::system_clock::now()));
}

TEST(token_cache_rules, a_token_from_the_future_is_not_trusted)
{
    cached_token t = token_for(fresh_jwt());
    t.received_ms = wall_ms() + 60'000;
    EXPECT_FALSE(usable_grant(t, vovrest::token_params{}, std::chrono::system_clock::now()));
}

// ---- the caching token source ----

// The real source: counts fetches (across "processes"), completes at once with a fresh JWT, or
// keeps the handler until cancelled when `hang` is set.
struct counting_source final : token_source
{
    counting_source(asio::any_io_executor executor, std::atomic<int>& counter)
        : ex(std::move(executor)), fetches(counter)
    {}

    void async_fetch(token_fetch_handler handler) override
    {
        ++fetches;
        token_fetch_result result;
        result.grant.token_type = "Bearer";
        result.grant.access_token = fresh_jwt();
        asio::post(ex, asio::append(std::move(handler), std::move(result)));
    }

    asio::any_io_executor ex;
    std::atomic<int>& fetches;
};

struct fetch_outcome
{
    bool done = false;
    token_fetch_result result;
};

vovrest::token_cache_params cache_in(const std::string& directory, std::vector<std::string>* refusals = nullptr)
{
    vovrest::token_cache_params p;
    p.enabled = true;
    p.directory = directory;
    if (refusals != nullptr)
        p.on_refused = [refusals](const std::string& why) { refusals->push_back(why); };
    return p;
}

vovrest::base_url base()
{
    boost::system::error_code ec;
    return *vovrest::parse_base_url(url, ec);
}

std::unique_ptr<caching_token_source> source_on(asio::io_context& io, std::atomic<int>& fetches,
                                                vovrest::token_cache_params cache)
{
    return std::make_unique<caching_token_source>(io.get_executor(),
                                                  std::make_unique<counting_source>(io.get_executor(), fetches),
                                                  std::move(cache), vovrest::token_params{}, base(), user);
}

void start_fetch(caching_token_source& source, fetch_outcome& out, asio::cancellation_slot slot = {})
{
    source.async_fetch(token_fetch_handler(asio::bind_cancellation_slot(slot, [&out](token_fetch_result r) {
        out.done = true;
        out.result = std::move(r);
    })));
}

// Runs `io` until `out` is done; a failed test rather than a hang when it never is.
void run_until_done(asio::io_context& io, const fetch_outcome& out)
{
    io.restart();
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!out.done && std::chrono::steady_clock::now() < deadline)
        io.run_one_for(100ms);
    ASSERT_TRUE(out.done);
}

TEST_F(token_cache_test, a_second_process_takes_the_first_ones_token)
{
    std::atomic<int> fetches{0};
    asio::io_context io;
    auto first = source_on(io, fetches, cache_in(dir));
    auto second = source_on(io, fetches, cache_in(dir));
    fetch_outcome a, b;
    start_fetch(*first, a);
    run_until_done(io, a);
    ASSERT_FALSE(a.result.ec);
    EXPECT_EQ(fetches.load(), 1);
    start_fetch(*second, b);
    run_until_done(io, b);
    ASSERT_FALSE(b.result.ec);
    EXPECT_EQ(fetches.load(), 1);
    EXPECT_EQ(b.result.grant.access_token, a.result.grant.access_token);
    EXPECT_TRUE(b.result.grant.expires_in);
    EXPECT_FALSE(a.result.from_cache);
    EXPECT_TRUE(b.result.from_cache);
}

TEST_F(token_cache_test, a_renewal_never_hands_back_the_token_being_renewed)
{
    std::atomic<int> fetches{0};
    asio::io_context io;
    auto source = source_on(io, fetches, cache_in(dir));
    fetch_outcome first, second;
    start_fetch(*source, first);
    run_until_done(io, first);
    start_fetch(*source, second);  // the pipeline renews: the cached token is the one it holds
    run_until_done(io, second);
    EXPECT_EQ(fetches.load(), 2);
    EXPECT_FALSE(second.result.ec);
}

TEST_F(token_cache_test, a_401_removes_the_cached_token_everywhere)
{
    std::atomic<int> fetches{0};
    asio::io_context io;
    auto first = source_on(io, fetches, cache_in(dir));
    fetch_outcome a;
    start_fetch(*first, a);
    run_until_done(io, a);
    const std::string refused = a.result.grant.token_type + ":" + a.result.grant.access_token;
    first->on_rejected(refused);
    EXPECT_FALSE(fs::exists(file_of()));
    auto second = source_on(io, fetches, cache_in(dir));
    fetch_outcome b;
    start_fetch(*second, b);
    run_until_done(io, b);
    EXPECT_EQ(fetches.load(), 2);
}

TEST_F(token_cache_test, waits_for_the_lock_holder_without_blocking_and_takes_its_token)
{
    std::atomic<int> fetches{0};
    asio::io_context io;
    token_cache_store other_process(dir, url, user);
    token_cache_lock held;
    std::string why;
    ASSERT_EQ(other_process.try_lock(held, why), cache_lock::held);
    auto source = source_on(io, fetches, cache_in(dir));
    fetch_outcome out;
    start_fetch(*source, out);
    ASSERT_EQ(io.poll_one(), 1u);  // the fetch started: a miss, the lock busy, a timer set
    EXPECT_FALSE(out.done);
    EXPECT_EQ(fetches.load(), 0);
    const cached_token written = token_for(fresh_jwt());
    ASSERT_TRUE(other_process.write(written, why));  // the holder's token request ends
    run_until_done(io, out);
    EXPECT_FALSE(out.result.ec);
    EXPECT_EQ(fetches.load(), 0);
    EXPECT_EQ(out.result.grant.access_token, written.access_token);
}

TEST_F(token_cache_test, asks_the_server_itself_when_the_lock_holder_is_too_slow)
{
    std::atomic<int> fetches{0};
    asio::io_context io;
    token_cache_store other_process(dir, url, user);
    token_cache_lock held;
    std::string why;
    ASSERT_EQ(other_process.try_lock(held, why), cache_lock::held);
    auto cache = cache_in(dir);
    cache.lock_wait = 0s;
    auto source = source_on(io, fetches, cache);
    fetch_outcome out;
    start_fetch(*source, out);
    run_until_done(io, out);
    EXPECT_FALSE(out.result.ec);
    EXPECT_EQ(fetches.load(), 1);
}

TEST_F(token_cache_test, cancelled_while_waiting_for_the_lock)
{
    std::atomic<int> fetches{0};
    asio::io_context io;
    token_cache_store other_process(dir, url, user);
    token_cache_lock held;
    std::string why;
    ASSERT_EQ(other_process.try_lock(held, why), cache_lock::held);
    auto source = source_on(io, fetches, cache_in(dir));
    asio::cancellation_signal signal;
    fetch_outcome out;
    start_fetch(*source, out, signal.slot());
    ASSERT_EQ(io.poll_one(), 1u);
    signal.emit(asio::cancellation_type::terminal);
    run_until_done(io, out);
    EXPECT_EQ(out.result.ec, asio::error::operation_aborted);
    EXPECT_EQ(fetches.load(), 0);
}

TEST_F(token_cache_test, a_refused_directory_is_reported_once_and_bypassed)
{
    fs::create_directories(dir);
    ::chmod(dir.c_str(), 0770);
    std::atomic<int> fetches{0};
    asio::io_context io;
    std::vector<std::string> refusals;
    auto source = source_on(io, fetches, cache_in(dir, &refusals));
    for (int i = 0; i < 2; ++i)
    {
        fetch_outcome out;
        start_fetch(*source, out);
        run_until_done(io, out);
        EXPECT_FALSE(out.result.ec);
    }
    EXPECT_EQ(fetches.load(), 2);
    ASSERT_EQ(refusals.size(), 1u);
    EXPECT_NE(refusals[0].find(dir), std::string::npos);
    EXPECT_FALSE(fs::exists(file_of()));
}

TEST_F(token_cache_test, many_processes_at_once_make_one_token_request)
{
    std::atomic<int> fetches{0};
    constexpr int processes = 16;
    std::vector<std::string> tokens(processes);
    std::vector<std::thread> threads;
    std::atomic<int> ready{0};
    for (int p = 0; p < processes; ++p)
        threads.emplace_back([&, p] {
            asio::io_context io;
            auto source = source_on(io, fetches, cache_in(dir));
            ++ready;
            while (ready.load() < processes)
                std::this_thread::yield();
            fetch_outcome out;
            start_fetch(*source, out);
            run_until_done(io, out);
            tokens[p] = out.result.grant.access_token;
        });
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(fetches.load(), 1);
    for (const auto& t : tokens)
        EXPECT_EQ(t, tokens.front());
}

}  // namespace
