#include <vovrest/detail/password_call.hpp>
#include <vovrest/detail/secret_buffer.hpp>
#include <vovrest/password_provider.hpp>

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string_view>

namespace vovrest {
namespace {

// The text up to the first line break, without a trailing CR: made once, at its final size (a
// string grown step by step would leave copies of its first bytes in freed memory).
std::string first_line(std::string_view text)
{
    text = text.substr(0, text.find('\n'));
    if (!text.empty() && text.back() == '\r')
        text.remove_suffix(1);
    return std::string(text);
}

}  // namespace

void wipe(std::string& secret) noexcept
{
    if (!secret.empty())
        OPENSSL_cleanse(secret.data(), secret.size());
    secret.clear();
}

namespace detail {

// The one copy of a fixed password, in pages that core dumps leave out, wiped when the last copy
// of the provider goes.
struct fixed_password_fn::holder
{
    secret_buffer value;
};

std::string fixed_password_fn::operator()() const
{
    return std::string(kept->value.view());
}

std::string env_password_fn::operator()() const
{
    const char* value = std::getenv(variable.c_str());
    return std::string(value ? value : "");
}

bool never_blocks(const password_provider& provider) noexcept
{
    return provider.target<fixed_password_fn>() != nullptr || provider.target<env_password_fn>() != nullptr;
}

}  // namespace detail

password_provider fixed_password(std::string password)
{
    // Shared so that copies of the provider do not multiply the secret in memory.
    detail::fixed_password_fn fn{std::make_shared<detail::fixed_password_fn::holder>()};
    fn.kept->value.append(password);
    wipe(password);
    return fn;
}

password_provider password_from_env(std::string variable)
{
    return detail::env_password_fn{std::move(variable)};
}

password_provider password_from_file(std::string path)
{
    return [path = std::move(path)] {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return std::string();
        struct stat info
        {};
        if (::fstat(fd, &info) != 0 || (info.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        {
            ::close(fd);
            return std::string();  // readable by others: refused
        }
        // Read with read(2) into pages core dumps leave out: a stream's buffer would keep a copy
        // in ordinary memory, freed without being wiped.
        detail::secret_buffer content(4096);
        constexpr std::size_t max_line = 64 * 1024;  // a password is one short line
        while (content.size() < max_line)
        {
            char* at = content.extend(4096);
            const ssize_t n = ::read(fd, at, 4096);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            content.commit(static_cast<std::size_t>(n));
            if (std::memchr(at, '\n', static_cast<std::size_t>(n)) != nullptr)
                break;
        }
        ::close(fd);
        return first_line(content.view());
    };
}

password_provider password_prompt(std::string prompt)
{
    return [prompt = std::move(prompt)] {
        if (!::isatty(STDIN_FILENO))
            return std::string();
        std::cerr << prompt << std::flush;
        termios saved{};
        ::tcgetattr(STDIN_FILENO, &saved);
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        // Byte by byte with read(2) into pages core dumps leave out: std::cin's and stdio's
        // buffers would keep the line in ordinary memory.
        detail::secret_buffer line(256);
        char c = 0;
        for (;;)
        {
            const ssize_t n = ::read(STDIN_FILENO, &c, 1);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0 || c == '\n')
                break;
            line.append(std::string_view(&c, 1));
        }
        OPENSSL_cleanse(&c, sizeof c);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::cerr << '\n';
        return first_line(line.view());
    };
}

}  // namespace vovrest
