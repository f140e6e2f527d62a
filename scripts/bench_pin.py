"""Benchmark the citizen's pin: GET /api/v1/public/reports/nearby on a million facilities and 100,000 reports.

What a phone asks each time the citizen drops the pin or picks a category: the facilities within 50 m and the
open reports of that category within 30 m from the last 7 days. Both go through the spatial key
(municipal/geo/grid.py). Target: p95 at most 50 ms over random pins in the seeded district, on SQLite and on
PostgreSQL. Requests go through the whole application in this process (the Flask test client: routing, the
query, JSON), anonymous as a citizen is. Every answer must be a 200 whose facilities are checked now and then
against a plain scan of the same box. The query plans are printed, to show the index answers. The machine's
load is printed too: figures taken on a shared machine are upper bounds.

Usage: .venv/bin/python scripts/bench_pin.py [--db FILE] [--pg URL] [--facilities N] [--reports N] [--pins N]
       (--db reuses FILE if it exists, else seeds it; --pg: a PostgreSQL database, seeded when empty)
"""
import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from bench_common import seed_facilities

from municipal import create_app
from municipal.assets.models import Asset
from municipal.extensions import db
from municipal.geo import grid
from municipal.inspections.distance import distance_m
from municipal.intake import pin
from municipal.intake.models import CATEGORIES, CitizenReport

TARGET_P95_MS = 50.0
SEEDED = (119.20, 26.00, 119.50, 26.35)  # where bench_common puts the facilities
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)


def seed_reports(count: int) -> None:
    """`count` reports over the last 30 days at random places, a fifth closed, as the form files them."""
    rng = random.Random(1126)
    categories = list(CATEGORIES)
    for first in range(0, count, 20_000):
        rows = []
        for n in range(first, min(first + 20_000, count)):
            lon, lat = rng.uniform(SEEDED[0], SEEDED[2]), rng.uniform(SEEDED[1], SEEDED[3])
            rows.append({"number": f"R-B{n:07d}", "category": rng.choice(categories), "description": "堵塞",
                         "lon": lon, "lat": lat, "geo_key": grid.geo_key(lon, lat),
                         "client_fingerprint": "bench", "status": "closed" if rng.random() < 0.2 else "new",
                         "created_at": NOW - timedelta(seconds=rng.uniform(0, 30 * 86400))})
        db.session.execute(sa.insert(CitizenReport), rows)
        db.session.commit()


def _p95(times: list[float]) -> float:
    return sorted(times)[max(0, math.ceil(len(times) * 0.95) - 1)]


def _check(body, lon: float, lat: float) -> None:
    """The answer's facilities against every located facility in the box around the pin, measured here."""
    west, south, east, north = grid.around(lon, lat, pin.SUGGEST_RADIUS_M)
    rows = db.session.execute(sa.select(Asset.id, Asset.lon, Asset.lat).where(
        Asset.lon.between(west, east), Asset.lat.between(south, north), Asset.status != "decommissioned")).all()
    expected = sorted((round(distance_m(lon, lat, r.lon, r.lat), 1), r.id) for r in rows
                      if distance_m(lon, lat, r.lon, r.lat) <= pin.SUGGEST_RADIUS_M)[:pin.SUGGEST_MAX]
    got = [(f["distance_m"], f["id"]) for f in body["facilities"]]
    if got != expected:
        raise SystemExit(f"FAIL: near {lon},{lat} the answer has {got}, a scan finds {expected}")


def plans(app) -> str:
    lon, lat = 119.35, 26.17
    with app.app_context():
        dialect = db.engine.dialect.name
        near = pin._near(Asset.geo_key, lon, lat, pin.SUGGEST_RADIUS_M)
        query = sa.select(Asset.id, Asset.lon, Asset.lat).where(near, Asset.status != "decommissioned")
        reports = sa.select(CitizenReport.id, CitizenReport.lon, CitizenReport.lat, CitizenReport.created_at).where(
            pin._near(CitizenReport.geo_key, lon, lat, 30), CitizenReport.category == "blocked",
            CitizenReport.status != "closed")
        out = []
        for name, q in (("facilities", query), ("reports", reports)):
            sql = str(q.compile(db.engine, compile_kwargs={"literal_binds": True}))
            prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
            rows = db.session.execute(sa.text(prefix + sql)).all()
            text = [str(r[-1]) for r in rows]
            out.append(f"  plan of the {name} query: " + " | ".join(dict.fromkeys(t.strip() for t in text))[:400])
        return "\n".join(out)


def measure(app, pins: int) -> tuple[bool, list[str]]:
    client = app.test_client()
    rng = random.Random(50)
    app.extensions["clock"].set(NOW)
    categories = list(CATEGORIES)
    times, found, duplicates = [], 0, 0
    for n in range(pins + 20):
        lon, lat = rng.uniform(SEEDED[0], SEEDED[2]), rng.uniform(SEEDED[1], SEEDED[3])
        started = time.perf_counter()
        response = client.get(f"/api/v1/public/reports/nearby?lon={lon:.6f}&lat={lat:.6f}"
                              f"&category={rng.choice(categories)}")
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            print(f"FAIL: {response.status_code} {response.get_data(as_text=True)[:200]}")
            return False, []
        body = response.get_json()
        if n < 20:  # the first ones warm the caches, as a running server has them
            continue
        times.append(elapsed)
        found += len(body["facilities"])
        duplicates += len(body["duplicates"])
        if n % 50 == 0:
            with app.app_context():
                _check(body, float(f"{lon:.6f}"), float(f"{lat:.6f}"))
    p95 = _p95(times)
    ok = p95 <= TARGET_P95_MS
    return ok, [f"  {len(times)} pins: p50 {statistics.median(times):.1f} ms  p95 {p95:.1f} ms  max {max(times):.1f} ms "
                f"({'PASS' if ok else 'FAIL'} ≤ {TARGET_P95_MS:.0f} ms); {found / len(times):.1f} facilities a pin on average, "
                f"{duplicates} likely duplicates in all"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="SQLite file to keep (reused when it exists)")
    parser.add_argument("--pg", help="a PostgreSQL URL (postgresql+psycopg://…) instead of SQLite")
    parser.add_argument("--facilities", type=int, default=1_000_000)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--pins", type=int, default=400)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-pin-"))
    url = args.pg or f"sqlite:///{(args.db.resolve() if args.db else workdir / 'bench.db')}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "MEDIA_DIR": str(workdir)})
    with app.app_context():
        if not (sa.inspect(db.engine).has_table("asset") and db.session.scalar(
                sa.select(sa.func.count()).select_from(Asset)) >= args.facilities):
            seed_facilities(args.facilities)
        if db.session.scalar(sa.select(sa.func.count()).select_from(CitizenReport)) < args.reports:
            seed_reports(args.reports)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE asset")
                connection.exec_driver_sql("VACUUM ANALYZE citizen_report")
        else:
            db.session.execute(sa.text("ANALYZE"))
        facilities = db.session.scalar(sa.select(sa.func.count()).select_from(Asset))
        reports = db.session.scalar(sa.select(sa.func.count()).select_from(CitizenReport))
        kind = db.engine.dialect.name
    load = os.getloadavg()
    print(f"{kind}: {facilities:,} facilities, {reports:,} citizen reports; load average {load[0]:.1f} {load[1]:.1f} "
          f"{load[2]:.1f} on {os.cpu_count()} cores (a shared machine: these figures are upper bounds)")
    print(plans(app))
    ok, lines = measure(app, args.pins)
    print("\n".join(lines))
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
