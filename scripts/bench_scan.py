"""Benchmark the scan resolver against a bare Flask route.

Target: with 1,000,000 facilities in SQLite, served by gunicorn with 2 sync workers,
16 concurrent clients reach on the scan route /A/<code> at least 60 % of the requests
per second of a bare route served by the same app and server in the same run, and the
scan's p99 latency is at most 50 ms.

The scan is an anonymous one, as a citizen's phone makes it: municipal/assets/public_scan.py answers
it in front of Flask; the bare route goes through Flask.

The script seeds the million itself: schema by migrations, then Core bulk inserts.
The load comes from wrk (Debian: apt-get install -y --no-install-recommends wrk), which
requests random real codes. Bare and scan runs alternate so that neither gets the
warmer or quieter half of the machine. Only 127.0.0.1 is used. Exits 1 on FAIL.

Usage: .venv/bin/python scripts/bench_scan.py [--count 1000000] [--duration 20] [--db FILE]
       (--db reuses FILE if it exists, else seeds it; without it a temporary database is used)
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa

from bench_common import (QUIET_SHARE, http_status, machine_busy_seconds, seed_facilities, server_cpu_seconds,
                          start_gunicorn, stop, wrk_cpu_seconds)
from municipal import create_app
from municipal.assets.models import Asset, IdentityCode
from municipal.extensions import db

TARGET_RATIO = 0.60
TARGET_P99_MS = 50.0
WORKERS = 2
CLIENTS = 16
SAMPLE_CODES = 10_000
WARMUP_SECONDS = 5

WSGI_MODULE = '''\
"""The benchmarked app: the real one, plus a bare route as the baseline."""
from municipal import create_app
from municipal.permissions import public

app = create_app()
app.add_url_rule("/_bare", "bare", public(lambda: "ok"))
'''

WRK_SCRIPT = r'''
-- args: "bare", or "scan" and a file of codes; every scan request takes a random code.
local paths = {}

function init(args)
  if args[1] == "scan" then
    for line in io.lines(args[2]) do paths[#paths + 1] = "/A/" .. line end
  else
    paths[1] = "/_bare"
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d errors=%d non2xx=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, e.status))
end
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000, help="facilities to seed")
    parser.add_argument("--duration", type=int, default=20, help="seconds per measured run")
    parser.add_argument("--db", type=Path, help="SQLite file to reuse, or to seed if it does not exist")
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is missing: apt-get install -y --no-install-recommends wrk", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="bench_scan_"))
    try:
        db_path = args.db.resolve() if args.db else workdir / "bench.db"
        url = f"sqlite:///{db_path}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        with app.app_context():
            if db_path.exists() and args.db:
                print(f"Reusing {db_path}.")
            else:
                seed_facilities(args.count)
            sample = db.session.scalars(
                sa.select(IdentityCode.code).where(IdentityCode.status == "bound")
                .order_by(sa.func.random()).limit(SAMPLE_CODES)
            ).all()
            total = db.session.scalar(sa.select(sa.func.count()).select_from(Asset))
        (workdir / "codes.txt").write_text("\n".join(sample) + "\n")
        (workdir / "bench_wsgi.py").write_text(WSGI_MODULE)
        (workdir / "bench.lua").write_text(WRK_SCRIPT)
        return measure(wrk, workdir, url, sample, total, args.duration)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def measure(wrk, workdir, url, sample, total, duration) -> int:
    server, base, log = start_gunicorn(workdir, url, WORKERS, "bench_wsgi:app")
    try:
        for path in ("/_bare", f"/A/{sample[0]}"):
            status = http_status(base + path)
            if status != 200:
                print(f"GET {path} answered {status}, not 200: nothing to measure.", file=sys.stderr)
                return 2
        print(f"{total:,} facilities; gunicorn {WORKERS} sync workers; {CLIENTS} clients; "
              f"{len(sample):,} random codes; {duration} s per run.")
        for route in ("bare", "scan"):
            run_wrk(wrk, workdir, base, route, WARMUP_SECONDS, server.pid)
        results = {"bare": [], "scan": []}
        for route in ("bare", "scan", "bare", "scan"):
            result = run_wrk(wrk, workdir, base, route, duration, server.pid)
            results[route].append(result)
            busy = "  (busy machine: figures suspect)" if result["others"] > QUIET_SHARE else ""
            print(f"  {route:4}  {result['rps']:8.0f} req/s   p50 {result['p50_ms']:6.1f} ms   "
                  f"p99 {result['p99_ms']:6.1f} ms   errors {result['errors']}   non-2xx {result['non2xx']}   "
                  f"other processes {result['others']:.0%} CPU{busy}")
        if server.poll() is not None:
            print("gunicorn died during the run; see its log:\n" + log.read_text()[-2000:], file=sys.stderr)
            return 2
    finally:
        stop(server)
    return verdict(results)


def verdict(results) -> int:
    rps = {route: sum(r["requests"] for r in runs) / sum(r["seconds"] for r in runs)
           for route, runs in results.items()}
    ratio = rps["scan"] / rps["bare"]
    # Histograms of separate runs cannot be merged; the worse p99 is the honest one.
    p99 = max(r["p99_ms"] for r in results["scan"])
    failures = sum(r["errors"] + r["non2xx"] for runs in results.values() for r in runs)
    ok_ratio, ok_p99 = ratio >= TARGET_RATIO, p99 <= TARGET_P99_MS
    print(f"bare {rps['bare']:.0f} req/s, scan {rps['scan']:.0f} req/s: "
          f"ratio {ratio:.0%} (target ≥ {TARGET_RATIO:.0%}) {'PASS' if ok_ratio else 'FAIL'}")
    print(f"scan p99 {p99:.1f} ms (target ≤ {TARGET_P99_MS:.0f} ms) {'PASS' if ok_p99 else 'FAIL'}")
    if failures:
        print(f"{failures} requests failed or answered non-2xx: FAIL")
    if any(r["others"] > QUIET_SHARE for runs in results.values() for r in runs):
        print(f"Other processes took over {QUIET_SHARE:.0%} of the CPU in some runs: repeat on a quiet machine.")
    passed = ok_ratio and ok_p99 and not failures
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


def run_wrk(wrk, workdir, base, route, seconds, server_pid) -> dict:
    # One wrk thread is plenty for 16 connections and leaves the CPU to the server.
    command = [wrk, "-t", "1", "-c", str(CLIENTS), "-d", f"{seconds}s", "--timeout", "5s",
               "-s", str(workdir / "bench.lua"), base, "--", route, str(workdir / "codes.txt")]
    machine, ours = machine_busy_seconds(), server_cpu_seconds(server_pid) + wrk_cpu_seconds()
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=True).stdout
    machine, ours = machine_busy_seconds() - machine, server_cpu_seconds(server_pid) + wrk_cpu_seconds() - ours
    found = re.search(r"^RESULT (.*)$", output, re.MULTILINE)
    if found is None:
        raise RuntimeError("wrk printed no result:\n" + output)
    values = {key: int(value) for key, value in (pair.split("=") for pair in found.group(1).split())}
    seconds_run = values["duration_us"] / 1e6
    return {"requests": values["requests"], "seconds": seconds_run, "rps": values["requests"] / seconds_run,
            "p50_ms": values["p50_us"] / 1000, "p99_ms": values["p99_us"] / 1000,
            "errors": values["errors"], "non2xx": values["non2xx"],
            "others": max(0.0, machine - ours) / (seconds_run * os.cpu_count())}


if __name__ == "__main__":
    sys.exit(main())
