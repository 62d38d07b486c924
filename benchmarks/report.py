#!/usr/bin/python3
"""Writes benchmarks/README.md and benchmarks/chart.svg from the results of benchmarks/run
(standard library only).

usage: report.py RESULTS_DIR BENCHMARKS_DIR
"""
import json
import math
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chart  # noqa: E402

FINDINGS_FILE = "findings.md"  # hand-written analysis, kept next to this script


def med(rows, field, **match):
    values = [r[field] for r in rows if all(r.get(k) == v for k, v in match.items()) and field in r]
    return statistics.median(values) if values else None


def paired(rows, field, a, b, **match):
    """Median of the ratios a/b between the i-th run of client a and the i-th run of client b
    (run back to back in the same round): far less noisy than the ratio of medians when the
    machine's load changes from one round to the next."""
    xa = [r.get(field) for r in rows if r.get("client") == a and all(r.get(k) == v for k, v in match.items())]
    xb = [r.get(field) for r in rows if r.get("client") == b and all(r.get(k) == v for k, v in match.items())]
    ratios = [x / y for x, y in zip(xa, xb) if x and y]
    return statistics.median(ratios) if ratios else None


def n(value, digits=0):
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def ms(us):
    return "–" if us is None else (f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.0f} µs")


def verdict(ok):
    return "**met**" if ok else "**missed**"


def main(results_dir, bench_dir):
    rows = chart.load_results(results_dir)
    machine = json.load(open(os.path.join(results_dir, "machine.json"), encoding="utf-8"))
    micro_path = os.path.join(results_dir, "micro.txt")
    micro = open(micro_path, encoding="utf-8").read().strip() if os.path.exists(micro_path) else "(not run)"
    runs, duration = machine["runs"], machine["duration"]

    out = []
    w = out.append
    w("# vovrest benchmarks\n")
    w("Everything here is produced by `benchmarks/run` (the numbers, this file and `chart.svg`); "
      "run it again to check them. Medians of "
      f"{runs} runs of {duration:g} s each (after 0.5 s of warm-up).\n")
    w("## The machine\n")
    w(f"- {machine['nproc']} cores: {machine['cpu']}; kernel {machine['kernel']}")
    w(f"- client and server share the machine; the server is `vovrest-fake-server --threads 1` on 127.0.0.1")
    try:
        busy = float(str(machine['load_before']).split()[0]) >= 1.5
    except (ValueError, IndexError):
        busy = True
    note = ("the machine was busy with other work: absolute numbers are noisy; ratios between clients "
            "run back to back are what the targets use") if busy else (
            "the machine was otherwise idle; the targets use ratios between clients run back to back")
    w(f"- load average before the runs: {machine['load_before']}; after: {machine.get('load_after', '?')} "
      f"({note})")
    w(f"- commit {machine.get('commit', '?')}, {machine.get('date', '')}\n")

    w("## Commands\n")
    w("```")
    w("benchmarks/run                       # builds the release preset, runs everything below, writes this file")
    w("build/release/tools/vovrest-fake-server --threads 1 &   # prints: listening on http://127.0.0.1:PORT")
    w("build/release/benchmarks/vovrest-bench --url URL --password-file F --client sdk|raw|naive|blocking \\")
    w("    --connections K --concurrency 64 --duration 5 [--sdk-strands]")
    w("wrk -t1 -cK -d5s --latency -H \"Authorization: Bearer:<token>\" URL/api/v3/project/1/version   # and -t2")
    w("/usr/bin/python3 benchmarks/python_requests_loop.py --url URL --duration 5")
    w("valgrind --tool=callgrind build/release/benchmarks/vovrest-bench --url URL --client sdk "
      "--connections 8 --concurrency 64 --requests 2000")
    w("build/release/benchmarks/vovrest-bench --url URL --client sdk|raw --connections 64 --concurrency 64|100000 "
      "--duration 5 --warmup 1   # server: --token-lifetime 2s (sdk)")
    w("build/release/benchmarks/vovrest-bench --url URL --mode resume --connections 64 --concurrency 1000|10000|100000 "
      "--rounds 7")
    w("build/release/benchmarks/vovrest-micro-bench")
    w("```\n")
    w("Clients: **sdk** is vovrest (one `session`, N coroutines calling `async_get` with "
      "`as_tuple(use_awaitable)`; one thread runs the io_context, so the session is told "
      "`session_params::single_threaded`; `--sdk-strands` runs the session's thread-safe default "
      "(no strand: a guard per operation, for an io_context that several threads may run), where the tables say so); **raw** is a "
      "minimal hand-written Beast coroutine client (one token fetched once, K keep-alive connections "
      "shared by N coroutines, request messages built once per connection): the floor of Asio + "
      "Beast; **naive** is raw plus a new token before every request (a script calling the original "
      "helper each time); **blocking** is K threads with synchronous Beast and a token behind a "
      "`std::mutex`, renewed under the lock when it is about to expire; **wrk** is wrk 4.1 "
      "at its best setting here, `-t1 -cK` (one thread: the server has the other core; `-t2` is shown "
      "for comparison); **Python** is a `requests.Session` loop (Debian's python3-requests).\n")

    w("## Steady state: GET /api/v3/project/1/version, 1 h tokens\n")
    w("64 requests in flight (N = 64 coroutines) over K connections; blocking runs K threads; wrk "
      "runs K connections.\n")
    w("| client | K = 1 req/s | K = 8 req/s | K = 64 req/s | p50 / p99 at K = 8 | p50 / p99 at K = 64 | client CPU µs per request (K = 1 / 8 / 64) | token requests (K = 64) |")
    w("|---|---:|---:|---:|---|---|---|---:|")
    for c, label, name in [("sdk", "steady", "sdk (single_threaded)"), ("sdk", "steady-strands", "sdk (thread-safe default)"),
                           ("sdk", "steady-2threads", "sdk (thread-safe default, 2 io threads)"),
                           ("raw", "steady", "raw"), ("raw", "steady-2threads", "raw (2 io threads)"), ("wrk", "steady", "wrk -t1"), ("wrk", "steady-wrk-t2", "wrk -t2"), ("blocking", "steady", "blocking"),
                           ("naive", "steady", "naive")]:
        rates = [med(rows, "req_per_s", label=label, client=c, connections=k) for k in (1, 8, 64)]
        lat8 = (med(rows, "p50_us", label=label, client=c, connections=8),
                med(rows, "p99_us", label=label, client=c, connections=8))
        lat64 = (med(rows, "p50_us", label=label, client=c, connections=64),
                 med(rows, "p99_us", label=label, client=c, connections=64))
        tokens = med(rows, "token_requests", label=label, client=c, connections=64)
        cpu = " / ".join(n(med(rows, "cpu_us_per_req", label=label, client=c, connections=k), 1) for k in (1, 8, 64))
        if c == "wrk":
            cpu = "–"
        w(f"| {name} | {n(rates[0])} | {n(rates[1])} | {n(rates[2])} | {ms(lat8[0])} / {ms(lat8[1])} | "
          f"{ms(lat64[0])} / {ms(lat64[1])} | {cpu} | {n(tokens)} |")
    py = med(rows, "req_per_s", client="python-requests")
    w(f"| Python requests (1 connection, 1 in flight) | {n(py)} | | | "
      f"{ms(med(rows, 'p50_us', client='python-requests'))} / {ms(med(rows, 'p99_us', client='python-requests'))} | | | 1 |")
    w("")
    w("Client CPU per request is the client process's user + system time over every request it "
      "completed (warm-up included): unlike req/s it barely moves with the machine's load.\n")

    w("## Job submission: POST /api/v3/jobs, K = 8, 64 in flight\n")
    w("| client | req/s | p50 | p99 | p99.9 | errors |")
    w("|---|---:|---:|---:|---:|---:|")
    for c in ["sdk", "raw", "blocking"]:
        w(f"| {c} | {n(med(rows, 'req_per_s', label='submit', client=c))} | {ms(med(rows, 'p50_us', label='submit', client=c))} | "
          f"{ms(med(rows, 'p99_us', label='submit', client=c))} | {ms(med(rows, 'p999_us', label='submit', client=c))} | "
          f"{n(med(rows, 'errors', label='submit', client=c))} |")
    w("")
    w("## HTTPS (self-signed certificate, TLS 1.3), GET, K = 8, 64 in flight\n")
    w("| client | req/s | p50 | p99 | p99.9 |")
    w("|---|---:|---:|---:|---:|")
    for c in ["sdk", "raw", "blocking"]:
        w(f"| {c} | {n(med(rows, 'req_per_s', label='https', client=c))} | {ms(med(rows, 'p50_us', label='https', client=c))} | "
          f"{ms(med(rows, 'p99_us', label='https', client=c))} | {ms(med(rows, 'p999_us', label='https', client=c))} |")
    w("")

    w("## Token renewals under load: 3 s tokens, 1,000 coroutines, K = 64\n")
    w("The same load with 1 h tokens is the steady state it is compared with; blocking runs 64 "
      "threads. Token requests are counted by the client over warm-up + measurement "
      "(first token included).\n")
    w("| run | req/s | p50 | p99 | p99.9 | max | token requests | errors |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, name in [("renewal-baseline", "sdk, 1 h tokens"), ("renewal", "sdk, 3 s tokens"),
                        ("renewal-blocking", "blocking, 3 s tokens")]:
        w(f"| {name} | {n(med(rows, 'req_per_s', label=label))} | {ms(med(rows, 'p50_us', label=label))} | "
          f"{ms(med(rows, 'p99_us', label=label))} | {ms(med(rows, 'p999_us', label=label))} | "
          f"{ms(med(rows, 'max_us', label=label))} | {n(med(rows, 'token_requests', label=label))} | "
          f"{n(med(rows, 'errors', label=label))} |")
    w("")

    w("## Many waiting callers: 100,000 coroutines on one session, K = 64\n")
    w("The same run at 64 coroutines is the base: bytes per caller = (peak RSS at 100,000 − peak RSS at "
      "64) / 99,936, the benchmark's own coroutine included. sdk: 2 s tokens (JWT times are whole "
      "seconds, so each renewal moves the expiry by one second: about one token request per second); "
      "raw: 1 h tokens (it never renews). Token requests are counted over the whole run (set-up, "
      "warm-up, measurement and the drain of the requests in flight: `wall`). In the sdk, the calls "
      "beyond the 64 connections wait for their turn holding their own frame only, so only the calls "
      "with a turn ever wait for a token (findings.md, \"Many waiting callers\").\n")
    w("| client | peak RSS, 64 callers | peak RSS, 100,000 callers | bytes per caller | req/s at 100,000 | "
      "token requests / wall s (64; 100,000) | callers that waited for a token | renewals on 401 |")
    w("|---|---:|---:|---:|---:|---|---:|---:|")
    per_caller = {}
    for c in ["sdk", "raw"]:
        small = med(rows, "peak_rss_kb", label="callers", client=c, concurrency=64)
        big = med(rows, "peak_rss_kb", label="callers", client=c, concurrency=100000)
        bpc = (big - small) * 1024 / (100000 - 64) if small and big else None
        per_caller[c] = bpc
        tok = []
        for conc in (64, 100000):
            t = med(rows, "token_requests", label="callers", client=c, concurrency=conc)
            wall = med(rows, "wall_s", label="callers", client=c, concurrency=conc)
            tok.append(f"{n(t)} / {wall:.1f} s" if t is not None and wall else "–")
        waited = med(rows, "token_waiters", label="callers", client=c, concurrency=100000)
        on401 = med(rows, "renewals_on_401", label="callers", client=c, concurrency=100000)
        w(f"| {c} | {n(small / 1024 if small else None, 1)} MB | {n(big / 1024 if big else None, 1)} MB | "
          f"{n(bpc)} | {n(med(rows, 'req_per_s', label='callers', client=c, concurrency=100000))} | "
          f"{'; '.join(tok)} | {n(waited) if c == 'sdk' else '–'} | {n(on401) if c == 'sdk' else '–'} |")
    w("")
    w("The renewal's waiter-resume curve: a session with no token, N coroutines calling "
      "`async_authorize` at once (one token request, every caller waiting for it), timed from the "
      "token's answer (the `renewal_succeeded` event) to the last caller back in its own coroutine; "
      "one thread, median of the rounds.\n")
    w("| waiters | resume time | per waiter | token requests per round |")
    w("|---:|---:|---:|---:|")
    curve = {}
    for waiters in (1000, 10000, 100000):
        t = med(rows, "resume_ms", label="resume", concurrency=waiters)
        per = med(rows, "ns_per_waiter", label="resume", concurrency=waiters)
        rounds = med(rows, "rounds", label="resume", concurrency=waiters)
        tokens = med(rows, "token_requests", label="resume", concurrency=waiters)
        curve[waiters] = per
        w(f"| {n(waiters)} | {n(t, 2) if t is not None else '–'} ms | {n(per)} ns | "
          f"{n(tokens / rounds, 1) if tokens is not None and rounds else '–'} |")
    w("")

    w("## Client instructions per request (callgrind, client process only)\n")
    w("`--requests 2000`: the statistics are zeroed after a warm-up of 200 requests and dumped after "
      "2,000 more, so start-up, connects and the first token are not counted.\n")
    w("The sdk runs as `vovrest-bench` configures it for its one-thread io_context "
      "(`session_params::single_threaded`), and with the session's default, the thread-safe default "
      "(`--sdk-strands`). raw is single-threaded code with no strand.\n")
    w("| configuration | sdk (single_threaded) | sdk (thread-safe default) | raw | sdk / raw | sdk with strands / raw |")
    w("|---|---:|---:|---:|---:|---:|")
    ipr = {}
    for cfg, name in [("k8", "K = 8, 64 in flight"), ("k8n8", "K = 8, 8 in flight")]:
        s = med(rows, "instructions_per_request", label=f"callgrind-sdk-{cfg}")
        st = med(rows, "instructions_per_request", label=f"callgrind-sdk-strands-{cfg}")
        r = med(rows, "instructions_per_request", label=f"callgrind-raw-{cfg}")
        ipr[cfg] = (s, r, st)
        ratio = f"{s / r:.2f}×" if s and r else "–"
        ratio_st = f"{st / r:.2f}×" if st and r else "–"
        w(f"| {name} | {n(s)} | {n(st)} | {n(r)} | {ratio} | {ratio_st} |")
    w("")

    # ---- targets ----
    w("## Targets\n")
    w("| target | measured | |")
    w("|---|---|---|")

    def rate(c, k):
        return med(rows, "req_per_s", label="steady", client=c, connections=k)

    for k in (8, 64):
        ratio = paired(rows, "req_per_s", "sdk", "raw", label="steady", connections=k)
        cpu = paired(rows, "cpu_us_per_req", "sdk", "raw", label="steady", connections=k)
        if ratio:
            w(f"| sdk ≥ 95 % of raw at K = {k} | {ratio:.1%} (median of the per-round ratios; medians "
              f"{n(rate('sdk', k))} vs {n(rate('raw', k))} req/s; client CPU per request "
              f"{(f'{cpu:.2f}×' if cpu else '–')} raw) | "
              f"{verdict(ratio >= 0.95)} |")
    ratio = paired(rows, "req_per_s", "sdk", "raw", label="https")
    if ratio:
        w(f"| HTTPS: sdk ≥ 95 % of raw at K = 8 | {ratio:.1%} (median of the per-round ratios; medians "
          f"{n(med(rows, 'req_per_s', label='https', client='sdk'))} vs "
          f"{n(med(rows, 'req_per_s', label='https', client='raw'))} req/s) | {verdict(ratio >= 0.95)} |")
    for k in (8, 64):
        two = med(rows, "req_per_s", label="steady-2threads", client="sdk", connections=k)
        one = rate("sdk", k)
        raw_two = med(rows, "req_per_s", label="steady-2threads", client="raw", connections=k)
        raw_one = rate("raw", k)
        if two and one:
            raw_note = f"; raw Beast: 2 threads {raw_two / raw_one:.1%} of 1" if raw_two and raw_one else ""
            w(f"| 2 io threads (thread-safe default) ≥ the single-threaded session at K = {k} | {two / one:.1%} "
              f"(medians {n(two)} vs {n(one)} req/s{raw_note}) | {verdict(two >= one)} |")
    for k in (8, 64):
        ratio = paired(rows, "req_per_s", "sdk", "wrk", label="steady", connections=k)
        if ratio:
            t2 = med(rows, "req_per_s", label="steady-wrk-t2", client="wrk", connections=k)
            w(f"| sdk ≥ 100 % of wrk -t1 (wrk's best setting here) at K = {k} | {ratio:.1%} (per-round ratios; "
              f"medians {n(rate('sdk', k))} vs {n(rate('wrk', k))} req/s; wrk -t2: {n(t2)}) | {verdict(ratio >= 1.0)} |")
    ratio = None
    sdk_rates = [r["req_per_s"] for r in rows if r.get("label") == "steady" and r.get("client") == "sdk" and r.get("connections") == 8]
    py_rates = [r["req_per_s"] for r in rows if r.get("client") == "python-requests"]
    if sdk_rates and py_rates:
        ratio = statistics.median([a / b for a, b in zip(sdk_rates, py_rates) if b])
        raw_py = statistics.median([a / b for a, b in zip(
            [r["req_per_s"] for r in rows if r.get("label") == "steady" and r.get("client") == "raw" and r.get("connections") == 8],
            py_rates) if b])
        wrk_py = statistics.median([a / b for a, b in zip(
            [r["req_per_s"] for r in rows if r.get("label") == "steady" and r.get("client") == "wrk" and r.get("connections") == 64],
            py_rates) if b])
        w(f"| sdk ≥ 30× the Python loop | {ratio:.0f}× (sdk K = 8 against Python, per round; raw K = 8: {raw_py:.0f}×, "
          f"wrk K = 64: {wrk_py:.0f}×) | {verdict(ratio >= 30)} |")
    base, renew = med(rows, "p99_us", label="renewal-baseline"), med(rows, "p99_us", label="renewal")
    if base and renew:
        w(f"| through renewals, p99 ≤ 1.5× steady state | {renew / base:.2f}× ({ms(renew)} vs {ms(base)}) | "
          f"{verdict(renew <= 1.5 * base)} |")
    tokens = med(rows, "token_requests", label="renewal")
    secs = med(rows, "seconds", label="renewal")
    if tokens and secs:
        # Renewal starts in the soft window (last quarter of the lifetime), so one token request
        # per renewal is one every 0.75 × 3 s at most; plus the first token.
        elapsed = secs + 1.0
        allowed = math.ceil(elapsed / (0.75 * 3.0)) + 1
        w(f"| one token request per lifetime (no stampede) | {n(tokens)} token requests in {elapsed:.0f} s of 3 s tokens "
          f"(one per renewal allows ≤ {allowed}) | {verdict(tokens <= allowed)} |")
    if per_caller.get("sdk"):
        raw_note = f"; raw: {n(per_caller['raw'])} B" if per_caller.get("raw") else ""
        w(f"| 100,000 callers: ≤ 2 KB of peak RSS per caller | {n(per_caller['sdk'])} B per caller{raw_note} | "
          f"{verdict(per_caller['sdk'] <= 2048)} |")
    t64 = med(rows, "token_requests", label="callers", client="sdk", concurrency=64)
    w64 = med(rows, "wall_s", label="callers", client="sdk", concurrency=64)
    tbig = med(rows, "token_requests", label="callers", client="sdk", concurrency=100000)
    wbig = med(rows, "wall_s", label="callers", client="sdk", concurrency=100000)
    on401 = med(rows, "renewals_on_401", label="callers", client="sdk", concurrency=100000)
    if t64 and w64 and tbig and wbig:
        # One renewal per second of 2 s tokens whose times are whole seconds, plus the first token.
        allowed = math.ceil(wbig) + 1
        w(f"| 100,000 callers: one token request per renewal (as many per second as with 64 callers) | "
          f"{tbig / wbig:.2f}/s at 100,000 against {t64 / w64:.2f}/s at 64 ({n(tbig)} in {wbig:.1f} s; "
          f"{n(on401)} on 401) | {verdict(tbig <= allowed and not on401)} |")
    if all(curve.get(k) for k in (1000, 10000, 100000)):
        spread = max(curve.values()) / min(curve.values())
        w(f"| a renewal's cost flat per waiter (1k, 10k, 100k waiters) | "
          f"{' / '.join(n(curve[k]) for k in (1000, 10000, 100000))} ns per waiter (spread {spread:.2f}×) | "
          f"{verdict(spread <= 2.0)} |")
    s, r, st = ipr.get("k8", (None, None, None))
    if s and r:
        strands = f"; the thread-safe default: {st / r:.2f}×" if st else ""
        w(f"| client instructions per request ≤ 1.15× raw | {s / r:.2f}× ({n(s)} vs {n(r)}, K = 8, 64 in flight, "
          f"single_threaded session{strands}) | {verdict(s <= 1.15 * r)} |")
    w("")

    findings = os.path.join(bench_dir, FINDINGS_FILE)
    if os.path.exists(findings):
        w(open(findings, encoding="utf-8").read().strip() + "\n")

    w("## Chart\n")
    w("![req/s per client, and p99 through token renewals](chart.svg)\n")
    w("## Micro-benchmarks (token fast path, JWT decoding, table parsing, form and query encoding, "
      "request head serialisation)\n")
    w("Time and heap allocations per operation (`allocs/op`); `first_call_allocs` is the request head "
      "buffer's first write, after which the connection reuses it.\n")
    w("```")
    w(micro)
    w("```")

    chart.draw(results_dir, os.path.join(bench_dir, "chart.svg"))
    with open(os.path.join(bench_dir, "README.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
