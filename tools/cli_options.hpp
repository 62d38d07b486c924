// What every vovrest command shares: the exit statuses, the two failures the program reports
// itself (a wrong command line; a failure with its own exit status), and the global options
// (where the Accelerator is, who the user is, TLS, timeouts, output, token cache).
#pragma once

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace vovrest::cli {

// Exit statuses, as `vovrest --help` and the man page document them.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;         // any other failure
inline constexpr int exit_usage = 2;           // a wrong command line, URL or argument; nothing was sent
inline constexpr int exit_authentication = 3;  // wrong user or password, no password, refused token
inline constexpr int exit_not_found = 4;       // no such job or resource (job wait: never existed / forgotten)
inline constexpr int exit_forgotten = 5;       // job wait: the job was forgotten before its end state was seen

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

enum class output_format
{
    text,  // for people: one value per line, aligned columns, server text with control characters escaped
    json,  // for programs: one JSON document per line, numbers as plain decimals
};

// The interactive defaults (see `vovrest --help`): a command gives up rather than hang.
inline constexpr std::chrono::milliseconds default_timeout = std::chrono::seconds(30);
inline constexpr std::chrono::milliseconds default_connect_timeout = std::chrono::seconds(10);
inline constexpr unsigned token_attempts = 3;

struct global_options
{
    std::string url;                                      // --url, $NC_URL, config
    std::string user;                                     // --user, $VOVREST_USER, config, else $USER
    std::string password_file;                            // --password-file, $VOVREST_PASSWORD_FILE, config
    bool password_stdin = false;                          // --password-stdin
    std::string cacert;                                   // --cacert, $VOVREST_CACERT, config
    bool insecure = false;                                // --insecure, $VOVREST_INSECURE, config
    std::chrono::milliseconds timeout = default_timeout;  // --timeout (0: none)
    std::chrono::milliseconds connect_timeout = default_connect_timeout;  // --connect-timeout
    std::size_t connections = 8;                                          // --connections
    bool verbose = false;                                                 // -v
    output_format output = output_format::text;                           // -o / --output
    bool no_progress = false;                                             // --no-progress
    std::string token_cache;  // --token-cache PATH|off; empty: the default directory
    bool no_cache = false;    // `token --no-cache`
    std::string config_file;  // --config, $VOVREST_CONFIG, else the default file

    bool json() const noexcept { return output == output_format::json; }
    bool token_cache_off() const noexcept { return no_cache || token_cache == "off"; }
};

}  // namespace vovrest::cli
