"""Benchmark readings at a district's scale: 15 reservoirs × one water level every 5 minutes × 10 years
(15.8 M rows), and their rain gauges' hourly totals (1.3 M more).

Targets (issue 17): the chart's series of one year at 1 d buckets in at most 100 ms, of ten years in at most
300 ms, the last 7 days raw in at most 100 ms; a gauge's batch of 12 readings posted with p95 at most 50 ms;
`municipal readings import` at least 20,000 rows/s. The series and the posts go through the application (the
Flask test client: routing, the token, the service, the JSON), without a network. Exits 1 on FAIL.

The data are written straight into the tables (readings and their rollups, as the services would leave them),
which is how a migration of a decade of telemetry would load them; the import is measured on its own file.

Usage: .venv/bin/python scripts/bench_readings.py [--url postgresql+psycopg://…|sqlite:///PATH] [--years 10]
       [--reservoirs 15] [--import-rows 200000] [--reuse: measure again on the data already at --url]
"""
import argparse
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench_common import ROOT, asset_row, fast_writes, machine_busy_seconds, reset_sequences

import sqlalchemy as sa  # noqa: E402

from municipal import clock, create_app  # noqa: E402
from municipal.assets.identity import codes  # noqa: E402
from municipal.assets.models import Asset, IdentityCode  # noqa: E402
from municipal.extensions import db  # noqa: E402
from municipal.readings import rules, services  # noqa: E402
from municipal.readings.models import Reading  # noqa: E402

STEP = timedelta(minutes=5)
END = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)
LIMITS = {"flood_limit_level_m": 112.5, "normal_level_m": 113.0, "dam_crest_level_m": 116.0, "bed_level_m": 95.0}
CHUNK_DAYS = 30
RUNS = 30


def level_at(rng_phase: float, i: int) -> float:
    """A slow yearly cycle and a daily ripple, below the flood limit: no event fires during the load."""
    days = i * 5 / 1440
    return round(108.0 + 2.5 * math.sin(2 * math.pi * days / 365 + rng_phase) + 0.05 * math.sin(2 * math.pi * days), 3)


def seed(count: int, years: float) -> list[int]:
    """`count` reservoirs with `years` of 5-minute water levels and rainfall (both kinds: 2 rows per step)."""
    rng = random.Random(17)
    now = datetime.now(timezone.utc)
    with db.engine.connect() as connection:
        fast_writes(connection)
        ids = []
        for n in range(1, count + 1):
            row = asset_row(rng, n, "reservoir", "水库", None, now)
            row["attributes"] = {**row["attributes"], **LIMITS}
            connection.execute(sa.insert(Asset.__table__), [row])
            connection.execute(sa.insert(IdentityCode.__table__), [{
                "id": n, "code": codes.generate("RSV"), "prefix": "RSV", "status": "bound", "asset_id": n,
                "created_at": now, "bound_at": now, "revoked_at": None, "revoked_reason": "", "replaced_by_id": None}])
            ids.append(n)
        connection.commit()
        reset_sequences(connection)
    steps = int(years * 365 * 1440 / 5)
    start = END - STEP * (steps - 1)
    if db.engine.dialect.name == "postgresql":
        seed_on_server(ids, steps, start, rng)
    else:
        seed_through_services(ids, steps, start, rng)
    with db.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    return ids


def seed_through_services(ids: list[int], steps: int, start: datetime, rng: random.Random) -> None:
    """Through services.store, a month at a time: the rows and rollups exactly as the platform makes them."""
    started, written = time.perf_counter(), 0
    for asset_id in ids:
        phase = rng.uniform(0, 2 * math.pi)
        for first in range(0, steps, CHUNK_DAYS * 288):
            readings = []
            for i in range(first, min(first + CHUNK_DAYS * 288, steps)):
                at = start + STEP * i
                readings.append(rules.Clean("water_level", at, level_at(phase, i), None))
                if i % 12 == 11:  # the rain gauge's hourly total: a few millimetres now and then, never a rainstorm
                    readings.append(rules.Clean("rainfall", at, 2.0 if rng.random() < 0.05 else 0.0, 60))
            services.store(asset_id, readings, "import")
            db.session.commit()
            written += len(readings)
            print(f"\rLoaded {written:,} readings ({written / (time.perf_counter() - started):,.0f}/s)", end="",
                  flush=True)
    print()


# The same series as level_at and the rain of seed_through_services, made by PostgreSQL itself: 17 M rows
# sent row by row from Python take most of an hour on a shared machine, made on the server a few minutes.
# observed_at is naive UTC (db.UTCDateTime); the day's rollup starts at the local midnight, in UTC.
SERVER_READINGS = """
INSERT INTO reading (asset_id, kind, observed_at, value, period_minutes, source, work_order_id, created_at)
SELECT :asset, 'water_level', :start + i * interval '5 minutes',
       round((108.0 + 2.5 * sin(2 * pi() * (i * 5 / 1440.0) / 365 + :phase)
              + 0.05 * sin(2 * pi() * (i * 5 / 1440.0)))::numeric, 3)::float8,
       NULL::integer, 'import', NULL::integer, :created
FROM generate_series(0, :steps - 1) AS i
UNION ALL
SELECT :asset, 'rainfall', :start + i * interval '5 minutes', CASE WHEN random() < 0.05 THEN 2.0 ELSE 0.0 END,
       60, 'import', NULL::integer, :created
FROM generate_series(11, :steps - 1, 12) AS i
ORDER BY 2, 3
"""
SERVER_ROLLUPS = """
INSERT INTO reading_rollup (asset_id, kind, grain, bucket_at, count, total, low, high)
SELECT asset_id, kind, 'h', date_trunc('hour', observed_at), count(*), sum(value), min(value), max(value)
FROM reading WHERE asset_id = :asset GROUP BY asset_id, kind, date_trunc('hour', observed_at)
UNION ALL
SELECT asset_id, kind, 'd', day, count(*), sum(value), min(value), max(value)
FROM (SELECT asset_id, kind, value,
             date_trunc('day', observed_at AT TIME ZONE 'UTC' AT TIME ZONE :zone) AT TIME ZONE :zone
             AT TIME ZONE 'UTC' AS day
      FROM reading WHERE asset_id = :asset) AS local
GROUP BY asset_id, kind, day
"""


def seed_on_server(ids: list[int], steps: int, start: datetime, rng: random.Random) -> None:
    """PostgreSQL: each reservoir's decade generated in one INSERT … SELECT, its rollups built from it in
    one more, rather than folded in row by row."""
    zone = str(clock.zone())
    naive = start.astimezone(timezone.utc).replace(tzinfo=None)
    created = datetime.now(timezone.utc).replace(tzinfo=None)
    started, written = time.perf_counter(), 0
    with db.engine.connect() as connection:
        fast_writes(connection)
        connection.exec_driver_sql("SELECT setseed(0.17)")
        for asset_id in ids:
            params = {"asset": asset_id, "start": naive, "steps": steps, "phase": rng.uniform(0, 2 * math.pi),
                      "created": created, "zone": zone}
            written += connection.execute(sa.text(SERVER_READINGS), params).rowcount
            connection.execute(sa.text(SERVER_ROLLUPS), params)
            connection.commit()
            print(f"\rLoaded {written:,} readings and their rollups "
                  f"({written / (time.perf_counter() - started):,.0f}/s)", end="", flush=True)
    print()


CPU: dict[str, list[float]] = {}
# The database server's CPU milliseconds per run, on average (PostgreSQL on this machine only).
DATABASE_CPU: dict[str, float] = {}


class DatabaseCpu:
    """The CPU seconds PostgreSQL's processes serving the benchmark's database have used, read from /proc:
    with this process's own, a figure that leaves out the other work on a shared machine. None on SQLite
    (its work is this process's) or when the server is elsewhere."""

    def __init__(self, url: str):
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool) if url.startswith("postgresql") else None

    def seconds(self) -> float | None:
        if self.engine is None:
            return None
        with self.engine.connect() as connection:
            pids = connection.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()").scalars().all()
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, PermissionError):  # gone, or a server on another machine
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")


def timed(call, runs=RUNS, label="", database: DatabaseCpu | None = None) -> list[float]:
    """Wall-clock milliseconds of each run; this process's CPU milliseconds of each go to CPU[label], the
    database server's mean per run to DATABASE_CPU[label]."""
    times, cpu = [], CPU.setdefault(label, [])
    before = database.seconds() if database else None
    for _ in range(runs):
        began, used = time.perf_counter(), time.process_time()
        call()
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    if before is not None:
        DATABASE_CPU[label] = (database.seconds() - before) * 1000 / runs
    return times


def p95(values):
    return sorted(values)[max(0, math.ceil(len(values) * 0.95) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="database URL (default: a new SQLite file)")
    parser.add_argument("--years", type=float, default=10)
    parser.add_argument("--reservoirs", type=int, default=15)
    parser.add_argument("--import-rows", type=int, default=200_000)
    parser.add_argument("--reuse", action="store_true", help="measure on the readings already in --url (a run's "
                                                             "posts and import go after and before them)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-readings-"))
    try:
        return run(args, workdir)
    finally:  # the default SQLite file is gigabytes: --url sqlite:///PATH keeps one
        shutil.rmtree(workdir, ignore_errors=True)


def run(args, workdir: Path) -> int:
    url = args.url or f"sqlite:///{workdir / 'bench.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "MEDIA_DIR": str(workdir / "media"),
                      "TESTING": True, "CLOCK": END.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M")})
    busy_before, wall_before = machine_busy_seconds(), time.monotonic()
    results = []
    with app.app_context():
        from flask_migrate import upgrade

        from municipal.auth.services import create_user
        from municipal.auth.tokens import create_token

        from municipal.auth.models import User

        if args.reuse:
            ids = list(db.session.scalars(sa.select(Asset.id).where(Asset.type == "reservoir").order_by(Asset.id)))
        else:
            upgrade(directory=str(ROOT / "migrations"))
            ids = seed(args.reservoirs, args.years)
        rows = db.session.scalar(sa.select(sa.func.count()).select_from(Reading))
        first, last = db.session.execute(sa.select(sa.func.min(Reading.observed_at), sa.func.max(Reading.observed_at))).one()
        print(f"{rows:,} readings in {db.engine.dialect.name}")

        def account(name, role):
            return (db.session.scalar(sa.select(User).where(User.username == name))
                    or create_user(name, "a long bench passphrase", role))
        # The gauge acts as an account that sees the district's reservoirs; its token limits it to them.
        _, plain = create_token(account("gauge", "supervisor"), "gauge", scopes=["readings:write"], facilities=ids)
        _, reader = create_token(account("viewer1", "viewer"), "reader", scopes=["read"])
        db.session.commit()
        code = db.session.scalar(sa.select(IdentityCode.code).where(IdentityCode.asset_id == ids[0]))
    # Requests are made outside the app context above: each then has its own, as under a server (a shared
    # one would carry one request's signed-in user into the next).
    client = app.test_client()
    database = DatabaseCpu(url)
    rng = random.Random(5)
    app.extensions["clock"].set(END, frozen=True)
    to = END.isoformat()

    def series(query):
        def call():
            answer = client.get(f"/api/v1/assets/{rng.choice(ids)}/readings", query_string=query,
                                headers={"Authorization": f"Bearer {reader}"})
            assert answer.status_code == 200, answer.get_data(as_text=True)
        return call

    checks = [
        ("one year at 1 d buckets", {"from": (END - timedelta(days=365)).isoformat(), "to": to, "every": "1d"}, 100),
        ("ten years at 1 d buckets", {"from": (END - timedelta(days=3652)).isoformat(), "to": to, "every": "1d"}, 300),
        ("last 7 days raw", {"from": (END - timedelta(days=7)).isoformat(), "to": to}, 100),
    ]
    for label, query, target in checks:
        series(query)()  # warm the cache: the chart's second look, as a supervisor's
        times = timed(series(query), label=label, database=database)
        results.append((label, statistics.median(times), p95(times), target, "p95"))
    # A gauge's batch of 12 (an hour of 5-minute levels) after the data, as time goes on.
    moment = [max(END, last)]

    def batch():
        readings = []
        for _ in range(12):
            moment[0] += STEP
            readings.append({"kind": "water_level", "value": 108.0 + rng.random() / 10,
                             "observed_at": moment[0].isoformat()})
        app.extensions["clock"].set(moment[0], frozen=True)
        answer = client.post(f"/api/v1/assets/{rng.choice(ids)}/readings", json={"readings": readings},
                             headers={"Authorization": f"Bearer {plain}"})
        assert answer.status_code == 201, answer.get_data(as_text=True)
    times = timed(batch, 200, label="a batch of 12 posted", database=database)
    results.append(("a batch of 12 posted", statistics.median(times), p95(times), 50, "p95"))
    # The import: a reservoir's readings from before the data, one file, through the command.
    path = workdir / "readings.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("编码,类型,观测时间,数值,时段\n")
        # Before the decade of data: the file is new readings, as a gauge's archive handed in late.
        for i in range(args.import_rows):
            at = (min(first, END - timedelta(days=3700)) - STEP * (i + 1)).astimezone(timezone(timedelta(hours=8)))
            out.write(f"{code},水位,{at.strftime('%Y-%m-%d %H:%M')},{108 + (i % 100) / 100},\n")
    began, cpu, server = time.perf_counter(), time.process_time(), database.seconds()
    outcome = app.test_cli_runner().invoke(args=["readings", "import", str(path)])
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    server = database.seconds() - server if server is not None else None
    assert outcome.exit_code == 0, outcome.output
    rate = args.import_rows / seconds
    results.append((f"import of {args.import_rows:,} rows (rows/s)", rate, rate, 20_000, "min"))
    # On a shared machine the wall clock counts other people's work; the process's own CPU time does not
    # (on SQLite it includes the database's; on PostgreSQL the server's is read from its processes).
    print(f"import: {seconds:.1f} s by the wall clock, {cpu:.1f} s of this process's CPU "
          f"({args.import_rows / cpu:,.0f} rows per CPU second)"
          + (f", {server:.1f} s of the database's ({args.import_rows / (cpu + server):,.0f} rows per CPU second "
             "of both)" if server is not None else ""))
    busy = machine_busy_seconds() - busy_before
    print(f"\n{url.split(':')[0]}: {rows:,} readings, {len(ids)} reservoirs, "
          f"{args.years:g} years")
    failed = False
    for label, median, worst, target, kind in results:
        ok = worst >= target if kind == "min" else worst <= target
        failed |= not ok
        if kind == "min":
            print(f"  {label:<34} {median:>10,.0f}            target ≥ {target:,}  {'PASS' if ok else 'FAIL'}")
        else:
            print(f"  {label:<34} median {median:7.1f} ms  p95 {worst:7.1f} ms  target ≤ {target} ms  "
                  f"{'PASS' if ok else 'FAIL'}   (this process's CPU: median {statistics.median(CPU[label]):.1f} ms, "
                  f"p95 {p95(CPU[label]):.1f} ms"
                  + (f"; the database's: mean {DATABASE_CPU[label]:.1f} ms" if label in DATABASE_CPU else "") + ")")
    print(f"  machine CPU busy {busy / (time.monotonic() - wall_before) / 2:.0%} of 2 cores during the run")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
