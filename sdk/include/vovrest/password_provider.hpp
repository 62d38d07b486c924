/// @file
/// Where the password comes from. The session asks at each authentication, uses the answer once
/// for one token request, wipes it (OPENSSL_cleanse) and never logs or keeps it.
///
/// Core dumps: the session moves the returned string's bytes into pages that core dumps leave out
/// (MADV_DONTDUMP), wiping the string at once, and builds the token request's form body there;
/// those pages are wiped once the request is sent. The ready-made providers below keep and read
/// the password the same way (fixed_password's copy, the file read with read(2), the prompt read
/// from the terminal byte by byte), so a core taken while a token request waits holds no copy of
/// it. What a provider of your own keeps is yours to wipe; password_from_env cannot help the copy
/// in the process environment.
/// Thread-safety: a provider may be called from any thread, never twice at once for one session.
#pragma once

#include <functional>
#include <string>

namespace vovrest {

/// Returns the password; an empty string means "none" and fails the authentication with
/// error::no_password. May block (a terminal prompt does): every provider but fixed_password and
/// password_from_env runs on a thread of its own, so the session's executor never waits for it;
/// a cancelled or shut-down session stops waiting at once. It should not throw: an exception is
/// taken as "none" (error::no_password, asked once, not retried). Return a string made once, at
/// its size: one that grew step by step has left copies of its first bytes in freed memory.
/// Thread-safety: called from any thread, never twice at once for one session.
using password_provider = std::function<std::string()>;

/// A provider that always answers `password`. The one copy is shared by copies of the provider
/// and wiped when the last of them is destroyed; the argument is wiped at once.
password_provider fixed_password(std::string password);
/// A provider that reads the environment variable `variable` (e.g. VOV_PASSWORD) at each call;
/// empty when it is not set.
password_provider password_from_env(std::string variable);
/// A provider that reads the first line of the file at `path` at each call (a trailing CR
/// dropped). Answers empty (error::no_password) when the file is missing or its group or others
/// have any permission on it: a password file must be private (chmod 600).
password_provider password_from_file(std::string path);
/// A provider that prompts on standard error and reads standard input without echo ("Password: "
/// by default); empty when standard input is not a terminal. Blocks the calling thread while the
/// user types.
password_provider password_prompt(std::string prompt = "Password: ");

/// Overwrites the string's bytes (OPENSSL_cleanse, which the compiler cannot optimise away) and
/// clears it. For passwords and tokens the caller holds.
void wipe(std::string& secret) noexcept;

}  // namespace vovrest
