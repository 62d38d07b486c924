// The ready-made password providers: asked at each call, files only when owner-only.
#include <vovrest/password_provider.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vovrest {
namespace {

TEST(password_provider, fixed_gives_the_same_each_time)
{
    auto provider = fixed_password("s3cret");
    EXPECT_EQ(provider(), "s3cret");
    EXPECT_EQ(provider(), "s3cret");
}

TEST(password_provider, env_is_read_at_each_call)
{
    ::setenv("VOVREST_TEST_PASSWORD", "first", 1);
    auto provider = password_from_env("VOVREST_TEST_PASSWORD");
    EXPECT_EQ(provider(), "first");
    ::setenv("VOVREST_TEST_PASSWORD", "second", 1);  // a rotated password is picked up
    EXPECT_EQ(provider(), "second");
    ::unsetenv("VOVREST_TEST_PASSWORD");
    EXPECT_EQ(provider(), "");
}

TEST(password_provider, file_only_when_its_owner_alone_may_read_it)
{
    const auto path = std::filesystem::temp_directory_path() / ("vovrest-pw-" + std::to_string(::getpid()));
    {
        std::ofstream out(path);
        out << "from-file\r\nsecond line\n";
    }
    auto provider = password_from_file(path.string());
    ::chmod(path.c_str(), 0600);
    EXPECT_EQ(provider(), "from-file");
    ::chmod(path.c_str(), 0644);
    EXPECT_EQ(provider(), "");  // readable by others: refused
    std::filesystem::remove(path);
    EXPECT_EQ(provider(), "");  // missing
}

TEST(password_provider, file_gives_its_first_line_however_long_the_file)
{
    const auto path = std::filesystem::temp_directory_path() / ("vovrest-pw-long-" + std::to_string(::getpid()));
    const std::string first(5000, 'p');  // beyond one read
    {
        std::ofstream out(path);
        out << first << "\n" << std::string(10000, 'q');
    }
    ::chmod(path.c_str(), 0600);
    EXPECT_EQ(password_from_file(path.string())(), first);
    {
        std::ofstream out(path, std::ios::trunc);
        out << "no-newline";
    }
    EXPECT_EQ(password_from_file(path.string())(), "no-newline");
    std::filesystem::remove(path);
}

TEST(password_provider, fixed_copies_share_one_password)
{
    auto provider = fixed_password(std::string(100, 'z'));
    auto copy = provider;
    provider = nullptr;
    EXPECT_EQ(copy(), std::string(100, 'z'));
    EXPECT_EQ(fixed_password("")(), "");
}

TEST(password_provider, prompt_without_a_terminal_gives_nothing)
{
    // stdin is made /dev/null for the call (the prompt on a real pty is tested by tests/cli).
    const int saved = ::dup(STDIN_FILENO);
    const int null = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(saved, 0);
    ASSERT_GE(null, 0);
    ::dup2(null, STDIN_FILENO);
    const auto answer = password_prompt()();
    ::dup2(saved, STDIN_FILENO);
    ::close(null);
    ::close(saved);
    EXPECT_EQ(answer, "");
}

TEST(password_provider, wipe_clears)
{
    std::string secret = "to be wiped";
    wipe(secret);
    EXPECT_TRUE(secret.empty());
}

}  // namespace
}  // namespace vovrest
