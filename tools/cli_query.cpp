// vovrest query: GET /api/v3/query printed as a table for people, or as the server's JSON or CSV
// for programs. One function per format, so that json and csv can stream rows to the output
// once the SDK offers a row stream; both already hold only the body's text (no table built).
#include "cli_commands.hpp"
#include "cli_format.hpp"
#include "cli_output.hpp"

#include <vovrest/query.hpp>

#include <iostream>

namespace vovrest::cli {
namespace {

namespace asio = boost::asio;

enum class query_output
{
    table,
    json,
    csv,
    csv_noheader
};

// Aligned columns under a header line: the rows are parsed into a table.
asio::awaitable<int> print_query_table(session& s, query q)
{
    table t = co_await run(s, std::move(q));
    std::cout << aligned_columns(t);
    co_return exit_ok;
}

// The server's JSON, checked without building it: a non-empty errormsg is a failure, not output.
asio::awaitable<int> print_query_json(session& s, query q)
{
    q.format(query_format::json);
    const std::string body = co_await run_text(s, q);
    const json_body checked = check_json_body(body);
    if (!checked.valid)
        throw error_with_diagnostics(error::bad_response,
                                     diagnostics{0, "the query answer is not JSON", "GET", "/api/v3/query", {}});
    if (!checked.errormsg.empty())
        throw error_with_diagnostics(error::query_failed, diagnostics{0, checked.errormsg, "GET", "/api/v3/query", {}});
    write_json_body(std::cout, body, true);
    co_return exit_ok;
}

// The server's CSV, written through with control characters other than line ends escaped.
asio::awaitable<int> print_query_csv(session& s, query q, bool header)
{
    q.format(header ? query_format::csv : query_format::csv_noheader);
    const std::string body = co_await run_text(s, q);
    write_printable_text(std::cout, body);
    co_return exit_ok;
}

struct query_options
{
    std::vector<std::string> select;
    std::string from = "jobs";
    std::string where;
    std::string order;
    std::size_t limit = 0;
    std::string format;  // empty: table for -o text, json for -o json
};

query_output output_for(const query_options& q, const global_options& o)
{
    if (q.format.empty())
        return o.json() ? query_output::json : query_output::table;
    if (q.format == "json")
        return query_output::json;
    if (q.format == "csv")
        return query_output::csv;
    if (q.format == "csv-noheader")
        return query_output::csv_noheader;
    return query_output::table;
}

}  // namespace

void add_query_command(CLI::App& app, global_options& o, command& out)
{
    auto* sub = app.add_subcommand("query", "GET /api/v3/query: jobs (or another table) as a table, JSON or CSV");
    sub->footer("Runs GET /api/v3/query. --format table (the default; with -o json: json) aligns the\n"
                "columns; json and csv print the server's answer (json on one line). A query the\n"
                "server refuses (an errormsg, or HTTP 400 for CSV) is exit status 1.\n"
                "Example: vovrest query --select idint,status --where status==VALID --order idint --limit 10");
    auto q = std::make_shared<query_options>();
    sub->add_option("--select", q->select, "fields (default: every field)")->delimiter(',')->type_name("F[,F...]");
    sub->add_option("--from", q->from, "the table")->capture_default_str();
    sub->add_option("--where", q->where, "a VOV selection rule, e.g. status==VALID")->type_name("RULE");
    sub->add_option("--order", q->order, "sort order, e.g. \"host DESC, id\"")->type_name("F[,F...]");
    sub->add_option("--limit", q->limit, "rows at most (0: no limit)")->type_name("N");
    sub->add_option("--format", q->format, "table, json, csv or csv-noheader")
        ->check(CLI::IsMember({"table", "json", "csv", "csv-noheader"}))
        ->type_name("FORMAT");
    sub->callback([&o, &out, q] {
        query built;
        std::vector<std::string> fields;
        for (const auto& f : q->select)
            if (!f.empty())
                fields.push_back(f);
        built.select(std::move(fields)).from(q->from).limit(q->limit);
        if (!q->where.empty())
            built.where(q->where);
        if (!q->order.empty())
            built.order(q->order);
        out.run = [&o, q, built](session& s) -> asio::awaitable<int> {
            switch (output_for(*q, o))
            {
            case query_output::json: return print_query_json(s, built);
            case query_output::csv: return print_query_csv(s, built, true);
            case query_output::csv_noheader: return print_query_csv(s, built, false);
            case query_output::table: break;
            }
            return print_query_table(s, built);
        };
    });
}

}  // namespace vovrest::cli
