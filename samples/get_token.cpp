// get_token: Altair's getToken.py in C++. Logs in once and prints the header value every REST call
// carries, "<token_type>:<access_token>", so that a shell can use it:
//   curl -H "Authorization: $(sample_get_token)" "$NC_URL/api/v3/project/1/project"
// Usage: sample_get_token [URL [USER]]   (defaults: $NC_URL, $USER; password: $VOV_PASSWORD or a
// prompt without echo, as getMyPassword() does).
#include <vovrest/vovrest.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

namespace asio = boost::asio;

namespace {

std::string argument_or_env(int argc, char** argv, int i, const char* variable)
{
    if (i < argc)
        return argv[i];
    const char* value = std::getenv(variable);
    return value ? value : "";
}

asio::awaitable<void> print_token(vovrest::session& s)
{
    // authorize() posts username and password to /api/v3/token, exactly as the Python does.
    co_await s.authorize();
    std::cout << s.token().value() << std::endl;
}

// A refusal from the token endpoint is reported in getToken.py's words; anything else (no server,
// bad URL) by the SDK's description. stderr, so that $(sample_get_token) never captures it.
int report(const vovrest::error_with_diagnostics& e)
{
    const vovrest::diagnostics& diag = e.get_diagnostics();
    if (diag.http_status > 300)
    {
        std::cerr << "JWT Error code " << diag.http_status << '\n'
                  << "          error message : " << diag.server_message << '\n';
    }
    else
        std::cerr << "get_token: " << e.what() << '\n';
    return 1;
}

}  // namespace

int main(int argc, char** argv)
{
    vovrest::session_params params;
    params.url = argument_or_env(argc, argv, 1, "NC_URL");
    params.username = argument_or_env(argc, argv, 2, "USER");
    // The provider is asked at each login; the SDK wipes the answer after using it.
    params.password = std::getenv("VOV_PASSWORD") ? vovrest::password_from_env("VOV_PASSWORD")
                                                  : vovrest::password_prompt("Password:");
    try
    {
        asio::io_context io;
        vovrest::session s(io.get_executor(), std::move(params));
        std::exception_ptr failure;
        asio::co_spawn(io, print_token(s), [&](std::exception_ptr e) {
            failure = e;
            s.shutdown();  // closes the keep-alive connection, so that run() returns now
        });
        io.run();
        if (failure)
            std::rethrow_exception(failure);
        return 0;
    }
    catch (const vovrest::error_with_diagnostics& e)
    {
        return report(e);
    }
}
