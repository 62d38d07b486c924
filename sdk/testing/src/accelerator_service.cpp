// The fake Accelerator's REST behaviour. Where the real API is unknown ([U] in
// reference/accelerator-rest-v3.md) this fake chooses, and tests rely on, the following:
//
// Routing and errors
// - Every error is a JSON object {"error": "..."}; no error text ever holds a password or a
//   token. Paths outside /api/v3 are 404 without authentication; every /api/v3 path except
//   POST /api/v3/token is authenticated first, then routed: unknown resource 404, wrong method
//   405 (with an Allow header). A body larger than max_body_bytes is 413 before anything else.
// - A single trailing '/' is ignored ("/api/v3/jobs/1000/" is the job, as documented).
// - Every body is valid UTF-8 JSON: request bytes echoed in an answer (a job id or field name
//   from the path, a method) have every byte that is not well-formed UTF-8 replaced by U+FFFD.
// - requests_by_route keys are "<METHOD> <normalised path>", e.g. "GET /api/v3/jobs/{id}",
//   "GET /api/v3/jobs/{id}/{field}"; paths that are no resource count as "<METHOD> (other)".
//
// Tokens
// - POST /api/v3/token: a body whose Content-Type is not application/x-www-form-urlencoded, a
//   broken form, or a missing username/password field is 400; a wrong pair is 401 "invalid
//   username or password" (the text names neither). fail_first_token_requests is checked
//   before the body: the server is "unavailable", 503 + Retry-After. set_faults() restarts
//   that count: the next N token requests fail.
// - The JWT payload is {"sub","iat","exp","jti"}; iat is the wall clock floored to whole
//   seconds, exp = iat + token_lifetime (at least 1 s), jti = "<random service id>-<sequence>".
//   The response has Cache-Control: no-store. issue_token_for() issues the same kind of token
//   (any lifetime, 0 or negative gives a token already expired) without counting it.
// - Authorization: "<type>:<token>" (documented) or "<type> <token>"; the type must be
//   "Bearer" in any case. Checks in this order, each a 401 counted under its reason:
//   missing (empty header), malformed (no type, wrong type, not a JWT, claims missing),
//   signature, expired (exp <= wall now), revoked (issued, by sequence number, before the last
//   revoke_all_tokens()). A valid token whose sub is not in the user list acts at USER level.
// - fail_fraction applies to authenticated requests only (after the token check, before the
//   route): 503, Retry-After: faults.retry_after, nothing done. It never applies to tokens.
//
// Jobs
// - POST /api/v3/jobs: JSON object (the Content-Type is not checked); "command" or "cmd", a
//   non-empty string, is required (400 otherwise). rundir, env, jobname, resources, jobclass,
//   group, logfile are kept as text (a non-string value as its JSON text); priority is an
//   integer, a string starting with one ("4,8" is 4) or low/normal/high/top (1/4/8/15),
//   default 4. Answer 201, Location: /api/v3/jobs/<id>, and a table with one column "jobid" and
//   one integer row. READONLY users get 403. A job created with the command and the jobname of
//   a job created before is counted in duplicate_submissions (a job submitted twice); a job
//   whose submission never created anything and that is submitted again is not.
// - With a state_file, every change to the jobs is appended to it (and flushed) before it is
//   answered, and a server started with the same file replays it: jobs, ids, lifecycle times
//   and the jobs_created / duplicate_submissions counts carry over; tokens and the other
//   counters do not.
// - Lifecycle (steady clock, applied lazily): SCHEDULED for job_schedule_delay, RUNNING for
//   job_run_time, then VALID (exitstatus 0) or FAILED (exitstatus 1) when one word of the
//   command (a run of [A-Za-z0-9_], any case) is "fail" or "false"; forgotten forget_after
//   after it ended. Times in the table are wall-clock epoch seconds (0: not yet); host is
//   always "fakehost"; id is the 9-digit zero-padded text, idint the integer.
// - GET /api/v3/jobs/{id}, /{id}/, /{id}/*: one-row table with every field; {id} may be
//   zero-padded. GET /api/v3/jobs/{id}/{field}: one-column table; an unknown field is 200 with
//   a table whose errormsg is set, no columns and no rows (the table style of the query).
//   Unknown or forgotten job: 404 {"error":"no such job <id>"}.
// - PUT /api/v3/jobs/{id} {"action":"stop"|"suspend"|"resume"} (or ?action=... with an empty
//   body): stop ends a SCHEDULED/RUNNING/SUSPENDED job as FAILED, exitstatus 143; suspend
//   freezes a SCHEDULED or RUNNING job's clock (SUSPENDED); resume gives it back its state and
//   the rest of its time. Repeating an action is harmless (PUT is idempotent: stopping a
//   finished job is 200 and changes nothing); suspend/resume of a finished job is 409. Answer
//   {"jobid":id,"action":...,"status":...}.
// - PATCH /api/v3/jobs/{id}: a JSON object of jobname, priority, resources, jobclass, group,
//   logfile; any other member is 400 and nothing changes. Answer
//   {"jobid":id,"status":...,"modified":[names]}.
// - DELETE /api/v3/jobs/{id}: forgets it, {"jobid":id,"forgotten":true}; again: 404.
// - Permissions: READONLY reads only; USER acts only on its own jobs; LEADER and ADMIN on any
//   (403 {"error":...} otherwise). Checked after 400 (bad body) and 404 (no such job).
//
// Query
// - GET /api/v3/query: select defaults to "*", from to "jobs"; order "f [ASC|DESC], ...";
//   limit 0 or absent: no limit; max_query_rows (when set) caps every answer whatever its
//   limit, as real servers cap result sizes. Column names are the canonical lower-case field names. Any
//   problem (unknown table or field, rule syntax, bad limit) is 200 with a table whose errormsg
//   is set and no rows, for format=json; for csv and csv-noheader it is 400 {"error": ...},
//   since CSV has no place for it. An unknown format, a broken %-escape, or a known parameter
//   that is not valid UTF-8 once decoded is 400. A rule nested deeper than 64 parentheses is a
//   rule error (the parser's recursion is bounded).
// - Other tables: project/1/project (column PROJECT) and project/1/version (column VERSION).
#include "accelerator_service.hpp"

#include <vovrest/detail/ascii.hpp>

#include "form.hpp"
#include "job_journal.hpp"
#include "job_store.hpp"
#include "jwt_hs256.hpp"
#include "query.hpp"
#include "table_writer.hpp"
#include "utf8.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <variant>

namespace vovrest::testing::detail {

namespace {

namespace json = boost::json;

constexpr std::string_view api_prefix = "/api/v3";
constexpr std::string_view jobs_prefix = "/api/v3/jobs/";

using vovrest::detail::ascii_lower;
using vovrest::detail::iequals;

bool equal_secret(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<std::int64_t> parse_job_id(std::string_view text)
{
    if (text.empty() || text.size() > 18)
        return std::nullopt;
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || ptr != text.data() + text.size() || v < 0)
        return std::nullopt;
    return v;
}

// ---- replies ----

service_reply error_reply(unsigned status, std::string_view message)
{
    service_reply r;
    r.status = status;
    // Messages may echo request bytes (a path, a method): the body stays UTF-8 whatever they are.
    if (is_valid_utf8(message))
        r.body = json::serialize(json::object{{"error", message}});
    else
        r.body = json::serialize(json::object{{"error", to_valid_utf8(message)}});
    return r;
}

service_reply json_reply(unsigned status, const json::object& body)
{
    service_reply r;
    r.status = status;
    r.body = json::serialize(body);
    return r;
}

service_reply table_reply(unsigned status, const table& t)
{
    service_reply r;
    r.status = status;
    r.body = to_json(t);
    return r;
}

service_reply method_not_allowed(std::string_view method, std::string_view allow)
{
    service_reply r =
        error_reply(405, "method " + std::string(method) + " not allowed here (allowed: " + std::string(allow) + ")");
    r.headers.emplace_back("Allow", std::string(allow));
    return r;
}

service_reply unavailable(std::chrono::seconds retry_after, std::string_view what)
{
    service_reply r = error_reply(503, what);
    r.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
    return r;
}

table one_cell_table(std::string query, std::string column, cell value)
{
    table t;
    t.query = std::move(query);
    t.columns.push_back(std::move(column));
    t.rows.push_back({std::move(value)});
    return t;
}

// ---- routes ----

enum class route_kind
{
    token,
    project,
    version,
    jobs,
    job,
    job_field,
    query,
    other_api,
    outside
};
constexpr std::size_t route_kind_count = 9;

// The normalised path of each route_kind, as requests_by_route shows it.
constexpr std::array<std::string_view, route_kind_count> route_paths{"/api/v3/token",
                                                                     "/api/v3/project/1/project",
                                                                     "/api/v3/project/1/version",
                                                                     "/api/v3/jobs",
                                                                     "/api/v3/jobs/{id}",
                                                                     "/api/v3/jobs/{id}/{field}",
                                                                     "/api/v3/query",
                                                                     "(other)",
                                                                     "(other)"};

// Methods counted in a fixed table (no key built per request); any other is counted by name.
constexpr std::array<std::string_view, 7> common_methods{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"};

std::optional<std::size_t> common_method_index(std::string_view method)
{
    for (std::size_t i = 0; i < common_methods.size(); ++i)
        if (method == common_methods[i])
            return i;
    return std::nullopt;
}

std::string route_key(std::string_view method, route_kind kind)
{
    std::string key = to_valid_utf8(method.substr(0, 16));  // a key of the stats' JSON
    key += ' ';
    key += route_paths[static_cast<std::size_t>(kind)];
    return key;
}

struct route
{
    route_kind kind = route_kind::outside;
    std::string_view id;     // job routes
    std::string_view field;  // job_field, still encoded
};

route classify(std::string_view path)
{
    if (path.size() > 1 && path.back() == '/')
        path.remove_suffix(1);
    route r;
    if (path == "/api/v3/token")
        r.kind = route_kind::token;
    else if (path == "/api/v3/project/1/project")
        r.kind = route_kind::project;
    else if (path == "/api/v3/project/1/version")
        r.kind = route_kind::version;
    else if (path == "/api/v3/jobs")
        r.kind = route_kind::jobs;
    else if (path == "/api/v3/query")
        r.kind = route_kind::query;
    else if (path.starts_with(jobs_prefix))
    {
        std::string_view rest = path.substr(jobs_prefix.size());
        std::size_t slash = rest.find('/');
        r.id = rest.substr(0, slash);
        std::string_view tail = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
        if (tail.empty() || tail == "*")
            r.kind = route_kind::job;
        else if (tail.find('/') == std::string_view::npos)
        {
            r.kind = route_kind::job_field;
            r.field = tail;
        }
        else
            r.kind = route_kind::other_api;
    }
    else if (path == api_prefix || path.starts_with("/api/v3/"))
        r.kind = route_kind::other_api;
    else
        r.kind = route_kind::outside;
    return r;
}

// ---- tokens ----

struct principal
{
    std::string user;
    std::uint64_t sequence = 0;
};

// A token whose signature and claims were found good.
struct verified_token
{
    std::string user;
    std::uint64_t sequence = 0;
    std::int64_t exp = 0;  // epoch seconds
};

struct string_hash
{
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// Failure reasons, exactly as counted in unauthorized_by_reason.
constexpr std::string_view reason_missing = "missing";
constexpr std::string_view reason_malformed = "malformed";
constexpr std::string_view reason_signature = "signature";
constexpr std::string_view reason_expired = "expired";
constexpr std::string_view reason_revoked = "revoked";

std::string_view reason_text(std::string_view reason)
{
    if (reason == reason_missing)
        return "missing Authorization header";
    if (reason == reason_malformed)
        return "malformed Authorization header or token";
    if (reason == reason_signature)
        return "invalid token signature";
    if (reason == reason_expired)
        return "token expired";
    return "token revoked";
}

std::optional<std::uint64_t> sequence_of(std::string_view jti)
{
    std::size_t dash = jti.rfind('-');
    if (dash == std::string_view::npos)
        return std::nullopt;
    std::string_view digits = jti.substr(dash + 1);
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (digits.empty() || ec != std::errc{} || ptr != digits.data() + digits.size())
        return std::nullopt;
    return v;
}

std::string random_hex(std::size_t bytes)
{
    std::vector<unsigned char> raw(bytes);
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
        throw std::runtime_error("RAND_bytes failed");
    std::string out;
    constexpr std::string_view digits = "0123456789abcdef";
    for (unsigned char b : raw)
    {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

// The job fields a query can read: every one for select=*, else those whose name appears in
// its select, where or order (a superset is harmless: "id" is in "idint").
job_store::field_mask fields_named_in(const query_request& q)
{
    job_store::field_mask mask;
    const std::string select(q.select.begin(), q.select.end());
    if (select.find('*') != std::string::npos)
    {
        mask.set();
        return mask;
    }
    std::string text = select + ' ' + q.where + ' ' + q.order;
    for (auto& c : text)
        c = ascii_lower(c);
    const auto names = job_store::fields();
    for (std::size_t i = 0; i < names.size(); ++i)
        if (text.find(names[i]) != std::string::npos)
            mask.set(i);
    return mask;
}

// ---- job bodies ----

std::string as_text(const json::value& v)
{
    if (v.is_string())
        return std::string(v.as_string());
    if (v.is_null())
        return {};
    return json::serialize(v);
}

std::optional<std::int64_t> as_priority(const json::value& v)
{
    if (v.is_int64())
        return v.as_int64();
    if (v.is_uint64() && v.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(v.as_uint64());
    if (!v.is_string())
        return std::nullopt;
    std::string_view s = v.as_string();
    if (iequals(s, "low"))
        return 1;
    if (iequals(s, "normal"))
        return 4;
    if (iequals(s, "high"))
        return 8;
    if (iequals(s, "top"))
        return 15;
    std::int64_t n = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc{} || (ptr != s.data() + s.size() && *ptr != ','))
        return std::nullopt;
    return n;
}

std::optional<json::object> parse_object(std::string_view body)
{
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object())
        return std::nullopt;
    return std::move(v.as_object());
}

// Sets one modifiable member; false when the name or the value is not acceptable.
bool set_spec_member(job_spec& spec, std::string_view name, const json::value& value, bool patch)
{
    if (name == "priority")
    {
        auto p = as_priority(value);
        if (!p)
            return false;
        spec.priority = *p;
        return true;
    }
    std::string* target = nullptr;
    if (name == "jobname")
        target = &spec.jobname;
    else if (name == "resources")
        target = &spec.resources;
    else if (name == "jobclass")
        target = &spec.jobclass;
    else if (name == "group")
        target = &spec.group;
    else if (name == "logfile")
        target = &spec.logfile;
    else if (!patch && name == "rundir")
        target = &spec.rundir;
    else if (!patch && name == "env")
        target = &spec.env;
    if (target == nullptr)
        return false;
    *target = as_text(value);
    return true;
}

struct auth_result
{
    std::optional<principal> who;
    std::string_view reason;  // when !who
};

// The token in an Authorization header, or the reason (missing, malformed) there is none.
struct bearer
{
    std::string_view token;
    std::string_view reason;
};

bearer parse_authorization(std::string_view header)
{
    while (!header.empty() && (header.front() == ' ' || header.front() == '\t'))
        header.remove_prefix(1);
    while (!header.empty() && (header.back() == ' ' || header.back() == '\t'))
        header.remove_suffix(1);
    if (header.empty())
        return {{}, reason_missing};
    std::size_t sep = header.find_first_of(": ");
    if (sep == std::string_view::npos || !iequals(header.substr(0, sep), "bearer"))
        return {{}, reason_malformed};
    std::string_view token = header.substr(sep + 1);
    while (!token.empty() && token.front() == ' ')
        token.remove_prefix(1);
    return {token, {}};
}

// The signature and the claims: a function of the token text and the key alone, so that its
// result can be cached. Expiry and revocation depend on the moment and are checked apart.
std::variant<verified_token, std::string_view> verify_token(std::string_view token,
                                                            std::span<const unsigned char> secret)
{
    auto verified = jwt_verify_hs256(token, secret);
    if (auto* e = std::get_if<jwt_error>(&verified))
        return *e == jwt_error::signature ? reason_signature : reason_malformed;
    const auto& payload = std::get<json::object>(verified);
    const auto* sub = payload.if_contains("sub");
    const auto* exp = payload.if_contains("exp");
    const auto* jti = payload.if_contains("jti");
    if (sub == nullptr || !sub->is_string() || exp == nullptr || !exp->is_int64() || jti == nullptr
        || !jti->is_string())
        return reason_malformed;
    auto sequence = sequence_of(jti->as_string());
    if (!sequence)
        return reason_malformed;
    return verified_token{std::string(sub->as_string()), *sequence, exp->as_int64()};
}

}  // namespace

struct accelerator_service::state
{
    state(const fake_server_params& p, service_clock c)
        : params(p),
          clock(std::move(c)),
          jobs(job_store::timing{p.job_schedule_delay, p.job_run_time,
                                 p.forget_after ? std::optional<std::chrono::steady_clock::duration>(*p.forget_after)
                                                : std::nullopt}),
          faults(p.faults),
          token_failures_left(p.faults.fail_first_token_requests),
          rng(p.seed)
    {
        if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1)
            throw std::runtime_error("RAND_bytes failed");
        instance = random_hex(6);
        if (params.users.empty())
            params.users.push_back(fake_user{"demo", "demo", security_level::user});
        if (params.token_lifetime < std::chrono::seconds{1})
            params.token_lifetime = std::chrono::seconds{1};
        project_body = to_json(one_cell_table("SELECT PROJECT FROM project", "PROJECT", cell{params.project_name}));
        version_body = to_json(one_cell_table("SELECT VERSION FROM project", "VERSION", cell{params.version}));
    }

    ~state() { OPENSSL_cleanse(secret.data(), secret.size()); }

    // Immutable after construction: no lock needed.
    fake_server_params params;
    service_clock clock;
    std::array<unsigned char, 32> secret{};
    std::string instance;
    // The project and version tables never change: serialised once, not per request (a
    // boost::json table built and serialised was 11,000 instructions per request).
    std::string project_body;
    std::string version_body;

    // Tokens whose signature and claims were verified, so that a client reusing its token (all
    // of them do) costs a hash lookup instead of three base64url decodes, two JSON parses and an
    // HMAC-SHA256 per request (36,000 instructions under callgrind). Expiry and revocation are
    // still checked per request, against the clock and revoked_through. Bounded: emptied when
    // full.
    static constexpr std::size_t token_cache_max = 1024;
    std::mutex token_cache_mutex;  // guards token_cache only
    std::unordered_map<std::string, verified_token, string_hash, std::equal_to<>> token_cache;

    mutable std::mutex mutex;  // guards everything below
    job_store jobs;
    std::unique_ptr<job_journal> journal;  // the state file; null without one
    fake_faults faults;
    std::uint64_t token_failures_left = 0;
    std::mt19937_64 rng;
    std::uint64_t token_sequence = 0;
    std::uint64_t revoked_through = 0;  // tokens with a sequence <= this are revoked
    bool shell_reports_in_flight = false;
    std::uint64_t token_in_flight = 0;
    fake_server_stats counters;  // only the service's own members are used
    // requests_by_route for the common methods, kept apart so that counting a request builds no
    // key string and searches no map; add_stats_to() merges both.
    std::array<std::array<std::uint64_t, route_kind_count>, common_methods.size()> requests_by_common_route{};

    // -- helpers; the "locked" ones expect the mutex held --

    security_level level_of(std::string_view user) const
    {
        for (const auto& u : params.users)
            if (u.name == user)
                return u.level;
        return security_level::user;
    }

    std::string sign_token(const std::string& user, std::uint64_t sequence, std::chrono::system_clock::time_point now,
                           std::chrono::seconds lifetime) const
    {
        auto iat = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
        json::object payload{
            {"sub", user},
            {"iat", iat},
            {"exp", iat + lifetime.count()},
            {"jti", instance + "-" + std::to_string(sequence)},
        };
        return jwt_sign_hs256(payload, secret);
    }

    std::variant<verified_token, std::string_view> verify_cached(std::string_view token)
    {
        {
            std::lock_guard lock(token_cache_mutex);
            auto it = token_cache.find(token);
            if (it != token_cache.end())
                return it->second;
        }
        auto verified = verify_token(token, secret);
        if (const auto* good = std::get_if<verified_token>(&verified))
        {
            std::lock_guard lock(token_cache_mutex);
            if (token_cache.size() >= token_cache_max)
                token_cache.clear();
            token_cache.emplace(token, *good);
        }
        return verified;
    }

    void count_in_flight_locked(bool start)
    {
        if (start)
        {
            ++token_in_flight;
            counters.token_requests_in_flight_max = std::max(counters.token_requests_in_flight_max, token_in_flight);
        }
        else if (token_in_flight > 0)
        {
            --token_in_flight;
        }
    }
};

accelerator_service::accelerator_service(const fake_server_params& params, service_clock clock)
    : state_(std::make_unique<state>(params, std::move(clock)))
{
    if (!params.state_file.empty())
    {
        job_journal::replayed replayed;
        state_->journal = std::make_unique<job_journal>(params.state_file, state_->jobs, state_->clock.steady(),
                                                        state_->clock.wall(), replayed);
        state_->counters.jobs_created = replayed.jobs_created;
        state_->counters.duplicate_submissions = replayed.duplicates;
    }
}

accelerator_service::~accelerator_service() = default;

void accelerator_service::revoke_all_tokens()
{
    std::lock_guard lock(state_->mutex);
    state_->revoked_through = state_->token_sequence;
    ++state_->counters.revocations;
}

void accelerator_service::set_faults(const fake_faults& faults)
{
    std::lock_guard lock(state_->mutex);
    state_->faults = faults;
    state_->token_failures_left = faults.fail_first_token_requests;
}

std::string accelerator_service::issue_token_for(const std::string& user, std::chrono::seconds lifetime)
{
    std::uint64_t sequence = 0;
    {
        std::lock_guard lock(state_->mutex);
        sequence = ++state_->token_sequence;
    }
    return state_->sign_token(user, sequence, state_->clock.wall(), lifetime);
}

std::size_t accelerator_service::job_count() const
{
    std::lock_guard lock(state_->mutex);
    state_->jobs.advance(state_->clock.steady());
    return state_->jobs.size();
}

void accelerator_service::add_stats_to(fake_server_stats& stats) const
{
    std::lock_guard lock(state_->mutex);
    const auto& c = state_->counters;
    stats.token_requests += c.token_requests;
    stats.tokens_issued += c.tokens_issued;
    stats.rejected_credentials += c.rejected_credentials;
    stats.token_requests_in_flight_max = std::max(stats.token_requests_in_flight_max, c.token_requests_in_flight_max);
    for (const auto& [k, v] : c.unauthorized_by_reason)
        stats.unauthorized_by_reason[k] += v;
    for (const auto& [k, v] : c.requests_by_route)
        stats.requests_by_route[k] += v;
    for (std::size_t m = 0; m < common_methods.size(); ++m)
        for (std::size_t k = 0; k < route_kind_count; ++k)
            if (const auto n = state_->requests_by_common_route[m][k]; n != 0)
                stats.requests_by_route[route_key(common_methods[m], static_cast<route_kind>(k))] += n;
    stats.requests += c.requests;
    stats.jobs_created += c.jobs_created;
    stats.duplicate_submissions += c.duplicate_submissions;
    stats.revocations += c.revocations;
    stats.token_failures_injected += c.token_failures_injected;
    stats.failures_injected += c.failures_injected;
}

void accelerator_service::token_request_started()
{
    std::lock_guard lock(state_->mutex);
    state_->shell_reports_in_flight = true;
    state_->count_in_flight_locked(true);
}

void accelerator_service::token_request_finished()
{
    std::lock_guard lock(state_->mutex);
    state_->count_in_flight_locked(false);
}

service_reply accelerator_service::handle(const service_request& request)
{
    state& s = *state_;
    std::string_view target = request.target;
    std::size_t question = target.find('?');
    std::string_view path = target.substr(0, question);
    std::string_view query_string =
        question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
    route r = classify(path);
    const std::string_view method = request.method;

    {
        const auto common = common_method_index(method);
        std::lock_guard lock(s.mutex);
        ++s.counters.requests;
        if (common)
            ++s.requests_by_common_route[*common][static_cast<std::size_t>(r.kind)];
        else
            ++s.counters.requests_by_route[route_key(method, r.kind)];
    }

    if (request.body.size() > s.params.max_body_bytes)
        return error_reply(413, "request body larger than " + std::to_string(s.params.max_body_bytes) + " bytes");

    if (r.kind == route_kind::outside)
        return error_reply(404, "no such resource");

    // ---- POST /api/v3/token ----
    if (r.kind == route_kind::token)
    {
        if (method != "POST")
            return method_not_allowed(method, "POST");
        bool count_here = false;
        {
            std::lock_guard lock(s.mutex);
            ++s.counters.token_requests;
            if (s.token_failures_left > 0)
            {
                --s.token_failures_left;
                ++s.counters.token_failures_injected;
                return unavailable(s.faults.retry_after, "token service temporarily unavailable (injected fault)");
            }
            count_here = !s.shell_reports_in_flight;
            if (count_here)
                s.count_in_flight_locked(true);
        }
        struct in_flight_guard
        {
            state& st;
            bool active;
            ~in_flight_guard()
            {
                if (active)
                {
                    std::lock_guard lock(st.mutex);
                    st.count_in_flight_locked(false);
                }
            }
        } guard{s, count_here};

        if (!is_form_content_type(request.content_type))
            return error_reply(400, "the token request must be application/x-www-form-urlencoded");
        auto form = parse_form(request.body);
        if (!form)
            return error_reply(400, "malformed form body");
        struct wiper
        {
            form_fields& f;
            ~wiper() { wipe(f); }
        } wipe_on_exit{*form};
        const std::string* username = find_field(*form, "username");
        const std::string* password = find_field(*form, "password");
        if (username == nullptr || password == nullptr)
            return error_reply(400, "the form needs username and password");

        bool accepted = false;
        for (const auto& u : s.params.users)
            if (u.name == *username && equal_secret(u.password, *password))
                accepted = true;
        std::uint64_t sequence = 0;
        {
            std::lock_guard lock(s.mutex);
            if (!accepted)
            {
                ++s.counters.rejected_credentials;
            }
            else
            {
                ++s.counters.tokens_issued;
                sequence = ++s.token_sequence;
            }
        }
        if (!accepted)
            return error_reply(401, "invalid username or password");
        json::object body{
            {"token_type", "Bearer"},
            {"access_token", s.sign_token(*username, sequence, s.clock.wall(), s.params.token_lifetime)},
        };
        if (s.params.include_expires_in)
            body["expires_in"] = s.params.token_lifetime.count();
        service_reply reply = json_reply(200, body);
        reply.headers.emplace_back("Cache-Control", "no-store");
        return reply;
    }

    // ---- everything else under /api/v3 is authenticated ----
    auth_result auth;
    if (const bearer b = parse_authorization(request.authorization); !b.reason.empty())
    {
        auth.reason = b.reason;
    }
    else
    {
        auto verified = s.verify_cached(b.token);
        if (auto* reason = std::get_if<std::string_view>(&verified))
            auth.reason = *reason;
        else if (auto& t = std::get<verified_token>(verified);
                 s.clock.wall() >= std::chrono::system_clock::time_point{std::chrono::seconds{t.exp}})
            auth.reason = reason_expired;
        else
            auth.who = principal{std::move(t.user), t.sequence};
    }
    {
        std::lock_guard lock(s.mutex);
        if (auth.who && auth.who->sequence <= s.revoked_through)
            auth = {std::nullopt, reason_revoked};
        if (!auth.who)
        {
            ++s.counters.unauthorized_by_reason[std::string(auth.reason)];
        }
        else if (s.faults.fail_fraction > 0.0
                 && (s.faults.fail_fraction >= 1.0
                     || std::uniform_real_distribution<double>(0.0, 1.0)(s.rng) < s.faults.fail_fraction))
        {
            ++s.counters.failures_injected;
            return unavailable(s.faults.retry_after, "service temporarily unavailable (injected fault)");
        }
    }
    if (!auth.who)
        return error_reply(401, reason_text(auth.reason));
    const principal& who = *auth.who;
    const security_level level = s.level_of(who.user);

    switch (r.kind)
    {
    case route_kind::project:
    case route_kind::version:
    {
        if (method != "GET")
            return method_not_allowed(method, "GET");
        service_reply reply;
        reply.body = r.kind == route_kind::project ? s.project_body : s.version_body;
        return reply;
    }

    case route_kind::jobs:
    {
        if (method != "POST")
            return method_not_allowed(method, "POST");
        if (level == security_level::readonly)
            return error_reply(403, "user " + who.user + " is READONLY and cannot submit jobs");
        auto body = parse_object(request.body);
        if (!body)
            return error_reply(400, "the job description must be a JSON object");
        job_spec spec;
        const json::value* command = body->if_contains("command");
        if (command == nullptr)
            command = body->if_contains("cmd");
        if (command == nullptr || !command->is_string() || command->as_string().empty())
            return error_reply(400, "the job description needs a non-empty string \"command\"");
        spec.command = std::string(command->as_string());
        for (const auto& [key, value] : *body)
        {
            std::string_view name = key;
            if (name == "command" || name == "cmd")
                continue;
            if (name == "priority" || name == "rundir" || name == "env" || name == "jobname" || name == "resources"
                || name == "jobclass" || name == "group" || name == "logfile")
            {
                if (!set_spec_member(spec, name, value, false))
                    return error_reply(400, "bad value for \"" + std::string(name) + "\"");
            }
            // Other job-description keys (autokill, ...) are accepted and ignored.
        }
        job_store::submitted submitted;
        {
            std::lock_guard lock(s.mutex);
            auto now = s.clock.steady();
            const auto wall = s.clock.wall();
            s.jobs.advance(now);
            submitted = s.jobs.submit(who.user, std::move(spec), now, wall);
            if (s.journal)
                s.journal->submitted(submitted.id, who.user, s.jobs.find(submitted.id)->spec, wall);
            ++s.counters.jobs_created;
            if (submitted.duplicate)
                ++s.counters.duplicate_submissions;
        }
        service_reply reply = table_reply(201, one_cell_table("", "jobid", cell{submitted.id}));
        reply.headers.emplace_back("Location", "/api/v3/jobs/" + std::to_string(submitted.id));
        return reply;
    }

    case route_kind::job:
    case route_kind::job_field:
    {
        const bool field_route = r.kind == route_kind::job_field;
        if (field_route && method != "GET")
            return method_not_allowed(method, "GET");
        if (!field_route && method != "GET" && method != "PUT" && method != "PATCH" && method != "DELETE")
            return method_not_allowed(method, "GET, PUT, PATCH, DELETE");
        auto id = parse_job_id(r.id);
        std::string id_text = id ? std::to_string(*id) : std::string(r.id.substr(0, 64));
        auto no_such_job = [&] { return error_reply(404, "no such job " + id_text); };

        if (method == "GET")
        {
            std::optional<std::size_t> field_index;
            std::string field_name;
            if (field_route)
            {
                auto decoded = percent_decode(r.field, false);
                field_name = to_valid_utf8(decoded ? std::string_view(*decoded) : r.field);  // echoed
                field_index = find_field_index(job_store::fields(), field_name);
            }
            std::vector<cell> row;
            {
                std::lock_guard lock(s.mutex);
                auto now = s.clock.steady();
                s.jobs.advance(now);
                job* j = id ? s.jobs.find(*id) : nullptr;
                if (j == nullptr)
                    return no_such_job();
                row = job_store::row(*j, now);
            }
            table t;
            if (field_route)
            {
                t.query = "SELECT " + field_name + " FROM jobs WHERE idint==" + id_text;
                if (!field_index)
                {
                    t.errormsg = "unknown field '" + field_name + "'";
                    return table_reply(200, t);
                }
                t.columns.emplace_back(job_store::fields()[*field_index]);
                t.rows.push_back({std::move(row[*field_index])});
            }
            else
            {
                t.query = "SELECT * FROM jobs WHERE idint==" + id_text;
                for (auto name : job_store::fields())
                    t.columns.emplace_back(name);
                t.rows.push_back(std::move(row));
            }
            return table_reply(200, t);
        }

        if (level == security_level::readonly)
            return error_reply(403, "user " + who.user + " is READONLY and cannot change jobs");

        // Validate the body before looking at the job.
        std::string action;
        std::optional<json::object> patch;
        if (method == "PUT")
        {
            if (request.body.empty())
            {
                auto params = parse_form(query_string);
                const std::string* a = params ? find_field(*params, "action") : nullptr;
                if (a != nullptr)
                    action = *a;
            }
            else
            {
                auto body = parse_object(request.body);
                if (!body)
                    return error_reply(400, "the control request must be a JSON object");
                const json::value* a = body->if_contains("action");
                if (a != nullptr && a->is_string())
                    action = std::string(a->as_string());
            }
            for (auto& c : action)
                c = ascii_lower(c);
            if (action != "stop" && action != "suspend" && action != "resume")
                return error_reply(400, "\"action\" must be stop, suspend or resume");
        }
        else if (method == "PATCH")
        {
            patch = parse_object(request.body);
            if (!patch)
                return error_reply(400, "the modification must be a JSON object");
            job_spec scratch;
            for (const auto& [key, value] : *patch)
                if (!set_spec_member(scratch, key, value, true))
                    return error_reply(400, "\"" + std::string(key) + "\" cannot be modified or has a bad value");
        }

        std::lock_guard lock(s.mutex);
        auto now = s.clock.steady();
        s.jobs.advance(now);
        job* j = id ? s.jobs.find(*id) : nullptr;
        if (j == nullptr)
            return no_such_job();
        if (j->user != who.user && level == security_level::user)
            return error_reply(403, "user " + who.user + " may not act on job " + id_text + " of another user");

        if (method == "DELETE")
        {
            s.jobs.forget(*id);
            if (s.journal)
                s.journal->forgotten(*id, s.clock.wall());
            return json_reply(200, json::object{{"jobid", *id}, {"forgotten", true}});
        }
        if (method == "PUT")
        {
            bool ok = action == "stop"      ? s.jobs.stop(*j, now)
                      : action == "suspend" ? s.jobs.suspend(*j, now)
                                            : s.jobs.resume(*j, now);
            if (!ok)
                return error_reply(409, "cannot " + action + " job " + id_text + ": it is "
                                            + std::string(to_string(j->status)));
            if (s.journal)
                s.journal->controlled(*id, action, s.clock.wall());
            return json_reply(200, json::object{{"jobid", *id}, {"action", action}, {"status", to_string(j->status)}});
        }
        json::array modified;
        for (const auto& [key, value] : *patch)
        {
            set_spec_member(j->spec, key, value, true);
            modified.emplace_back(key);
        }
        if (s.journal)
            s.journal->modified(*id, j->spec, s.clock.wall());
        return json_reply(
            200, json::object{{"jobid", *id}, {"status", to_string(j->status)}, {"modified", std::move(modified)}});
    }

    case route_kind::query:
    {
        if (method != "GET")
            return method_not_allowed(method, "GET");
        auto parsed = parse_query_string(query_string);
        if (auto* e = std::get_if<std::string>(&parsed))
            return error_reply(400, *e);
        auto& q = std::get<query_request>(parsed);
        // A server-side cap on the rows of one answer, whatever the limit asked for.
        if (const std::size_t cap = s.params.max_query_rows; cap != 0)
        {
            const auto asked = q.limit.empty() ? std::optional<std::int64_t>(0) : parse_job_id(q.limit);
            if (asked && (*asked == 0 || static_cast<std::uint64_t>(*asked) > cap))
                q.limit = std::to_string(cap);
        }
        std::vector<std::vector<cell>> rows;
        if (iequals(q.from, "jobs"))
        {
            std::lock_guard lock(s.mutex);
            auto now = s.clock.steady();
            s.jobs.advance(now);
            // The rule is applied while the rows are built, so that only the matching ones are
            // kept; run_query applies it again (and reports a broken rule).
            auto rule = selection_rule::compile(q.where, job_store::fields());
            std::function<bool(const std::vector<cell>&)> keep;
            if (const auto* compiled = std::get_if<selection_rule>(&rule))
                keep = [compiled](const std::vector<cell>& row) { return compiled->matches(row); };
            // Rows come in idint order: with no other order asked for, the first `limit` matches
            // are the answer, and the rest need not be built.
            std::size_t first_rows = 0;
            std::string order = q.order;
            for (auto& c : order)
                c = ascii_lower(c);
            if (order.empty() || order == "idint" || order == "idint asc")
                first_rows = static_cast<std::size_t>(parse_job_id(q.limit).value_or(0));
            rows = s.jobs.rows(now, fields_named_in(q), keep, first_rows);
        }
        table t = run_query(q, "jobs", job_store::fields(), std::move(rows));
        if (q.format == query_format::json)
            return table_reply(200, t);
        if (!t.errormsg.empty())
            return error_reply(400, t.errormsg);
        service_reply reply;
        reply.content_type = "text/csv";
        reply.body = to_csv(t, q.format == query_format::csv);
        return reply;
    }

    case route_kind::other_api:
    case route_kind::token:
    case route_kind::outside: break;
    }
    return error_reply(404, "no such resource");
}

}  // namespace vovrest::testing::detail
