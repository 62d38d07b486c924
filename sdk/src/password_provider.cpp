#include <vovrest/detail/password_call.hpp>
#include <vovrest/password_provider.hpp>

#include <openssl/crypto.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>

namespace vovrest {

void wipe(std::string& secret) noexcept
{
    if (!secret.empty())
        OPENSSL_cleanse(secret.data(), secret.size());
    secret.clear();
}

namespace detail {

std::string fixed_password_fn::operator()() const
{
    return kept->value;
}

fixed_password_fn::holder::~holder()
{
    wipe(value);
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
    // Shared so that copies of the provider do not multiply the secret in memory; wiped at the end.
    detail::fixed_password_fn fn{std::make_shared<detail::fixed_password_fn::holder>()};
    fn.kept->value = std::move(password);
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
        struct stat info{};
        if (::stat(path.c_str(), &info) != 0 || (info.st_mode & (S_IRWXG | S_IRWXO)) != 0)
            return std::string();  // missing, or readable by others: refused
        std::ifstream in(path);
        std::string line;
        std::getline(in, line);
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        return line;
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
        std::string line;
        std::getline(std::cin, line);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::cerr << '\n';
        return line;
    };
}

}  // namespace vovrest
