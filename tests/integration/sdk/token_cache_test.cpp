// session_params::token_cache against the fake server: sessions that stand for processes share
// one token through the cache directory, a 401 on the cached token removes it from the file and
// the next session asks again, and the library default is off.
#include "sdk_fixture.hpp"

#include <vovrest/token_cache.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace vovrest::test {
namespace {

namespace fs = std::filesystem;

class token_cache_session : public ::testing::Test
{
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/vovrest-session-cache-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        dir = pattern;
        server.start();
    }
    void TearDown() override { fs::remove_all(dir); }

    session_params cached_params()
    {
        session_params p = client_params(server);
        p.token_cache.enabled = true;
        p.token_cache.directory = dir + "/cache";
        return p;
    }

    std::string cache_file()
    {
        boost::system::error_code ec;
        return token_cache_file(dir + "/cache", *parse_base_url(server.url(), ec), "demo");
    }

    std::string cached_text()
    {
        std::ifstream in(cache_file());
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

    testing::fake_server server{server_params()};
    std::string dir;
};

TEST_F(token_cache_session, sessions_share_one_token_request)
{
    for (int process = 0; process < 3; ++process)
    {
        asio::io_context io;
        session s(io.get_executor(), cached_params());
        outcomes out;
        run_many(io, 20, out, [&s](int) { return get_once(s, "/api/v3/project/1/project"); });
        EXPECT_EQ(out.succeeded, 20);
        EXPECT_EQ(s.counters().token_cache_hits, process == 0 ? 0u : 1u);
    }
    EXPECT_EQ(server.stats().token_requests, 1u);
    EXPECT_EQ(fs::status(cache_file()).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(token_cache_session, a_refused_cached_token_is_removed_and_replaced)
{
    {
        asio::io_context io;
        session s(io.get_executor(), cached_params());
        ASSERT_TRUE(authorize_now(io, s));
    }
    const std::string first = cached_text();
    server.revoke_all_tokens();
    {
        // This process's own login fails: only the 401 can have removed the cached token.
        asio::io_context io;
        session_params p = cached_params();
        p.password = fixed_password("wrong-password");
        session s(io.get_executor(), p);
        outcomes out;
        run_many(io, 1, out, [&s](int) { return get_once(s, "/api/v3/project/1/project"); });
        EXPECT_EQ(out.failed(), 1);
        EXPECT_EQ(s.counters().token_cache_hits, 1u);
        EXPECT_FALSE(fs::exists(cache_file()));
    }
    {
        asio::io_context io;
        session s(io.get_executor(), cached_params());
        outcomes out;
        run_many(io, 1, out, [&s](int) { return get_once(s, "/api/v3/project/1/project"); });
        EXPECT_EQ(out.succeeded, 1);
        EXPECT_EQ(s.counters().token_cache_hits, 0u);
    }
    EXPECT_NE(cached_text(), first);
    EXPECT_EQ(server.stats().token_requests, 3u);  // the first, the refused login, the new token
}

TEST_F(token_cache_session, off_by_default)
{
    for (int process = 0; process < 2; ++process)
    {
        asio::io_context io;
        session_params p = client_params(server);
        EXPECT_FALSE(p.token_cache.enabled);
        session s(io.get_executor(), p);
        ASSERT_TRUE(authorize_now(io, s));
    }
    EXPECT_EQ(server.stats().token_requests, 2u);
}

}  // namespace
}  // namespace vovrest::test
