#include <vovrest/detail/submit_batch_machine.hpp>

#include <boost/asio/error.hpp>

#include <algorithm>
#include <charconv>
#include <limits>

namespace vovrest::detail {
namespace {

using boost::system::error_code;
using duration = std::chrono::steady_clock::duration;

// Rows asked for when one tag is looked for: one is expected; a few more show duplicates.
constexpr std::size_t tag_query_limit = 16;

// How a failed request bears on its job.
enum class failure_kind
{
    lost,       // the request may have been carried out: look for it
    cancelled,  // cancelled by us: it may have left, so the same as lost unless cancelled
    busy,       // the server said "not now" (503, 429): nothing was done
    not_sent,   // the server was never reached: nothing was done, the link is down
    fatal,      // refused, or cannot be sent: nothing was done, nothing will change
};

failure_kind classify(const error_code& ec, const diagnostics& diag) noexcept
{
    // An answer that cannot be read, or a gateway that lost the server's: the job may exist.
    if (ec == error::outcome_unknown || ec == error::bad_response || diag.http_status == 502 || diag.http_status == 504)
        return failure_kind::lost;
    if (ec == boost::asio::error::operation_aborted)
        return failure_kind::cancelled;
    // "Not now": the server did nothing. A token refused twice (the session renews and replays
    // once) is the same: nothing was carried out, and the next token may do.
    if (diag.http_status == 503 || diag.http_status == 429 || ec == error::unauthorized)
        return failure_kind::busy;
    if ((ec == error::connection_failed || ec == error::timeout) && diag.http_status == 0)
        return failure_kind::not_sent;
    return failure_kind::fatal;
}

duration doubled(duration base, unsigned times, duration cap)
{
    for (unsigned i = 0; i < times && base < cap; ++i)
        base *= 2;
    return std::min(base, cap);
}

diagnostics with_client_message(diagnostics diag, std::string text)
{
    if (!diag.client_message.empty())
        text += ": " + diag.client_message;
    diag.client_message = std::move(text);
    return diag;
}

}  // namespace

submit_batch_machine::submit_batch_machine(std::span<const job_spec> specs, const submit_many_options& options,
                                           std::string batch_id, batch_time now, std::function<double()> jitter)
    : specs_(specs),
      options_(options),
      tags_(specs, options.reconcile, options.jobnames_unique, options.tag_prefix, batch_id),
      jitter_(std::move(jitter)),
      jobs_(specs.size()),
      results_(specs.size())
{
    options_.on_progress = nullptr;  // the glue calls it, outside the machine's decisions
    if (options_.max_attempts == 0)
        options_.max_attempts = 1;
    if (options_.max_reconcile_rounds == 0)
        options_.max_reconcile_rounds = 1;
    if (options_.max_query_attempts == 0)
        options_.max_query_attempts = 1;
    if (options_.query_page_rows == 0)
        options_.query_page_rows = 1000;
    if (options_.timeout > duration::zero())
        deadline_ = now + options_.timeout;
    progress_.total = specs.size();
    if (specs.empty())
    {
        progress_.phase = submit_phase::finished;
        changed();
    }
}

bool submit_batch_machine::take_wake() noexcept
{
    if (!finish_announced_ && finished())
    {
        // Every worker waiting with no deadline must come back to learn that it is over.
        finish_announced_ = true;
        wake_ = false;
        return true;
    }
    return std::exchange(wake_, false);
}

bool submit_batch_machine::take_progress() noexcept
{
    return std::exchange(progress_changed_, false);
}

bool submit_batch_machine::finished() const noexcept
{
    return next_fresh_ == jobs_.size() && queued_.empty() && delayed_.empty() && posts_in_flight_ == 0
           && awaiting_.empty() && !round_.active;
}

// ---- handing out work ----

bool submit_batch_machine::can_send() noexcept
{
    if (stopping_)
        return true;  // no new job goes; what is left settles without waiting on the link
    switch (link_)
    {
    case link_state::healthy: return true;
    case link_state::backing_off: return false;
    case link_state::probing: return !probe_in_flight_;
    }
    return false;
}

batch_action submit_batch_machine::next(batch_time now)
{
    if (!stopping_ && now >= deadline_)
        stop(error::timeout, {}, "its deadline passed");
    if (link_ == link_state::backing_off && now >= backoff_until_)
    {
        link_ = link_state::probing;
        update_phase();
    }
    if (!round_.active && !cancelled_ && should_start_round(now))
        start_round(now);
    if (round_.active && !cancelled_)
        if (auto action = next_query(now))
            return std::move(*action);
    if (!stopping_)
        if (auto action = next_submission(now))
            return std::move(*action);
    batch_action action;
    if (finished())
    {
        if (progress_.phase != submit_phase::finished)
        {
            progress_.phase = submit_phase::finished;
            changed();
        }
        action.kind = batch_action_kind::done;
        return action;
    }
    action.kind = batch_action_kind::wait;
    action.until = earliest_wake(now);
    return action;
}

std::optional<batch_action> submit_batch_machine::next_submission(batch_time now)
{
    std::optional<std::size_t> pick;
    const bool ready_delayed = !delayed_.empty() && delayed_.begin()->first <= now;
    if (!ready_delayed && queued_.empty() && next_fresh_ == jobs_.size())
        return std::nullopt;
    if (!can_send())
        return std::nullopt;
    if (ready_delayed)
    {
        pick = delayed_.begin()->second;
        delayed_.erase(delayed_.begin());
    }
    else if (!queued_.empty())
    {
        pick = queued_.front();
        queued_.pop_front();
    }
    else
    {
        pick = next_fresh_++;
        ++sent_jobs_;
    }
    job_entry& entry = jobs_[*pick];
    entry.state = job_state::in_flight;
    entry.epoch = epoch_;
    entry.probe = link_ == link_state::probing;
    probe_in_flight_ = probe_in_flight_ || entry.probe;
    ++posts_in_flight_;
    batch_action action;
    action.kind = batch_action_kind::submit;
    // Made once, kept in the result: the action refers to it (no copy per POST).
    std::string& name = results_[*pick].jobname;
    if (name.empty())
        name = tags_.jobname(*pick);
    action.job = *pick;
    action.jobname = name;
    return action;
}

query_spec submit_batch_machine::page_query() const
{
    query_spec q;
    q.where = "jobname~" + tags_.marker();
    if (round_.cursor)
        q.where += " idint>" + std::to_string(*round_.cursor);
    q.order_by_id = true;
    q.limit = options_.query_page_rows;
    return q;
}

std::optional<batch_action> submit_batch_machine::next_query(batch_time now)
{
    if (round_.by_prefix)
    {
        if (round_.page_in_flight || now < round_.page_ready_at)
            return std::nullopt;
    }
    else
    {
        while (!round_.tags_later.empty() && round_.tags_later.begin()->first <= now)
        {
            round_.tags_ready.push_back(round_.tags_later.begin()->second);
            round_.tags_later.erase(round_.tags_later.begin());
        }
        if (round_.tags_ready.empty())
            return std::nullopt;
    }
    if (!can_send())
        return std::nullopt;
    batch_action action;
    action.kind = batch_action_kind::query;
    action.query_id = next_query_id_++;
    query_info info;
    info.epoch = epoch_;
    info.probe = !stopping_ && link_ == link_state::probing;
    probe_in_flight_ = probe_in_flight_ || info.probe;
    if (round_.by_prefix)
    {
        round_.page_in_flight = true;
        action.query = page_query();
    }
    else
    {
        const std::size_t job = round_.tags_ready.front();
        round_.tags_ready.pop_front();
        info.job = job;
        action.query.where = "jobname==" + rule_value(results_[job].jobname);
        action.query.limit = tag_query_limit;
    }
    queries_.emplace(action.query_id, info);
    ++round_.queries_in_flight;
    return action;
}

batch_time submit_batch_machine::earliest_wake(batch_time now) const
{
    batch_time when = batch_time::max();
    const auto consider = [&when, now](batch_time t) {
        if (t > now)
            when = std::min(when, t);
    };
    if (!stopping_)
        consider(deadline_);
    if (!stopping_ && link_ == link_state::backing_off)
        consider(backoff_until_);
    if (!stopping_ && !delayed_.empty())
        consider(delayed_.begin()->first);
    if (round_.active && round_.by_prefix && !round_.page_in_flight)
        consider(round_.page_ready_at);
    if (round_.active && !round_.tags_later.empty())
        consider(round_.tags_later.begin()->first);
    if (!round_.active && !awaiting_.empty() && !cancelled_)
    {
        consider(jobs_[awaiting_.back()].eligible_at);
        const std::size_t threshold = options_.reconcile_after_unknowns;
        if (threshold != 0 && awaiting_.size() >= threshold)
            consider(jobs_[awaiting_[threshold - 1]].eligible_at);
    }
    return when;
}

// ---- reconciliation rounds ----

bool submit_batch_machine::should_start_round(batch_time now) const
{
    if (awaiting_.empty())
        return false;
    const bool drained =
        posts_in_flight_ == 0 && (stopping_ || (next_fresh_ == jobs_.size() && queued_.empty() && delayed_.empty()));
    if (drained)
        return jobs_[awaiting_.back()].eligible_at <= now;
    const std::size_t threshold = options_.reconcile_after_unknowns;
    return threshold != 0 && awaiting_.size() >= threshold && jobs_[awaiting_[threshold - 1]].eligible_at <= now;
}

void submit_batch_machine::start_round(batch_time now)
{
    round_ = round_state{};
    round_.active = true;
    while (!awaiting_.empty() && jobs_[awaiting_.front()].eligible_at <= now)
    {
        const std::size_t job = awaiting_.front();
        awaiting_.pop_front();
        job_entry& entry = jobs_[job];
        entry.state = job_state::in_round;
        entry.found.clear();
        entry.query_failures = 0;
        ++entry.rounds;
        round_.jobs.push_back(job);
    }
    // Pages over the batch's prefix read every job of the batch sent so far; one query per tag
    // reads one row each. Whichever asks fewer queries; the caller's own tags have no prefix.
    const bool all_generated =
        std::none_of(round_.jobs.begin(), round_.jobs.end(), [this](std::size_t job) { return tags_.caller_tag(job); });
    const std::size_t pages = sent_jobs_ / options_.query_page_rows + 1;
    round_.by_prefix = all_generated && pages < round_.jobs.size();
    if (!round_.by_prefix)
    {
        round_.tags_ready.assign(round_.jobs.begin(), round_.jobs.end());
        round_.tags_open = round_.jobs.size();
    }
    round_.page_ready_at = now;
    wake_ = true;
    update_phase();
    changed();
}

void submit_batch_machine::record_rows(const std::vector<found_row>& rows)
{
    for (const found_row& row : rows)
    {
        const auto job = tags_.job_of(row.jobname);
        if (!job)
            continue;  // not one of this batch's tags (someone else's job, or a near miss)
        job_entry& entry = jobs_[*job];
        if (entry.state == job_state::in_round)
        {
            if (std::find(entry.found.begin(), entry.found.end(), row.idint) == entry.found.end())
                entry.found.push_back(row.idint);
            continue;
        }
        submit_result& result = results_[*job];
        if (entry.state == job_state::done && !result.id && !result.jobname.empty())
        {
            // A job given up on (not found in time, or its query kept failing) that exists
            // after all: a slow server created it late. It has an id, not an error.
            if (result.unknown())
                --progress_.unknown;
            else
                --progress_.failed;
            ++progress_.succeeded;
            ++progress_.found;
            result.id = job_id(row.idint);
            result.found_by_query = true;
            result.error.clear();
            result.diag.clear();
            changed();
            continue;
        }
        if (entry.state == job_state::done && result.id && result.id->value() != row.idint)
        {
            const job_id extra(row.idint);
            if (std::find(result.duplicates.begin(), result.duplicates.end(), extra) == result.duplicates.end())
            {
                result.duplicates.push_back(extra);
                ++progress_.duplicates;
                changed();
            }
        }
    }
}

void submit_batch_machine::maybe_complete_round(batch_time now)
{
    if (!round_.active || round_.queries_in_flight != 0)
        return;
    if (cancelled_ || round_.failure)
    {
        complete_round(now);
        return;
    }
    if (!round_.by_prefix && round_.tags_open == 0)
        complete_round(now);
}

void submit_batch_machine::complete_round(batch_time)
{
    for (const std::size_t job : round_.jobs)
    {
        job_entry& entry = jobs_[job];
        if (entry.state != job_state::in_round)
            continue;  // settled already (its own query kept failing)
        if (!entry.found.empty())
        {
            std::sort(entry.found.begin(), entry.found.end());
            submit_result& result = results_[job];
            for (std::size_t k = 1; k < entry.found.size(); ++k)
                result.duplicates.emplace_back(entry.found[k]);
            progress_.duplicates += entry.found.size() - 1;
            result.found_by_query = true;
            ++progress_.found;
            finalize(job, job_id(entry.found.front()), {}, {});
            entry.found = {};
        }
        else if (cancelled_)
        {
            give_up_unknown(job, boost::asio::error::operation_aborted,
                            diagnostics{0, {}, {}, {}, "cancelled before it was looked for"});
        }
        else if (round_.failure)
        {
            give_up_unknown(job, round_.failure, round_.failure_diag);
        }
        else if (!stopping_ && entry.rounds < options_.max_reconcile_rounds)
        {
            // Certainly not created: sending it again cannot duplicate it.
            entry.state = job_state::queued;
            entry.busy_attempts = 0;
            queued_.push_back(job);
            ++progress_.resubmitted;
            --progress_.awaiting_reconciliation;
        }
        else
        {
            diagnostics diag = results_[job].diag;
            std::string why = stopping_ ? "not created (a query found no such job); not sent again: the batch stopped"
                                        : "not created: its answer was lost " + std::to_string(entry.rounds)
                                              + " times and each time a query found no such job";
            const error_code ec = stopping_ && stop_ec_ ? stop_ec_ : error_code(error::connection_failed);
            diag.client_message = std::move(why);
            finalize(job, std::nullopt, ec, std::move(diag));
        }
    }
    round_ = round_state{};
    wake_ = true;
    update_phase();
    changed();
    check_stop();
}

void submit_batch_machine::settle_tag_query(batch_time now, std::size_t)
{
    if (round_.tags_open > 0)
        --round_.tags_open;
    maybe_complete_round(now);
}

// ---- inputs ----

void submit_batch_machine::end_probe(bool probe) noexcept
{
    if (probe)
        probe_in_flight_ = false;
}

void submit_batch_machine::post_done(batch_time now, std::size_t job, const post_result& result)
{
    job_entry& entry = jobs_[job];
    --posts_in_flight_;
    end_probe(entry.probe);
    entry.probe = false;
    if (result.id)
    {
        server_answered();
        finalize(job, result.id, {}, {});
        check_stop();
        return;
    }
    note_error(result.ec, result.diag);
    switch (classify(result.ec, result.diag))
    {
    case failure_kind::lost:
    case failure_kind::cancelled:
        if (result.ec != boost::asio::error::operation_aborted)
            server_answered();  // something reached it
        if (!options_.reconcile || cancelled_)
        {
            finalize(job, std::nullopt, error::outcome_unknown,
                     result.ec == error::outcome_unknown
                         ? result.diag
                         : with_client_message(result.diag, "cancelled while in flight"));
            break;
        }
        entry.state = job_state::awaiting;
        entry.eligible_at = now + options_.reconcile_delay;
        results_[job].error = error::outcome_unknown;
        results_[job].diag = result.diag;
        awaiting_.push_back(job);
        ++progress_.awaiting_reconciliation;
        changed();
        break;
    case failure_kind::busy:
        server_answered();
        ++entry.busy_attempts;
        if (entry.busy_attempts < options_.max_attempts && !stopping_)
        {
            duration wait = doubled(options_.retry_delay, entry.busy_attempts - 1, options_.retry_delay_max);
            if (result.retry_after)
                wait = std::min(*result.retry_after, options_.retry_delay_max);
            entry.state = job_state::delayed;
            delayed_.emplace(now + wait, job);
        }
        else
        {
            finalize(job, std::nullopt, result.ec, result.diag);
        }
        break;
    case failure_kind::not_sent:
        ++progress_.connection_failures;
        if (stopping_)
        {
            finalize(job, std::nullopt, result.ec, result.diag);
            break;
        }
        entry.state = job_state::queued;
        queued_.push_front(job);
        connection_failed(now, entry.epoch);
        break;
    case failure_kind::fatal:
        if (result.diag.http_status != 0)
            server_answered();
        finalize(job, std::nullopt, result.ec, result.diag);
        if (result.ec == error::session_closed)
            stop(result.ec, result.diag, "the session was closed");
        break;
    }
    check_stop();
}

void submit_batch_machine::query_done(batch_time now, std::uint64_t query_id, const std::vector<found_row>& rows)
{
    auto it = queries_.find(query_id);
    if (it == queries_.end())
        return;
    const query_info info = it->second;
    queries_.erase(it);
    end_probe(info.probe);
    if (round_.queries_in_flight > 0)
        --round_.queries_in_flight;
    server_answered();
    ++progress_.queries;
    changed();
    record_rows(rows);

    if (info.job)
    {
        settle_tag_query(now, *info.job);
        check_stop();
        return;
    }
    round_.page_in_flight = false;
    round_.page_failures = 0;
    if (cancelled_ || rows.empty())
    {
        complete_round(now);
        return;
    }
    // Keyset paging needs rows in idint order, each past the cursor; a server that ignores
    // order= or the idint condition would make pages skip or repeat rows. Then each tag not
    // found yet is looked for by itself.
    bool ordered = true;
    std::int64_t last = round_.cursor.value_or(std::numeric_limits<std::int64_t>::min());
    for (const found_row& row : rows)
    {
        if (row.idint <= last)
            ordered = false;
        last = std::max(last, row.idint);
    }
    if (!ordered)
    {
        round_.by_prefix = false;
        for (const std::size_t job : round_.jobs)
            if (jobs_[job].state == job_state::in_round && jobs_[job].found.empty())
                round_.tags_ready.push_back(job);
        round_.tags_open = round_.tags_ready.size();
        wake_ = true;
        maybe_complete_round(now);
        return;
    }
    round_.cursor = last;
    round_.page_ready_at = now;
    check_stop();
}

void submit_batch_machine::query_failed(batch_time now, std::uint64_t query_id, const error_code& ec,
                                        const diagnostics& diag)
{
    auto it = queries_.find(query_id);
    if (it == queries_.end())
        return;
    const query_info info = it->second;
    queries_.erase(it);
    end_probe(info.probe);
    if (round_.queries_in_flight > 0)
        --round_.queries_in_flight;
    note_error(ec, diag);
    const failure_kind kind = classify(ec, diag);
    if (kind != failure_kind::not_sent && kind != failure_kind::cancelled)
        server_answered();

    if (!info.job)
        round_.page_in_flight = false;
    if (cancelled_)
    {
        if (info.job)
            give_up_unknown(*info.job, ec, diag);
        maybe_complete_round(now);
        return;
    }
    if (kind == failure_kind::not_sent && !stopping_)
    {
        // The server cannot be reached: the query waits for it like submissions do.
        connection_failed(now, info.epoch);
        if (info.job)
            round_.tags_ready.push_front(*info.job);
        else
            round_.page_ready_at = now;
        check_stop();
        return;
    }
    unsigned& failures = info.job ? jobs_[*info.job].query_failures : round_.page_failures;
    ++failures;
    const bool give_up =
        failures >= options_.max_query_attempts || kind == failure_kind::not_sent || kind == failure_kind::cancelled;
    if (info.job)
    {
        if (give_up)
        {
            give_up_unknown(*info.job, ec, diag);
            settle_tag_query(now, *info.job);
        }
        else
        {
            round_.tags_later.emplace(now + retry_delay(failures), *info.job);
        }
    }
    else if (give_up)
    {
        round_.failure = ec;
        round_.failure_diag = diag;
        maybe_complete_round(now);
    }
    else
    {
        round_.page_ready_at = now + retry_delay(failures);
    }
    check_stop();
}

void submit_batch_machine::cancel(batch_time now, bool terminal)
{
    stop(boost::asio::error::operation_aborted, {}, "cancelled");
    if (!terminal || cancelled_)
        return;
    cancelled_ = true;
    while (!awaiting_.empty())
    {
        const std::size_t job = awaiting_.front();
        awaiting_.pop_front();
        give_up_unknown(job, boost::asio::error::operation_aborted,
                        diagnostics{0, {}, {}, {}, "cancelled before it was looked for"});
    }
    round_.tags_ready.clear();
    round_.tags_later.clear();
    maybe_complete_round(now);
    wake_ = true;
    update_phase();
}

// ---- bookkeeping ----

void submit_batch_machine::finalize(std::size_t job, std::optional<job_id> id, error_code ec, diagnostics diag)
{
    job_entry& entry = jobs_[job];
    const bool was_counted_awaiting = entry.state == job_state::awaiting || entry.state == job_state::in_round;
    entry.state = job_state::done;
    submit_result& result = results_[job];
    result.id = id;
    if (id)
    {
        result.error.clear();
        result.diag.clear();
        ++progress_.succeeded;
    }
    else
    {
        result.error = ec;
        result.diag = std::move(diag);
        if (result.unknown())
            ++progress_.unknown;
        else
            ++progress_.failed;
    }
    ++progress_.done;
    if (was_counted_awaiting && progress_.awaiting_reconciliation > 0)
        --progress_.awaiting_reconciliation;
    changed();
}

void submit_batch_machine::give_up_unknown(std::size_t job, const error_code& query_ec, const diagnostics& query_diag)
{
    diagnostics diag = results_[job].diag;
    std::string why = "the query that looks for it failed: " + describe(query_ec, query_diag);
    if (query_ec == boost::asio::error::operation_aborted)
        why = query_diag.client_message.empty() ? "cancelled before it was looked for" : query_diag.client_message;
    diag = with_client_message(std::move(diag), std::move(why));
    finalize(job, std::nullopt, error::outcome_unknown, std::move(diag));
}

void submit_batch_machine::note_error(const error_code& ec, const diagnostics& diag)
{
    progress_.last_error = ec;
    progress_.last_error_diag = diag;
    changed();
}

void submit_batch_machine::server_answered()
{
    if (progress_.consecutive_connection_failures != 0)
    {
        progress_.consecutive_connection_failures = 0;
        changed();
    }
    if (link_ != link_state::healthy)
    {
        link_ = link_state::healthy;
        wake_ = true;
        update_phase();
        changed();
    }
}

void submit_batch_machine::connection_failed(batch_time now, std::uint64_t epoch)
{
    // Requests that were in flight when the first failure started the wait fail too; only a
    // try made after it (the probe) counts again.
    if (epoch != epoch_)
        return;
    ++epoch_;
    ++progress_.consecutive_connection_failures;
    const unsigned steps =
        static_cast<unsigned>(std::min<std::size_t>(progress_.consecutive_connection_failures - 1, 62));
    const duration base = doubled(options_.backoff_initial, steps, options_.backoff_max);
    const double factor = 0.5 + 0.5 * std::clamp(jitter_ ? jitter_() : 1.0, 0.0, 1.0);
    const auto wait = std::chrono::duration_cast<duration>(base * factor);
    backoff_until_ = deadline_ - now > wait ? now + wait : deadline_;
    link_ = link_state::backing_off;
    update_phase();
    changed();
}

std::chrono::steady_clock::duration submit_batch_machine::retry_delay(unsigned failures) const
{
    return doubled(options_.retry_delay, failures > 0 ? failures - 1 : 0, options_.retry_delay_max);
}

void submit_batch_machine::stop(const error_code& ec, const diagnostics& diag, std::string_view why)
{
    if (stopping_)
        return;
    stopping_ = true;
    stop_ec_ = ec;
    // The jobs left keep what the server said last (a refused password reads the same on every
    // job), and say that they were never sent.
    const auto not_sent = [&](std::size_t job) {
        diagnostics d = diag;
        d.client_message = "not sent: the batch stopped (" + std::string(why) + ")";
        finalize(job, std::nullopt, ec, std::move(d));
    };
    for (const auto& [when, job] : delayed_)
        not_sent(job);
    delayed_.clear();
    for (const std::size_t job : queued_)
        not_sent(job);
    queued_.clear();
    while (next_fresh_ < jobs_.size())
        not_sent(next_fresh_++);
    wake_ = true;
    update_phase();
    changed();
}

void submit_batch_machine::check_stop()
{
    if (stopping_ || !options_.stop_on || !options_.stop_on(progress_))
        return;
    const error_code ec =
        progress_.last_error ? progress_.last_error : error_code(boost::asio::error::operation_aborted);
    stop(ec, progress_.last_error_diag, "stop_on");
}

void submit_batch_machine::update_phase()
{
    submit_phase phase = submit_phase::submitting;
    if (finished() && progress_.done == progress_.total)
        phase = submit_phase::finished;
    else if (stopping_)
        phase = submit_phase::stopping;
    else if (round_.active)
        phase = submit_phase::reconciling;
    else if (link_ != link_state::healthy)
        phase = submit_phase::backing_off;
    if (phase != progress_.phase)
    {
        progress_.phase = phase;
        changed();
    }
}

}  // namespace vovrest::detail
