// 13. Nothing a session logs or puts into an error contains the password or a token.
#include "sdk_fixture.hpp"

#include <boost/asio/use_awaitable.hpp>

namespace vovrest::test {
namespace {

TEST(secrets, no_password_or_token_in_events_errors_or_diagnostics)
{
    auto sp = server_params();
    sp.token_lifetime = std::chrono::seconds(3600);
    testing::fake_server server(sp);
    server.start();

    std::mutex mutex;
    std::vector<std::string> seen;  // every text the SDK produced
    auto record = [&](std::string text) {
        std::lock_guard lock(mutex);
        seen.push_back(std::move(text));
    };

    asio::io_context io;
    auto run_session = [&](std::string password, bool revoke) {
        auto params = client_params(server, password);
        params.on_event = [&](const session_event& e) {
            record(std::string(to_string(e.kind)) + " " + std::string(e.detail) + " " + e.ec.message());
        };
        session s(io.get_executor(), params);
        outcomes out;
        for (int i = 0; i < 5; ++i)
            spawn_counted(
                io, [](session& sess) -> asio::awaitable<void> { co_await sess.get("/api/v3/project/1/project"); }(s),
                out);
        spawn_counted(
            io,
            [](session& sess, testing::fake_server& srv, bool rev) -> asio::awaitable<void> {
                co_await sess.authorize();
                if (rev)
                    srv.revoke_all_tokens();
                co_await sess.get("/api/v3/jobs/424242");  // 404 with the server's text
            }(s, server, revoke),
            out);
        io.restart();
        io.run();
        for (auto& text : out.texts)
            record(text);
        if (auto token = s.token())
            return *token;
        return std::string();
    };
    const std::string token = run_session("demo-password", true);
    run_session("wrong-password-xyz", false);

    ASSERT_FALSE(token.empty());
    const auto access_token = token.substr(token.find(':') + 1);
    ASSERT_GT(seen.size(), 5u);
    for (const auto& text : seen)
    {
        EXPECT_EQ(text.find("demo-password"), std::string::npos) << text;
        EXPECT_EQ(text.find("wrong-password-xyz"), std::string::npos) << text;
        EXPECT_EQ(text.find(access_token), std::string::npos) << text;
        EXPECT_EQ(text.find("eyJ"), std::string::npos) << text;  // any JWT
    }
}

}  // namespace
}  // namespace vovrest::test
