#!/usr/bin/python3
"""Draws benchmarks/chart.svg from the results of benchmarks/run, with the standard library only.

Left: median requests per second per client at K = 1, 8, 64 keep-alive connections (64
requests in flight; blocking has K threads; wrk has K connections). Right: p99 latency per
100 ms of the SDK through token renewals (3 s tokens, 1,000 coroutines, K = 64), against the
same load with 1 h tokens, with the token requests marked.

usage: chart.py RESULTS_DIR OUTPUT.svg
"""
import csv
import json
import os
import statistics
import sys
from xml.sax.saxutils import escape

COLOURS = {"sdk": "#1f77b4", "raw": "#2ca02c", "wrk": "#7f7f7f", "blocking": "#ff7f0e",
           "naive": "#d62728", "python-requests": "#9467bd"}


def load_results(directory):
    rows = []
    with open(os.path.join(directory, "results.jsonl"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    return rows


def median_of(rows, field, **match):
    values = [r[field] for r in rows if all(r.get(k) == v for k, v in match.items())]
    return statistics.median(values) if values else None


def read_timeline(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def median_run(rows, label, runs):
    """Index (1-based) of the run whose p99 is the median of that scenario's runs."""
    p99 = [r["p99_us"] for r in rows if r.get("label") == label]
    if not p99:
        return 1
    ordered = sorted(range(len(p99)), key=lambda i: p99[i])
    return min(ordered[len(ordered) // 2] + 1, runs)


def nice_ceiling(value):
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def text(x, y, s, size=12, anchor="start", weight="normal", colour="#222", rotate=None):
    transform = f' transform="rotate({rotate} {x} {y})"' if rotate is not None else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{colour}"{transform}>{escape(str(s))}</text>')


def bar_panel(rows, x0, y0, width, height):
    out = [text(x0 + width / 2, y0 - 12, "Requests per second (median), GET, 64 in flight", 14, "middle", "bold")]
    clients = ["sdk", "raw", "wrk", "blocking", "naive"]
    groups = [1, 8, 64]
    values = {(c, k): median_of(rows, "req_per_s", label="steady", client=c, connections=k)
              for c in clients for k in groups}
    python_rate = median_of(rows, "req_per_s", label="steady", client="python-requests")
    top = nice_ceiling(max([v for v in values.values() if v] + [python_rate or 0, 1]))
    out.append(f'<rect x="{x0}" y="{y0}" width="{width}" height="{height}" fill="none" stroke="#ccc"/>')
    for i in range(5):
        y = y0 + height - height * i / 4
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + width}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(text(x0 - 6, y + 4, f"{top * i / 4:,.0f}", 11, "end"))
    slots = len(groups) + 1
    group_width = width / slots
    bar_width = group_width * 0.8 / len(clients)
    for gi, k in enumerate(groups):
        gx = x0 + gi * group_width + group_width * 0.1
        for ci, c in enumerate(clients):
            v = values[(c, k)]
            if not v:
                continue
            h = height * v / top
            bx = gx + ci * bar_width
            out.append(f'<rect x="{bx:.1f}" y="{y0 + height - h:.1f}" width="{bar_width - 2:.1f}" '
                       f'height="{h:.1f}" fill="{COLOURS[c]}"><title>{c} K={k}: {v:,.0f} req/s</title></rect>')
        out.append(text(gx + group_width * 0.4, y0 + height + 16, f"K = {k}", 12, "middle"))
    if python_rate:
        gx = x0 + len(groups) * group_width + group_width * 0.35
        h = max(height * python_rate / top, 1)
        out.append(f'<rect x="{gx:.1f}" y="{y0 + height - h:.1f}" width="{bar_width - 2:.1f}" height="{h:.1f}" '
                   f'fill="{COLOURS["python-requests"]}"/>')
        out.append(text(gx + bar_width / 2, y0 + height - h - 4, f"{python_rate:,.0f}", 10, "middle"))
        out.append(text(gx + bar_width / 2, y0 + height + 16, "Python", 12, "middle"))
        out.append(text(gx + bar_width / 2, y0 + height + 30, "1 conn", 10, "middle"))
    for ci, c in enumerate(clients + ["python-requests"]):
        lx = x0 + 10 + ci * (width - 20) / 6
        out.append(f'<rect x="{lx:.1f}" y="{y0 + height + 40}" width="10" height="10" fill="{COLOURS[c]}"/>')
        out.append(text(lx + 14, y0 + height + 49, c, 11))
    return out


def line_panel(series, renewals, x0, y0, width, height):
    out = [text(x0 + width / 2, y0 - 12, "p99 latency per 100 ms through token renewals (3 s tokens)", 14,
                "middle", "bold")]
    out.append(f'<rect x="{x0}" y="{y0}" width="{width}" height="{height}" fill="none" stroke="#ccc"/>')
    t_max = max([p["t_ms"] for _, _, pts in series for p in pts] + [1]) + 100
    y_max = nice_ceiling(max([p["p99_us"] for _, _, pts in series for p in pts] + [1]) / 1000.0)
    for i in range(5):
        y = y0 + height - height * i / 4
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + width}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(text(x0 - 6, y + 4, f"{y_max * i / 4:g} ms", 11, "end"))
    seconds = int(t_max // 1000)
    for s in range(0, seconds + 1, max(1, seconds // 10)):
        x = x0 + width * s * 1000 / t_max
        out.append(text(x, y0 + height + 16, f"{s} s", 11, "middle"))
    for t in renewals:
        x = x0 + width * t / t_max
        out.append(f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y0 + height}" stroke="#1f77b4" '
                   f'stroke-dasharray="3,3" opacity="0.6"/>')
    for name, colour, pts in series:
        if not pts:
            continue
        coords = " ".join(f"{x0 + width * (p['t_ms'] + 50) / t_max:.1f},"
                          f"{y0 + height - height * min(p['p99_us'] / 1000.0, y_max) / y_max:.1f}"
                          for p in pts if p["requests"] > 0)
        out.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
    for i, (name, colour, _) in enumerate(series + [("token request (sdk)", "#1f77b4", None)]):
        lx = x0 + 10 + i * (width - 20) / 4
        dash = ' stroke-dasharray="3,3"' if i == len(series) else ""
        out.append(f'<line x1="{lx:.1f}" y1="{y0 + height + 40}" x2="{lx + 16:.1f}" y2="{y0 + height + 40}" '
                   f'stroke="{colour}" stroke-width="2"{dash}/>')
        out.append(text(lx + 20, y0 + height + 44, name, 11))
    return out


def draw(directory, output):
    rows = load_results(directory)
    runs = max(1, sum(1 for r in rows if r.get("label") == "renewal"))
    run = median_run(rows, "renewal", runs)
    sdk = read_timeline(os.path.join(directory, f"timeline-sdk-{run}.csv"))
    baseline = read_timeline(os.path.join(directory, f"timeline-baseline-{run}.csv"))
    blocking = read_timeline(os.path.join(directory, f"timeline-blocking-{run}.csv"))
    renewals = [p["t_ms"] + 50 for p in sdk for _ in range(int(p["token_requests"]))]
    # blocking is left out: 64 threads have 64 requests in flight, not 1,000, so its latency is
    # not comparable (it is in the README's table).
    del blocking
    series = [("sdk, 3 s tokens", COLOURS["sdk"], sdk), ("sdk, 1 h tokens", "#aec7e8", baseline)]
    width, height = 1200, 430
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif">',
             f'<rect width="{width}" height="{height}" fill="white"/>']
    parts += bar_panel(rows, 80, 40, 460, 300)
    parts += line_panel(series, renewals, 680, 40, 480, 300)
    parts.append("</svg>")
    with open(output, "w", encoding="utf-8") as f:
        f.write("\n".join(parts) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    draw(sys.argv[1], sys.argv[2])
