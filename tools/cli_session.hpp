// The options that come before the subcommand (where the Accelerator is, who the user is, where
// the password comes from, TLS, timeouts) and the session they describe.
#pragma once

#include "cli_args.hpp"

#include <vovrest/session_params.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace vovrest::cli {

struct global_options
{
    std::string url;                   // --url, else $NC_URL
    std::string user;                  // --user, else $USER
    std::string password_file;         // --password-file
    bool password_stdin = false;       // --password-stdin
    std::string cacert;                // --cacert
    bool insecure = false;             // --insecure
    std::optional<std::chrono::milliseconds> timeout;  // --timeout
    std::optional<std::size_t> connections;            // --connections
    bool verbose = false;              // -v
    bool help = false;                 // -h / --help before any subcommand
};

// Reads options until the first argument that is not one (the subcommand).
global_options parse_global(arguments& args);

// Everything the session needs. The password source is settled here: --password-file (refused
// when its group or others may read it), --password-stdin (read now, once), $VOV_PASSWORD, else a
// prompt when stdin is a terminal. None of them: cli_failure with exit status 3.
// `stdin_taken` is set when stdin was read for the password.
session_params make_session_params(const global_options& options, bool& stdin_taken);

}  // namespace vovrest::cli
