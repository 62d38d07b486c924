#include <vovrest/detail/token_cache_store.hpp>
#include <vovrest/password_provider.hpp>
#include <vovrest/token_cache.hpp>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/static_resource.hpp>

#include <openssl/crypto.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace vovrest::detail {
namespace {

constexpr int file_version = 1;
// A token file larger than this is not one of ours (tokens are a few hundred bytes to a few KiB).
constexpr std::size_t max_file_bytes = 64 * 1024;
constexpr std::string_view lock_suffix = ".lock";

std::string errno_text(int e)
{
    return std::strerror(e);
}

// Owned by the effective user, nothing for group or others.
bool private_to_user(const struct stat& info, std::string& why, const std::string& what)
{
    if (info.st_uid != ::geteuid())
    {
        why = what + " is not owned by this user";
        return false;
    }
    if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    {
        why = what + ": its group or others may access it (chmod " + (S_ISDIR(info.st_mode) ? "700" : "600") + " it)";
        return false;
    }
    return true;
}

// mkdir -p with mode 0700 for every component it creates.
void make_directories(const std::string& path)
{
    for (std::size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1))
    {
        const std::string prefix = path.substr(0, slash);
        if (!prefix.empty() && ::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST)
            return;
        if (slash == std::string::npos)
            return;
    }
}

// The header value's characters: visible ASCII, no space (a token never holds a control
// character, which would also be a header injection).
bool plain_token(std::string_view text) noexcept
{
    if (text.empty())
        return false;
    for (const unsigned char c : text)
        if (c <= 0x20 || c >= 0x7f)
            return false;
    return true;
}

std::uint64_t fnv1a(std::string_view a, std::string_view b) noexcept
{
    std::uint64_t h = 14695981039346656037ull;
    const auto mix = [&h](std::string_view text) {
        for (const unsigned char c : text)
        {
            h ^= c;
            h *= 1099511628211ull;
        }
    };
    mix(a);
    mix(std::string_view("\n", 1));
    mix(b);
    return h;
}

// Reads a whole small file from an open descriptor; false when it is larger than the limit.
bool read_all(int fd, std::string& out)
{
    out.clear();
    out.reserve(4096);
    char buffer[4096];
    for (;;)
    {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
        {
            OPENSSL_cleanse(buffer, sizeof buffer);
            return false;
        }
        if (n == 0)
            break;
        if (out.size() + static_cast<std::size_t>(n) > max_file_bytes)
        {
            OPENSSL_cleanse(buffer, sizeof buffer);
            return false;
        }
        out.append(buffer, static_cast<std::size_t>(n));
    }
    OPENSSL_cleanse(buffer, sizeof buffer);
    return true;
}

bool write_all(int fd, std::string_view text)
{
    while (!text.empty())
    {
        const ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// JSON parsed into memory that is wiped afterwards: the token never lingers in freed heap blocks.
class wiped_arena
{
public:
    wiped_arena() : bytes_(2 * max_file_bytes + 4096), resource_(bytes_.data(), bytes_.size()) {}
    ~wiped_arena() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }
    wiped_arena(const wiped_arena&) = delete;
    wiped_arena& operator=(const wiped_arena&) = delete;
    boost::json::storage_ptr storage() noexcept { return boost::json::storage_ptr(&resource_); }

private:
    std::vector<unsigned char> bytes_;
    boost::json::static_resource resource_;
};

bool parse_file(std::string_view text, cached_token& out)
{
    wiped_arena arena;
    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(text, ec, arena.storage());
    const auto* object = ec ? nullptr : doc.if_object();
    if (object == nullptr)
        return false;
    const auto text_of = [object](const char* key, std::string& into) {
        const auto* value = object->if_contains(key);
        if (value == nullptr || !value->is_string())
            return false;
        into.assign(value->get_string().data(), value->get_string().size());
        return true;
    };
    const auto* version = object->if_contains("version");
    const auto* received = object->if_contains("received_ms");
    if (version == nullptr || !version->is_int64() || version->get_int64() != file_version || received == nullptr
        || !received->is_int64())
        return false;
    if (!text_of("url", out.url) || !text_of("user", out.username) || !text_of("token_type", out.token_type)
        || !text_of("access_token", out.access_token))
        return false;
    out.received_ms = received->get_int64();
    out.expires_in.reset();
    if (const auto* expires = object->if_contains("expires_in"); expires != nullptr && !expires->is_null())
    {
        if (!expires->is_int64() || expires->get_int64() < 0)
            return false;
        out.expires_in = std::chrono::seconds(expires->get_int64());
    }
    return plain_token(out.token_type) && plain_token(out.access_token);
}

std::string serialize_file(const cached_token& token)
{
    wiped_arena arena;
    boost::json::object object(arena.storage());
    object["version"] = file_version;
    object["url"] = token.url;
    object["user"] = token.username;
    object["token_type"] = token.token_type;
    object["access_token"] = token.access_token;
    object["received_ms"] = token.received_ms;
    if (token.expires_in)
        object["expires_in"] = token.expires_in->count();
    return boost::json::serialize(object);
}

// Opens and checks a cache directory; -1 with `why` set when it is refused.
int open_directory(const std::string& directory, bool create, std::string& why)
{
    if (directory.empty())
    {
        why = "no token cache directory (set XDG_RUNTIME_DIR, XDG_CACHE_HOME or HOME)";
        return -1;
    }
    if (create)
        make_directories(directory);
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
    {
        why = "cannot open the token cache " + directory + ": " + errno_text(errno);
        return -1;
    }
    struct stat info
    {};
    if (::fstat(fd, &info) != 0 || !S_ISDIR(info.st_mode)
        || !private_to_user(info, why, "the token cache " + directory))
    {
        if (why.empty())
            why = "the token cache " + directory + " is not a directory";
        ::close(fd);
        return -1;
    }
    return fd;
}

// For removals: an existing directory, checked; -1 with `ec` clear when there is none, and
// permission_denied when it is refused.
int open_existing_directory(const std::string& directory, boost::system::error_code& ec)
{
    ec.clear();
    struct stat info
    {};
    if (directory.empty() || (::lstat(directory.c_str(), &info) != 0 && errno == ENOENT))
        return -1;
    std::string why;
    const int fd = open_directory(directory, false, why);
    if (fd < 0)
        ec = make_error_code(boost::system::errc::permission_denied);
    return fd;
}

}  // namespace

cached_token::~cached_token()
{
    wipe(access_token);
}

std::string cached_token::authorization() const
{
    std::string out;
    out.reserve(token_type.size() + 1 + access_token.size());
    out.append(token_type).append(1, ':').append(access_token);
    return out;
}

void token_cache_lock::unlock() noexcept
{
    if (fd_ >= 0)
    {
        ::close(fd_);  // releases the flock
        fd_ = -1;
    }
}

token_cache_store::token_cache_store(const std::string& directory, std::string url, std::string username)
    : directory_(directory),
      url_(std::move(url)),
      username_(std::move(username)),
      name_(file_name(url_, username_)),
      path_(directory_ + "/" + name_)
{
    dir_fd_ = open_directory(directory_, true, why_);
}

token_cache_store::~token_cache_store()
{
    if (dir_fd_ >= 0)
        ::close(dir_fd_);
}

std::string token_cache_store::file_name(std::string_view url, std::string_view username)
{
    static constexpr char hex[] = "0123456789abcdef";
    std::uint64_t h = fnv1a(url, username);
    std::string name = "token-0000000000000000";
    for (std::size_t i = name.size(); i-- > 6; h >>= 4)
        name[i] = hex[h & 0xf];
    return name;
}

cache_read token_cache_store::read(cached_token& out, std::string& why) const
{
    if (dir_fd_ < 0)
    {
        why = why_;
        return cache_read::refused;
    }
    const int fd = ::openat(dir_fd_, name_.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
    {
        if (errno == ENOENT)
            return cache_read::missing;
        why = "cannot read " + path_ + ": " + errno_text(errno);
        return cache_read::refused;
    }
    struct stat info
    {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode))
    {
        ::close(fd);
        why = path_ + " is not a regular file";
        return cache_read::refused;
    }
    if (!private_to_user(info, why, path_))
    {
        ::close(fd);
        return cache_read::refused;
    }
    std::string text;
    const bool complete = read_all(fd, text);
    ::close(fd);
    cached_token parsed;
    const bool valid = complete && parse_file(text, parsed);
    wipe(text);
    if (!valid)
    {
        why = path_ + " is not a token cache file";
        return cache_read::corrupt;
    }
    if (parsed.url != url_ || parsed.username != username_)
        return cache_read::other_key;
    out = std::move(parsed);
    return cache_read::hit;
}

bool token_cache_store::write(const cached_token& token, std::string& why) const
{
    if (dir_fd_ < 0)
    {
        why = why_;
        return false;
    }
    static std::atomic<unsigned> counter{0};
    const std::string temporary = "." + name_ + "." + std::to_string(::getpid()) + "."
                                  + std::to_string(counter.fetch_add(1, std::memory_order_relaxed)) + ".tmp";
    const int fd = ::openat(dir_fd_, temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
    {
        why = "cannot write in " + directory_ + ": " + errno_text(errno);
        return false;
    }
    std::string text = serialize_file(token);
    const bool written = ::fchmod(fd, 0600) == 0 && write_all(fd, text);
    wipe(text);
    const int error = errno;
    const bool closed = ::close(fd) == 0;
    if (!written || !closed || ::renameat(dir_fd_, temporary.c_str(), dir_fd_, name_.c_str()) != 0)
    {
        why = "cannot write " + path_ + ": " + errno_text(written && closed ? errno : error);
        ::unlinkat(dir_fd_, temporary.c_str(), 0);
        return false;
    }
    return true;
}

void token_cache_store::remove_if_holds(std::string_view authorization) const
{
    token_cache_lock lock;
    std::string why;
    if (try_lock(lock, why) != cache_lock::held)
        return;
    cached_token cached;
    if (read(cached, why) != cache_read::hit)
        return;
    std::string held = cached.authorization();
    if (held == authorization)
        ::unlinkat(dir_fd_, name_.c_str(), 0);
    wipe(held);
}

bool token_cache_store::remove() const
{
    return dir_fd_ >= 0 && ::unlinkat(dir_fd_, name_.c_str(), 0) == 0;
}

cache_lock token_cache_store::try_lock(token_cache_lock& lock, std::string& why) const
{
    lock.unlock();
    if (dir_fd_ < 0)
    {
        why = why_;
        return cache_lock::refused;
    }
    const std::string name = name_ + std::string(lock_suffix);
    const int fd = ::openat(dir_fd_, name.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
    {
        why = "cannot open the lock file " + directory_ + "/" + name + ": " + errno_text(errno);
        return cache_lock::refused;
    }
    struct stat info
    {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || !private_to_user(info, why, directory_ + "/" + name))
    {
        if (why.empty())
            why = directory_ + "/" + name + " is not a regular file";
        ::close(fd);
        return cache_lock::refused;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0)
    {
        const int error = errno;
        ::close(fd);
        if (error == EWOULDBLOCK || error == EINTR)
            return cache_lock::busy;
        why = "cannot lock " + directory_ + "/" + name + ": " + errno_text(error);
        return cache_lock::refused;
    }
    lock.fd_ = fd;
    return cache_lock::held;
}

std::optional<token_grant> usable_grant(const cached_token& cached, const token_params& token, wall_time now)
{
    // The token rules applied as at its arrival, on the wall clock (the only clock two processes
    // share): received_ms plays the part of the steady clock's "now".
    const auto received = std::chrono::milliseconds(cached.received_ms);
    const steady_time then(std::chrono::duration_cast<steady_time::duration>(received));
    const steady_time now_as_steady(std::chrono::duration_cast<steady_time::duration>(now.time_since_epoch()));
    if (now_as_steady < then)
        return std::nullopt;  // written in this process's future: a clock was changed
    const token_timing timing =
        compute_token_timing(token, cached.access_token, cached.expires_in, then, wall_time(received), 0.0);
    if (now_as_steady >= timing.soft_at || now_as_steady >= timing.hard_at)
        return std::nullopt;
    token_grant grant;
    if (timing.expires)
    {
        const auto left = std::chrono::floor<std::chrono::seconds>(*timing.expires - now_as_steady);
        if (left < std::chrono::seconds(1))
            return std::nullopt;
        grant.expires_in = left;
    }
    grant.token_type = cached.token_type;
    grant.access_token = cached.access_token;
    return grant;
}

}  // namespace vovrest::detail

namespace vovrest {

std::string default_token_cache_directory()
{
    for (const char* variable : {"XDG_RUNTIME_DIR", "XDG_CACHE_HOME"})
    {
        const char* value = std::getenv(variable);
        if (value != nullptr && value[0] == '/')
            return std::string(value) + "/vovrest";
    }
    const char* home = std::getenv("HOME");
    if (home != nullptr && home[0] == '/')
        return std::string(home) + "/.cache/vovrest";
    return {};
}

std::string token_cache_file(const std::string& directory, const base_url& url, std::string_view username)
{
    return directory + "/" + detail::token_cache_store::file_name(url.to_string(), username);
}

bool remove_cached_token(const std::string& directory, const base_url& url, std::string_view username,
                         boost::system::error_code& ec)
{
    const int fd = detail::open_existing_directory(directory, ec);
    if (fd < 0)
        return false;
    const std::string name = detail::token_cache_store::file_name(url.to_string(), username);
    const bool removed = ::unlinkat(fd, name.c_str(), 0) == 0;
    if (!removed && errno != ENOENT)
        ec.assign(errno, boost::system::system_category());
    ::close(fd);
    return removed;
}

std::size_t remove_cached_tokens(const std::string& directory, boost::system::error_code& ec)
{
    const int fd = detail::open_existing_directory(directory, ec);
    if (fd < 0)
        return 0;
    const int listing = ::dup(fd);
    DIR* dir = listing >= 0 ? ::fdopendir(listing) : nullptr;
    if (dir == nullptr)
    {
        ec.assign(errno, boost::system::system_category());
        if (listing >= 0)
            ::close(listing);
        ::close(fd);
        return 0;
    }
    std::vector<std::string> names;
    while (const dirent* entry = ::readdir(dir))
    {
        const std::string_view name = entry->d_name;
        if (name.starts_with("token-") && name.size() == detail::token_cache_store::file_name("", "").size())
            names.emplace_back(name);
    }
    ::closedir(dir);
    std::size_t removed = 0;
    for (const auto& name : names)
        if (::unlinkat(fd, name.c_str(), 0) == 0)
            ++removed;
    ::close(fd);
    return removed;
}

}  // namespace vovrest
