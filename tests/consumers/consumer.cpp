// A user's program, as small as it gets: start the fake Accelerator (vovrest::testing), authorize,
// make one GET and check the answer. tests/consumers/run builds it the four ways a user's build
// can take vovrest (find_package, add_subdirectory, FetchContent, pkg-config); none of them sets
// a C++ standard or an Asio definition of its own: what it needs comes with vovrest.
#include <vovrest/testing/fake_server.hpp>
#include <vovrest/vovrest.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstring>
#include <exception>
#include <iostream>
#include <string>

namespace asio = boost::asio;

namespace {

asio::awaitable<std::string> authorize_and_read(vovrest::session& s)
{
    co_await s.authorize();
    vovrest::response answer = co_await s.get("/api/v3/project/1/project");
    co_return vovrest::table::parse(answer.body).at(0, "PROJECT").as_string();
}

}  // namespace

int main()
{
    vovrest::testing::fake_server_params server_params;
    server_params.users = {{"consumer", "consumer-password", vovrest::testing::security_level::user}};
    server_params.project_name = "consumer-project";
    vovrest::testing::fake_server server(server_params);
    server.start();

    asio::io_context io;
    vovrest::session_params params;
    params.url = server.url();
    params.username = "consumer";
    params.password = vovrest::fixed_password("consumer-password");
    params.single_threaded = true;
    vovrest::session s(io.get_executor(), params);

    std::string project;
    std::exception_ptr failure;
    asio::co_spawn(io, authorize_and_read(s), [&](std::exception_ptr e, std::string name) {
        failure = e;
        project = std::move(name);
        s.shutdown();  // the idle connection is closed now, so run() returns
    });
    io.run();
    if (failure)
    {
        try
        {
            std::rethrow_exception(failure);
        }
        catch (const std::exception& e)
        {
            std::cerr << "consumer: " << e.what() << '\n';
        }
        return 1;
    }
    const auto stats = server.stats();
    if (project != "consumer-project" || stats.tokens_issued != 1)
    {
        std::cerr << "consumer: unexpected answer: project '" << project << "', " << stats.tokens_issued
                  << " tokens issued\n";
        return 1;
    }
    if (std::strcmp(vovrest::library_version(), VOVREST_VERSION_STRING) != 0)
    {
        std::cerr << "consumer: headers " << VOVREST_VERSION_STRING << ", library " << vovrest::library_version()
                  << '\n';
        return 1;
    }
    std::cout << "consumer: vovrest " << vovrest::library_version() << ", project " << project << '\n';
    return 0;
}
