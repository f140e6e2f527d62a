"""Benchmark the inspection calendar.

Targets:
- `municipal calendar preview` on a typical case (a small reservoir over two months): under 50 ms,
  engine start-up included (loading and checking the rule table), Python's own start-up not;
- materialising the next 60 days for 100,000 facilities: at most 60 s; the next day's run: at most 5 s;
- a rainstorm over an area with 500 facilities: every work order made within 10 s.

The facilities are the mixed registry of scripts/bench_common.py (manholes, pipes, roads, bridges,
reservoirs…), seeded into a SQLite file; the calendar types among them are evaluated. Exits 1 on FAIL.

Usage: .venv/bin/python scripts/bench_calendar.py [--count 100000] [--db FILE]
"""
import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from bench_common import seed_facilities  # noqa: E402

from municipal import create_app  # noqa: E402
from municipal.extensions import db  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "tests" / "unit" / "calendar_cases" / "example-2-flood-season-start.json"
NOW = datetime(2026, 11, 26, 1, 0, tzinfo=timezone.utc)  # 09:00 in Fuzhou, outside the flood season


def bench_preview() -> float:
    """Cold: the rule table loaded and checked, then the preview; the best of five fresh starts."""
    from municipal.calendar.engine import core as engine
    from municipal.calendar.engine import rules

    request = json.loads(CASE.read_text(encoding="utf-8"))["request"]
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        table = rules.load_table()
        engine.preview(request, settings={"timezone": "Asia/Shanghai"}, table=table)
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--db", help="SQLite file to reuse (seeded if missing)")
    args = parser.parse_args()

    preview_seconds = bench_preview()
    print(f"preview of {CASE.name}, engine start-up included: {preview_seconds * 1000:.1f} ms", flush=True)

    path = Path(args.db) if args.db else Path(tempfile.mkdtemp(prefix="bench_calendar_")) / "calendar.db"
    fresh = not path.exists()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench",
                      "MEDIA_DIR": str(path.parent / "media")})
    with app.app_context():
        if fresh:
            print(f"Seeding {args.count:,} facilities into {path} …", flush=True)
            seed_facilities(args.count)
        else:
            from flask_migrate import upgrade

            upgrade()  # a file seeded by an earlier version of the schema
        from municipal.assets.models import Area, Asset
        from municipal.calendar import history, lifecycle, materialise
        from municipal.calendar.models import CalendarEvent, CalendarItem, CalendarState
        from municipal.workorders.models import WorkOrder

        # A fresh start each time: no calendar known yet, no work made from it, no event recorded.
        db.session.execute(sa.delete(CalendarEvent))
        db.session.execute(sa.delete(CalendarState))
        db.session.execute(sa.delete(CalendarItem))
        db.session.execute(sa.delete(WorkOrder).where(WorkOrder.source == "calendar"))
        db.session.commit()
        types = app.config["CALENDAR_TYPES"]
        evaluated = db.session.scalar(sa.select(sa.func.count()).select_from(Asset).where(Asset.type.in_(types)))
        print(f"{evaluated:,} of the facilities have calendar types; materialising 60 days …", flush=True)

        def progress(counts):
            if counts["facilities"] % 10_000 == 0:
                print(f"  {counts['facilities']:,} facilities, {counts['work_orders']:,} work orders", flush=True)

        started = time.perf_counter()
        first = materialise.materialise(NOW, progress=progress)
        db.session.commit()
        first_seconds = time.perf_counter() - started
        print(f"first run: {first} in {first_seconds:.1f} s", flush=True)

        started = time.perf_counter()
        lifecycle.record_completions(NOW + timedelta(days=1))
        lifecycle.mark_missed(NOW + timedelta(days=1))
        second = materialise.materialise(NOW + timedelta(days=1))
        db.session.commit()
        daily_seconds = time.perf_counter() - started
        print(f"next day's run: {second} in {daily_seconds:.1f} s", flush=True)

        # The area (with what lies below it) whose calendar facilities number nearest to 500.
        sizes = []
        for area in db.session.scalars(sa.select(Area)):
            size = db.session.scalar(sa.select(sa.func.count()).select_from(Asset).join(Area, Area.id == Asset.area_id)
                                     .where(Area.path.startswith(area.path), Asset.type.in_(types)))
            sizes.append((abs(size - 500), size, area))
        _distance, in_town, town = min(sizes, key=lambda entry: entry[:2])
        admin = _admin()
        started = time.perf_counter()
        event = history.record_event(admin, kind="rainstorm", start="2026-11-26", area=town.code, rain_24h_mm=120)
        storm = materialise.apply_event(event, NOW)
        db.session.commit()
        storm_seconds = time.perf_counter() - started
        print(f"rainstorm over {town.name} ({in_town:,} calendar facilities): {storm} in {storm_seconds:.1f} s",
              flush=True)

    results = [
        ("preview, engine start-up included", preview_seconds * 1000, 50, "ms"),
        (f"materialise 60 days, {args.count:,} facilities", first_seconds, 60, "s"),
        ("the next day's run", daily_seconds, 5, "s"),
        (f"rainstorm over an area of {in_town:,} facilities", storm_seconds, 10, "s"),
    ]
    failed = False
    for name, value, target, unit in results:
        verdict = "PASS" if value <= target else "FAIL"
        failed |= verdict == "FAIL"
        print(f"{name:52s} {value:8.1f} {unit} (target ≤ {target:g} {unit}) {verdict}")
    return 1 if failed else 0


def _admin():
    from municipal.auth.models import User
    from municipal.auth.services import create_user

    admin = db.session.scalar(sa.select(User).where(User.username == "bench-admin"))
    if admin is None:
        admin = create_user("bench-admin", "bench admin password", "admin")
        db.session.commit()
    return admin


if __name__ == "__main__":
    sys.exit(main())
