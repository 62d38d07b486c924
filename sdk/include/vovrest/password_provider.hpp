// Where the password comes from. The session asks at each authentication, uses the answer once
// for one token request, wipes it (OPENSSL_cleanse) and never logs or keeps it.
//
// Core dumps: the session copies the returned string into the token request's form body, in
// pages that core dumps leave out (MADV_DONTDUMP) and that are wiped once the request is sent,
// and wipes the returned string before anything goes on the wire. The ready-made providers below
// keep and read the password the same way (fixed_password's copy, the file read with read(2),
// the prompt read from the terminal byte by byte), so a core taken while a token request waits
// holds no copy of it. What a provider of your own keeps is yours to wipe; password_from_env
// cannot help the copy in the process environment.
// Thread-safety: a provider may be called from any thread, never twice at once for one session.
#pragma once

#include <functional>
#include <string>

namespace vovrest {

/// Returns the password; an empty string means "none" and fails the authentication with
/// error::no_password. May block (a terminal prompt does). Return a string made once, at its
/// size: one that grew step by step has left copies of its first bytes in freed memory.
using password_provider = std::function<std::string()>;

// Ready-made providers.
password_provider fixed_password(std::string password);
// Reads the variable at each call (e.g. VOV_PASSWORD).
password_provider password_from_env(std::string variable);
// Reads the first line of a file at each call; refuses a file that its group or others may read.
password_provider password_from_file(std::string path);
// Prompts on the terminal without echo ("Password: " by default); empty when there is no terminal.
password_provider password_prompt(std::string prompt = "Password: ");

// Overwrites the string's bytes (OPENSSL_cleanse) and clears it.
void wipe(std::string& secret) noexcept;

}  // namespace vovrest
