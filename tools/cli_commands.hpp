// The subcommands of vovrest. Each adds itself to the CLI11 application; when it is the one
// parsed, its callback leaves in `command` what to run: a coroutine on a session giving the
// exit status, or (logout) a function that needs no session. The global options are read when
// the command runs (after the config file is applied), never while parsing.
#pragma once

#include "cli_options.hpp"

#include <vovrest/session.hpp>

#include <CLI/CLI.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>

namespace vovrest::cli {

struct command
{
    std::function<boost::asio::awaitable<int>(session&)> run;  // needs a session
    std::function<int()> local;                                // needs none
    bool reads_stdin = false;                                  // its input is standard input
};

void add_token_commands(CLI::App& app, global_options& options, command& out);    // token, logout
void add_request_commands(CLI::App& app, global_options& options, command& out);  // get, request
void add_query_command(CLI::App& app, global_options& options, command& out);
void add_submit_command(CLI::App& app, global_options& options, command& out);
void add_job_command(CLI::App& app, global_options& options, command& out);

}  // namespace vovrest::cli
