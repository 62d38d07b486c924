// vovrest get and vovrest request: any REST call through the session (token, renewal, retries),
// for the resources the typed commands do not cover.
#include "cli_commands.hpp"
#include "cli_errors.hpp"
#include "cli_output.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>

#include <cctype>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>

namespace vovrest::cli {
namespace {

namespace asio = boost::asio;

struct request_options
{
    std::string method;  // -X; empty: GET, or POST with -d
    std::string path;
    std::vector<std::string> query;    // NAME=VALUE
    std::string data;                  // -d: JSON text, @FILE or @-
    std::vector<std::string> headers;  // -H 'Name: value'
};

// Nothing is sent with CR, LF or NUL in a path or header: it would be another header or request.
void check_no_control(std::string_view what, std::string_view text)
{
    for (const char c : text)
        if (c == '\r' || c == '\n' || c == '\0')
            throw usage_error(std::string(what) + " holds a CR, LF or NUL character");
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

std::string percent_decoded(std::string_view text)
{
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i)
    {
        if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0)
        {
            out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        }
        else
            out += text[i] == '+' ? ' ' : text[i];
    }
    return out;
}

void add_pair(query_params& params, std::string_view pair, std::string_view command)
{
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0)
        throw usage_error(std::string(command) + ": expected NAME=VALUE, got '" + std::string(pair) + "'");
    params.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
}

// "jobs/12" is "/api/v3/jobs/12"; a "?a=b&c=d" in the path becomes query parameters (the
// session encodes them again).
void split_path(std::string& path, query_params& params)
{
    check_no_control("the path", path);
    if (!path.starts_with('/'))
        path = "/api/v3/" + path;
    const auto mark = path.find('?');
    if (mark == std::string::npos)
        return;
    std::string_view rest = std::string_view(path).substr(mark + 1);
    while (!rest.empty())
    {
        const auto amp = rest.find('&');
        const std::string_view part = rest.substr(0, amp);
        if (!part.empty())
        {
            const auto eq = part.find('=');
            params.emplace_back(percent_decoded(part.substr(0, eq)),
                                eq == std::string_view::npos ? std::string() : percent_decoded(part.substr(eq + 1)));
        }
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    }
    path.resize(mark);
}

std::string read_data(const std::string& data)
{
    if (!data.starts_with('@'))
        return data;
    const std::string file = data.substr(1);
    if (file == "-")
        return std::string(std::istreambuf_iterator<char>(std::cin), {});
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw cli_failure(exit_failure, "-d: cannot read " + file);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

http_method method_value(std::string_view text)
{
    std::string upper(text);
    for (auto& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper == "GET")
        return http_method::get;
    if (upper == "POST")
        return http_method::post;
    if (upper == "PUT")
        return http_method::put;
    if (upper == "PATCH")
        return http_method::patch;
    if (upper == "DELETE")
        return http_method::del;
    throw usage_error("request: -X: expected GET, POST, PUT, PATCH or DELETE, got '" + std::string(text) + "'");
}

// The body as people read it (text) or as one JSON document (json).
void print_body(const global_options& o, const std::string& body)
{
    if (o.json())
        write_json_body(std::cout, body, check_json_body(body).valid);
    else
        write_printable_text(std::cout, body);
}

asio::awaitable<int> run_get(session& s, const global_options& o, request req)
{
    response answer = co_await s.execute(std::move(req));
    print_body(o, answer.body);
    co_return exit_ok;
}

asio::awaitable<int> run_request(session& s, const global_options& o, request req)
{
    diagnostics diag;
    auto [ec, answer] = co_await s.async_execute(std::move(req), diag, asio::as_tuple(asio::use_awaitable));
    if (answer.status != 0)
    {
        if (o.json())
        {
            std::map<std::string, std::string> headers;  // lower-case names; repeats joined
            for (const auto& [name, value] : answer.headers)
            {
                std::string lower = name;
                for (auto& c : lower)
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                auto& joined = headers[lower];
                joined += joined.empty() ? value : ", " + value;
            }
            std::string line = "{\"status\":" + std::to_string(answer.status) + ",\"headers\":{";
            bool first = true;
            for (const auto& [name, value] : headers)
            {
                if (!std::exchange(first, false))
                    line += ',';
                line += json_string(name) + ':' + json_string(value);
            }
            const bool valid = check_json_body(answer.body).valid;
            line +=
                "},\"body\":" + (answer.body.empty() ? std::string("null") : json_body_text(answer.body, valid)) + '}';
            print_line(line);
        }
        else
        {
            print_line("HTTP " + std::to_string(answer.status));
            if (!answer.body.empty())
                print_body(o, answer.body);
        }
    }
    if (ec)
        co_return fail(exit_status_for(ec, diag), error_text(ec, diag));
    co_return exit_ok;
}

}  // namespace

void add_request_commands(CLI::App& app, global_options& o, command& out)
{
    auto* get = app.add_subcommand("get", "GET any resource and print the body");
    get->footer("GETs PATH (/api/v3/jobs/1138, or jobs/1138 for short: a PATH without a leading '/' is\n"
                "taken under /api/v3/) with the NAME=VALUE pairs as query parameters, and prints the\n"
                "body (text: as it came, control characters escaped; json: on one line).");
    auto g = std::make_shared<request_options>();
    get->add_option("PATH", g->path, "the resource")->required();
    get->add_option("NAME=VALUE", g->query, "query parameters");
    get->callback([&o, &out, g] {
        request req;
        req.path = g->path;
        split_path(req.path, req.query);
        for (const auto& pair : g->query)
            add_pair(req.query, pair, "get");
        out.run = [&o, req](session& s) { return run_get(s, o, req); };
    });

    auto* any = app.add_subcommand("request", "any REST call: -X METHOD PATH [-d JSON] [-H HEADER] [--query k=v]");
    any->footer("Sends one request through the session (token, renewal, retries: a POST or PATCH whose\n"
                "answer is lost is never resent) and prints \"HTTP <status>\" and the body; with -o json\n"
                "one object {\"status\", \"headers\", \"body\"}. A failure status is printed the same way,\n"
                "then reported on stderr with its exit status. PATH is as for get.\n"
                "Example: vovrest request -X PUT jobs/1138 -d '{\"action\":\"stop\"}'");
    auto r = std::make_shared<request_options>();
    any->add_option("-X,--method", r->method, "GET, POST, PUT, PATCH or DELETE (default: GET, or POST with -d)")
        ->type_name("METHOD");
    any->add_option("PATH", r->path, "the resource")->required();
    any->add_option("-d,--data", r->data, "the body: JSON text, @FILE, or @- for standard input")->type_name("DATA");
    any->add_option("-H,--header", r->headers,
                    "a header 'Name: value' (repeatable; Content-Type defaults to application/json with -d); "
                    "the session sets Authorization, Host, Content-Length and Connection itself and refuses them")
        ->type_name("HEADER");
    any->add_option("--query", r->query, "a query parameter (repeatable)")->type_name("NAME=VALUE");
    any->callback([&o, &out, r] {
        request req;
        req.path = r->path;
        split_path(req.path, req.query);
        for (const auto& pair : r->query)
            add_pair(req.query, pair, "request");
        req.method =
            r->method.empty() ? (r->data.empty() ? http_method::get : http_method::post) : method_value(r->method);
        std::string content_type = "application/json";
        for (const auto& header : r->headers)
        {
            check_no_control("a header", header);
            const auto colon = header.find(':');
            if (colon == std::string::npos || colon == 0)
                throw usage_error("request: -H: expected 'Name: value', got '" + header + "'");
            std::string name = header.substr(0, colon);
            std::string value = header.substr(colon + 1);
            value.erase(0, value.find_first_not_of(" \t"));
            std::string lower = name;
            for (auto& c : lower)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (lower == "content-type")
                content_type = value;
            else
                req.headers.emplace_back(std::move(name), std::move(value));  // checked by the session
        }
        out.reads_stdin = r->data == "@-";
        if (!r->data.empty())
        {
            req.body = read_data(r->data);
            req.content_type = content_type;
        }
        out.run = [&o, req](session& s) { return run_request(s, o, req); };
    });
}

}  // namespace vovrest::cli
