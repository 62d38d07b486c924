#!/usr/bin/python3
"""The script Accelerator users write today: one token from POST /api/v3/token, then a loop of
GETs on a requests.Session (one keep-alive connection). Prints one JSON line in vovrest-bench's
format. Standard library + Debian's python3-requests only.

usage: python_requests_loop.py --url URL [--user demo] [--password-file FILE]
                               [--duration 5] [--path /api/v3/project/1/version]
"""
import argparse
import json
import sys
import time

import requests


def percentile(sorted_values, q):
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, int(q * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", default="demo")
    parser.add_argument("--password-file")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--path", default="/api/v3/project/1/version")
    parser.add_argument("--label", default="")
    args = parser.parse_args()

    password = "demo"
    if args.password_file:
        with open(args.password_file, encoding="utf-8") as f:
            password = f.readline().rstrip("\r\n")

    url = args.url.rstrip("/")
    verify = False  # the fake server's certificate is self-signed
    if url.startswith("https://"):
        import urllib3
        urllib3.disable_warnings()

    session = requests.Session()
    answer = session.post(url + "/api/v3/token", data={"username": args.user, "password": password},
                          verify=verify)
    answer.raise_for_status()
    token = answer.json()
    session.headers["Authorization"] = "%s:%s" % (token["token_type"], token["access_token"])

    target = url + args.path
    latencies = []
    errors = 0
    start = time.perf_counter()
    measure_from = start + args.warmup
    measure_until = measure_from + args.duration
    while True:
        t0 = time.perf_counter()
        if t0 >= measure_until:
            break
        ok = session.get(target, verify=verify).status_code == 200
        t1 = time.perf_counter()
        if not ok:
            errors += 1
        elif t0 >= measure_from and t1 <= measure_until:
            latencies.append((t1 - t0) * 1e6)
    latencies.sort()
    result = {
        "client": "python-requests", "mode": "get", "tls": url.startswith("https://"),
        "connections": 1, "concurrency": 1, "threads": 1,
        "req_per_s": round(len(latencies) / args.duration, 1),
        "p50_us": round(percentile(latencies, 0.5), 1), "p90_us": round(percentile(latencies, 0.9), 1),
        "p99_us": round(percentile(latencies, 0.99), 1), "p999_us": round(percentile(latencies, 0.999), 1),
        "max_us": round(latencies[-1], 1) if latencies else 0.0,
        "errors": errors, "token_requests": 1, "requests": len(latencies), "seconds": args.duration,
        "label": args.label,
    }
    print(json.dumps(result))
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
