/// @file
/// vovrest::token_cache_params — one token per (server, user) shared by every process of the same
/// OS user: the token is kept in a file between runs, so that a CI pipeline or a Tcl flow that
/// starts a vovrest program a thousand times makes one token request, not a thousand. Off by
/// default in the library (session_params::token_cache), on by default in the vovrest CLI.
///
/// Files live in a directory of their own (default_token_cache_directory()), one per
/// (base URL, user), mode 0600 in a 0700 directory; a file or directory that is not owned by the
/// user or that its group or others may access is refused (never read, never written). Writes are
/// atomic (a temporary file renamed); an advisory lock (flock) makes the processes that start at
/// once wait for one token request instead of each making its own, with a bounded wait and never
/// blocking a thread. A cached token is used only before its soft window (token_params); a 401 on
/// it removes it. The file's contents are a secret: never logged, never in an error text.
/// Thread-safety: plain values and free functions, callable from any thread.
#pragma once

#include <vovrest/base_url.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace vovrest {

/// Whether and where a session keeps its token for other processes.
struct token_cache_params
{
    /// Read the token from the cache before asking the server, and write the token obtained.
    bool enabled = false;
    /// The cache directory; empty: default_token_cache_directory(). Missing directories are
    /// created with mode 0700.
    std::string directory;
    /// How long a process waits for another process's token request (the lock holder's) before
    /// making its own. The pipeline's renewal_timeout bounds the whole token request as well.
    std::chrono::steady_clock::duration lock_wait = std::chrono::seconds(10);
    /// Told, once per reason, why the cache is not used (a file or directory others may access,
    /// not owned by the user, not writable). Called from any thread; never sees a secret.
    std::function<void(const std::string& reason)> on_refused;
};

/// $XDG_RUNTIME_DIR/vovrest, else $XDG_CACHE_HOME/vovrest, else $HOME/.cache/vovrest; empty when
/// none of the variables is set.
std::string default_token_cache_directory();

/// The file that holds the token of (url, username) in `directory` (which may not exist).
std::string token_cache_file(const std::string& directory, const base_url& url, std::string_view username);

/// Removes the cached token of (url, username) from `directory` (logging out of the cache; no
/// request is sent). True when a token was removed; false with `ec` clear when there was none.
/// A directory that is refused (see above) is `ec` = permission_denied, nothing removed.
bool remove_cached_token(const std::string& directory, const base_url& url, std::string_view username,
                         boost::system::error_code& ec);

/// Removes every cached token in `directory`; returns how many.
std::size_t remove_cached_tokens(const std::string& directory, boost::system::error_code& ec);

}  // namespace vovrest
