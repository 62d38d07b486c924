// The subcommands of vovrest. Each parses its own arguments first (so that --help and usage
// errors need no server), and returns what to run once the session exists: a coroutine giving
// the exit status. An empty runner means its --help was printed.
#pragma once

#include "cli_args.hpp"

#include <vovrest/session.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>

namespace vovrest::cli {

using runner = std::function<boost::asio::awaitable<int>(session&)>;

struct command_needs
{
    bool reads_stdin = false;  // the command reads standard input (submit --file -)
};

runner parse_token(arguments& args);
runner parse_get(arguments& args);
runner parse_query(arguments& args);
runner parse_job(arguments& args);
runner parse_submit(arguments& args, command_needs& needs);

}  // namespace vovrest::cli
