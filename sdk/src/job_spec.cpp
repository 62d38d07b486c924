#include <vovrest/jobs.hpp>

namespace vovrest {
namespace {

// Words made only of these characters mean the same to /bin/sh quoted or not.
bool shell_safe(std::string_view word) noexcept
{
    if (word.empty())
        return false;
    for (char c : word)
    {
        const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
                          || c == '-' || c == '.' || c == '/' || c == ':' || c == ',' || c == '+' || c == '='
                          || c == '@' || c == '%';
        if (!safe)
            return false;
    }
    return true;
}

void append_quoted(std::string& out, std::string_view word)
{
    if (shell_safe(word))
    {
        out += word;
        return;
    }
    out += '\'';
    for (char c : word)
    {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    out += '\'';
}

}  // namespace

std::string command_line(const job_spec& spec)
{
    if (spec.argv.empty())
        return spec.command;
    std::string out;
    for (const auto& word : spec.argv)
    {
        if (!out.empty())
            out += ' ';
        append_quoted(out, word);
    }
    return out;
}

boost::json::object to_json(const job_spec& spec, std::string_view jobname)
{
    // Sized once: an object that grows rehashes, and this runs once per job submitted.
    boost::json::object body(9 + spec.extra.size());
    body.emplace("command", command_line(spec));
    const std::pair<const char*, std::string_view> members[] = {
        {"rundir", spec.rundir},     {"env", spec.env},           {"jobname", jobname},  {"resources", spec.resources},
        {"priority", spec.priority}, {"jobclass", spec.jobclass}, {"group", spec.group}, {"logfile", spec.logfile},
    };
    for (const auto& [name, value] : members)
        if (!value.empty())
            body.emplace(name, value);
    for (const auto& [name, value] : spec.extra)
        body[name] = value;
    return body;
}

boost::json::object to_json(const job_spec& spec)
{
    return to_json(spec, spec.jobname);
}

}  // namespace vovrest
