// The files of the cross-process token cache (token_cache.hpp) for one (base URL, user), without
// Asio: the checked directory, the token file (read, atomic write, removal) and its advisory lock.
// Every call is one or two short file operations that never wait for another process.
// Thread-safety: a store's const members may be called from any thread at once.
#pragma once

#include <vovrest/detail/token_source.hpp>
#include <vovrest/detail/token_state_machine.hpp>
#include <vovrest/token_params.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vovrest::detail {

// What a cache file holds. The token is a secret: the destructor wipes it.
struct cached_token
{
    std::string url;       // base_url::to_string(): the key, checked on reading
    std::string username;  // the other half of the key
    std::string token_type;
    std::string access_token;
    std::int64_t received_ms = 0;                    // wall clock when it arrived, ms since the epoch
    std::optional<std::chrono::seconds> expires_in;  // when the token answer carried it

    cached_token() = default;
    cached_token(const cached_token&) = default;
    cached_token& operator=(const cached_token&) = default;
    ~cached_token();
    // "<token_type>:<access_token>", the header value (a secret).
    std::string authorization() const;
};

enum class cache_read
{
    hit,        // `out` holds the file's token for this key
    missing,    // no file
    corrupt,    // not a cache file of this version (it will be replaced)
    other_key,  // a file for another URL or user (a hash collision, or a copied file)
    refused,    // not owned by the user, group/world accessible, not a regular file
};

enum class cache_lock
{
    held,     // this process holds the lock
    busy,     // another process holds it (it is making the token request)
    refused,  // the lock file is refused or cannot be made
};

// An advisory lock held on a (url, user)'s lock file; released by unlock() or destruction.
class token_cache_lock
{
public:
    token_cache_lock() = default;
    token_cache_lock(const token_cache_lock&) = delete;
    token_cache_lock& operator=(const token_cache_lock&) = delete;
    ~token_cache_lock() { unlock(); }
    bool held() const noexcept { return fd_ >= 0; }
    void unlock() noexcept;

private:
    friend class token_cache_store;
    int fd_ = -1;
};

class token_cache_store
{
public:
    // Opens `directory` (created with mode 0700 when missing, parents included) and checks it:
    // a directory, not a symbolic link, owned by the effective user, no access for group or
    // others. ok() says whether it passed; why() why not.
    token_cache_store(const std::string& directory, std::string url, std::string username);
    ~token_cache_store();
    token_cache_store(const token_cache_store&) = delete;
    token_cache_store& operator=(const token_cache_store&) = delete;

    bool ok() const noexcept { return dir_fd_ >= 0; }
    const std::string& why() const noexcept { return why_; }
    const std::string& path() const noexcept { return path_; }  // the token file

    // `why` is set for refused (the reason) and corrupt.
    cache_read read(cached_token& out, std::string& why) const;
    // Writes a temporary file (mode 0600) and renames it over the token file. False + `why` on failure.
    bool write(const cached_token& token, std::string& why) const;
    // Removes the token file if it holds this header value (a 401 refused it). Never waits: when
    // another process holds the lock it is renewing and will replace the file anyway.
    void remove_if_holds(std::string_view authorization) const;
    // Removes the token file whatever it holds; true when there was one.
    bool remove() const;
    // Takes the lock without waiting (LOCK_EX | LOCK_NB).
    cache_lock try_lock(token_cache_lock& lock, std::string& why) const;

    // "token-<16 hex digits>": the file name of (url, username) in any directory.
    static std::string file_name(std::string_view url, std::string_view username);

private:
    int dir_fd_ = -1;
    std::string directory_;
    std::string url_;
    std::string username_;
    std::string name_;
    std::string path_;
    std::string why_;
};

// The grant a cached token gives now, when the token rules allow its use: its expiry is known
// (expires_in, or the JWT's exp/iat, read as at its arrival) and `now` is before its soft window
// (no jitter); or its expiry is unknown (then, as in the pipeline, it is used until a 401 refuses
// it, or until it is token.max_token_age old when that is set).
// expires_in is then the whole seconds left, so that the pipeline measures what is left, not a
// whole lifetime from now.
std::optional<token_grant> usable_grant(const cached_token& cached, const token_params& token, wall_time now);

}  // namespace vovrest::detail
