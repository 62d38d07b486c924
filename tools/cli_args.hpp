// The vovrest command line's argument handling: a cursor over argv that reads "--name value" and
// "--name=value", value parsers, and the two failures the program itself reports (usage, and a
// failure with its own exit status).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace vovrest::cli {

// Exit statuses, as --help documents them.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;
inline constexpr int exit_authentication = 3;
inline constexpr int exit_not_found = 4;

// A wrong command line: printed as one line, exit status 2.
struct usage_error : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

// A failure found by the program itself (a password file others may read, ...).
struct cli_failure : std::runtime_error
{
    cli_failure(int status, const std::string& message) : std::runtime_error(message), exit_status(status) {}
    int exit_status;
};

class arguments
{
public:
    arguments(int argc, char** argv);

    bool empty() const noexcept { return next_ >= args_.size(); }
    std::string_view peek() const noexcept { return empty() ? std::string_view{} : args_[next_]; }
    std::string take();
    // Consumes "--name" when it is next; a value attached with '=' is a usage error.
    bool flag(std::string_view name);
    // Consumes "--name VALUE" or "--name=VALUE" when it is next.
    std::optional<std::string> option(std::string_view name);
    // Everything left.
    std::vector<std::string> rest();
    // "-h" or "--help" is next (and consumed).
    bool help();
    // Fails with a usage error naming the first argument left, if any.
    void expect_end(std::string_view command) const;

private:
    std::vector<std::string> args_;
    std::size_t next_ = 0;
};

// 500ms, 2s, 1m, 1h, 1m30s, 250us; a bare number is seconds.
std::chrono::milliseconds parse_duration(std::string_view option, std::string_view text);
// A whole number from min to max.
std::size_t parse_count(std::string_view option, std::string_view text, std::size_t min = 1,
                        std::size_t max = 1'000'000);

}  // namespace vovrest::cli
