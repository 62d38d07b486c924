// vovrest token (the Authorization header value, for curl) and vovrest logout (the cached token
// removed; no request is sent: the REST API has no logout).
#include "cli_commands.hpp"
#include "cli_output.hpp"
#include "cli_session.hpp"

#include <vovrest/detail/jwt_payload.hpp>
#include <vovrest/token_cache.hpp>

#include <boost/json/object.hpp>

#include <cmath>

namespace vovrest::cli {
namespace {

namespace asio = boost::asio;

asio::awaitable<int> run_token(session& s, const global_options& o)
{
    // main() authorized already: the token is the cached one or a fresh one.
    auto header = s.token();
    if (!header)
        throw cli_failure(exit_authentication, "no token was obtained");
    if (!o.json())
    {
        print_line(printable_line(*header));
        co_return exit_ok;
    }
    const auto colon = header->find(':');
    const std::string_view type = std::string_view(*header).substr(0, colon);
    const std::string_view token =
        colon == std::string::npos ? std::string_view{} : std::string_view(*header).substr(colon + 1);
    boost::json::object out;
    out["authorization"] = *header;
    out["token_type"] = type;
    out["access_token"] = token;
    if (const auto payload = detail::decode_jwt_payload(token); payload && payload->exp)
        out["expires_at"] = static_cast<std::int64_t>(std::floor(*payload->exp));
    out["from_cache"] = s.counters().token_cache_hits > 0;
    print_line(json_text(out));
    co_return exit_ok;
}

int run_logout(const global_options& o, bool all)
{
    const std::string directory = token_cache_directory(o);
    if (directory.empty())
        throw usage_error("logout: the token cache is off (--token-cache off), there is nothing to remove");
    boost::system::error_code ec;
    std::size_t removed = 0;
    std::string what;
    if (all)
    {
        removed = remove_cached_tokens(directory, ec);
        what = "every cached token";
    }
    else
    {
        const base_url url = checked_url(o);
        if (o.user.empty())
            throw usage_error("no user name: give --user or set USER");
        removed = remove_cached_token(directory, url, o.user, ec) ? 1 : 0;
        what = "the cached token of " + o.user + " at " + url.to_string();
    }
    if (ec)
        throw cli_failure(exit_failure, "logout: cannot remove " + what + " from " + directory + ": " + ec.message());
    if (o.json())
    {
        boost::json::object out;
        out["removed"] = removed;
        out["directory"] = directory;
        print_line(json_text(out));
    }
    else if (removed == 0)
        print_line(printable_line("nothing to remove: no " + what.substr(what.find(' ') + 1)));
    else
        print_line(printable_line("removed " + (all ? std::to_string(removed) + " cached tokens" : what)));
    return exit_ok;
}

}  // namespace

void add_token_commands(CLI::App& app, global_options& o, command& out)
{
    auto* token = app.add_subcommand("token", "print the Authorization header value of a token");
    token->footer("Prints \"<token_type>:<access_token>\", the value of the Authorization header, e.g.\n"
                  "  curl -H \"Authorization: $(vovrest token)\" \"$NC_URL/api/v3/project/1/project\"\n"
                  "The token comes from the token cache while it is fresh (no password needed), else from\n"
                  "the server. The only command that prints a token. With -o json: token_type,\n"
                  "access_token, authorization, expires_at (epoch seconds, when the token says) and\n"
                  "from_cache.");
    token->add_flag("--no-cache", o.no_cache,
                    "a fresh token from the server; the token cache is neither read nor written");
    token->callback([&o, &out] { out.run = [&o](session& s) { return run_token(s, o); }; });

    auto* logout = app.add_subcommand("logout", "remove the cached token (no request is sent)");
    logout->footer("Removes the cached token of --url and --user from the token cache, so that the next\n"
                   "command asks the server (and the password) again. The REST API has no logout: the\n"
                   "token itself stays valid until it expires.");
    auto all = std::make_shared<bool>(false);
    logout->add_flag("--all", *all, "remove every cached token of this OS user");
    logout->callback([&o, &out, all] { out.local = [&o, all] { return run_logout(o, *all); }; });
}

}  // namespace vovrest::cli
