// The session a command runs on, from the global options: URL, user, password source, TLS,
// timeouts (the interactive defaults of cli_options.hpp), token cache, -v events.
#pragma once

#include "cli_options.hpp"

#include <vovrest/base_url.hpp>
#include <vovrest/session_params.hpp>

#include <string>

namespace vovrest::cli {

// Fails with usage_error when there is no URL or user. The password source is settled here:
// --password-file (refused when its group or others may read it), --password-stdin (read now,
// once), $VOV_PASSWORD, else a prompt when stdin is a terminal, else none (a token request then
// fails with error::no_password: a cached token needs no password). `stdin_taken` is set when
// stdin was read for the password.
session_params make_session_params(const global_options& options, bool& stdin_taken);

// The base URL of the options, checked (usage_error when missing or unusable).
base_url checked_url(const global_options& options);

// The token cache directory the options choose (empty when it is off).
std::string token_cache_directory(const global_options& options);

}  // namespace vovrest::cli
