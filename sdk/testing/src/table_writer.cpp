#include "table_writer.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace vovrest::testing::detail {

namespace {

void append_csv_field(std::string& out, std::string_view field)
{
    if (field.find_first_of(",\"\r\n") == std::string_view::npos)
    {
        out += field;
        return;
    }
    out += '"';
    for (char c : field)
    {
        if (c == '"')
            out += '"';
        out += c;
    }
    out += '"';
}

}  // namespace

std::string to_string(const cell& c)
{
    if (const auto* i = std::get_if<std::int64_t>(&c))
        return std::to_string(*i);
    return std::get<std::string>(c);
}

std::string to_json(const table& t)
{
    boost::json::object out;
    out["startrow"] = 1;
    out["endrow"] = static_cast<std::int64_t>(t.rows.size());
    out["query"] = t.query;
    out["errormsg"] = t.errormsg;
    boost::json::array columns;
    columns.reserve(t.columns.size());
    for (std::size_t i = 0; i < t.columns.size(); ++i)
        columns.push_back(boost::json::object{{"col", static_cast<std::int64_t>(i)}, {"field", t.columns[i]}});
    out["columns"] = std::move(columns);
    boost::json::array rows;
    rows.reserve(t.rows.size());
    for (const auto& row : t.rows)
    {
        boost::json::array r;
        r.reserve(row.size());
        for (const auto& c : row)
        {
            if (const auto* i = std::get_if<std::int64_t>(&c))
                r.emplace_back(*i);
            else
                r.emplace_back(std::get<std::string>(c));
        }
        rows.push_back(std::move(r));
    }
    out["rows"] = std::move(rows);
    return boost::json::serialize(out);
}

std::string to_csv(const table& t, bool with_header)
{
    std::string out;
    if (with_header)
    {
        for (std::size_t i = 0; i < t.columns.size(); ++i)
        {
            if (i != 0)
                out += ',';
            append_csv_field(out, t.columns[i]);
        }
        out += '\n';
    }
    for (const auto& row : t.rows)
    {
        for (std::size_t i = 0; i < row.size(); ++i)
        {
            if (i != 0)
                out += ',';
            append_csv_field(out, to_string(row[i]));
        }
        out += '\n';
    }
    return out;
}

}  // namespace vovrest::testing::detail
