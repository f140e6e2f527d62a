"""Benchmark the annual inspection report.

Targets:
- (a) one reservoir's report for a year of daily (flood season) and weekly patrols with 40 findings, each
  with a photo: at most 5 s, data queries and PDF included;
- (b) the district report for 1,000,000 facilities and 2,000,000 work orders in the year, on SQLite:
  at most 60 s and at most 500 MB peak RSS. It runs in a process of its own, so the peak is the report's
  alone and not the seeding's.

The facilities are the mixed registry of scripts/bench_common.py. Work orders, calendar items (one per
inspection work order) and findings are added with plain Core inserts. Exits 1 on FAIL.

Usage: .venv/bin/python scripts/bench_report.py [--facilities 1000000] [--work-orders 2000000] [--db FILE]
"""
import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from bench_common import CHUNK, QUIET_SHARE, machine_busy_seconds, seed_facilities  # noqa: E402

from municipal import create_app  # noqa: E402
from municipal.extensions import db  # noqa: E402

YEAR = 2025
CUTOFF = datetime(2026, 1, 2, 1, 0, tzinfo=timezone.utc)
LOCAL = timezone(timedelta(hours=8))
# Kinds of the year's work orders: inspections (each with its calendar item) and the repair work.
KINDS = (("inspection", 60), ("maintenance", 15), ("repair", 15), ("rectification", 10))
FINDING_SHARE = 0.25  # of the rectification work orders, the ones a finding points at


def _moment(day: date, hour: int) -> datetime:
    return datetime.combine(day, clock(hour), LOCAL).astimezone(timezone.utc)


# --- (a) one reservoir ----------------------------------------------------------------------


def seed_reservoir(media: Path) -> int:
    """A reservoir with its year: patrols daily 15 Apr – 15 Oct and weekly otherwise, a few late or missed,
    a pre-flood, post-flood and termite inspection, a rainstorm, and 40 findings with photos."""
    from flask_migrate import upgrade
    from PIL import Image

    from municipal.assets.models import Asset
    from municipal.calendar.models import CalendarEvent, CalendarItem
    from municipal.demo.seed import ensure_areas
    from municipal.inspections.models import Finding, Inspection, InspectionPhoto
    from municipal.workorders.checklists import sync_templates, template_for
    from municipal.workorders.models import WorkOrder

    upgrade()
    _created, areas = ensure_areas()
    sync_templates()
    db.session.commit()
    rng = random.Random(5)
    asset = Asset(type="reservoir", name="登云水库", area_id=min(areas.values()), owner_unit="鼓山镇人民政府",
                  maintenance_unit="鼓山水利站", in_service_on=date(1978, 5, 1),
                  attributes={"capacity_m3": 3_500_000, "dam_height_m": 18, "dam_type": "土坝"},
                  geometry={"type": "Point", "coordinates": [119.35, 26.15]})
    db.session.add(asset)
    db.session.flush()
    days, day = [], date(YEAR, 1, 1)
    while day.year == YEAR:
        flood = date(YEAR, 4, 15) <= day <= date(YEAR, 10, 15)
        if flood or day.weekday() == 0:
            days.append(day)
        day += timedelta(days=1)
    for number, due in enumerate(days):
        roll = rng.random()
        status, closed = ("missed", due + timedelta(days=1)) if roll < 0.03 else ("done", due + timedelta(days=int(roll < 0.1)))
        db.session.add(CalendarItem(asset_id=asset.id, key=f"BENCH/patrol/{number}", rule="RES-PATROL-ROUTINE",
                                    kind="routine_patrol", due_on=due, due_at=_moment(due, 9), status=status,
                                    closed_on=closed))
    for kind, due in (("annual_pre_flood", date(YEAR, 3, 31)), ("annual_post_flood", date(YEAR, 11, 15)),
                      ("annual_termite", date(YEAR, 6, 30))):
        db.session.add(CalendarItem(asset_id=asset.id, key=f"BENCH/{kind}", rule="RES-INSPECT-ANNUAL", kind=kind,
                                    due_on=due, due_at=_moment(due, 9), status="done", closed_on=due))
    db.session.add(CalendarEvent(kind="rainstorm", area_id=asset.area_id, start_on=date(YEAR, 6, 9),
                                 end_on=date(YEAR, 6, 9), measurements={"rain_24h_mm": 86.0}))
    template = template_for("reservoir", "inspection")
    keys = [item["key"] for item in template.items if item.get("type") == "pass_fail"]
    (media / "inspections").mkdir(parents=True, exist_ok=True)
    for number in range(40):
        day = days[number * len(days) // 40]
        patrol = WorkOrder(kind="inspection", asset_id=asset.id, title=f"巡查 {day}", due_at=_moment(day, 18),
                           status="verified", created_at=_moment(day, 7), completed_at=_moment(day, 9))
        follow_up = WorkOrder(kind="rectification", asset_id=asset.id, title=f"整改 {number + 1}",
                              due_at=_moment(day + timedelta(days=14), 18),
                              status="verified" if number % 3 else "in_progress", created_at=_moment(day, 10),
                              completed_at=_moment(day + timedelta(days=5), 10) if number % 3 else None)
        db.session.add_all([patrol, follow_up])
        db.session.flush()
        inspection = Inspection(idempotency_key=f"bench-{number}", work_order_id=patrol.id, asset_id=asset.id,
                                template_id=template.id, submitted_at=_moment(day, 9), answers={})
        db.session.add(inspection)
        db.session.flush()
        thumb = f"inspections/bench-{number}.thumb.jpg"
        Image.new("RGB", (320, 240), (rng.randrange(256), rng.randrange(256), 120)).save(media / thumb, "JPEG",
                                                                                          quality=80)
        db.session.add(InspectionPhoto(inspection_id=inspection.id, item_key=keys[number % len(keys)], path=thumb,
                                       thumb_path=thumb, width=320, height=240))
        db.session.add(Finding(inspection_id=inspection.id, asset_id=asset.id, item_key=keys[number % len(keys)],
                               severity=("low", "medium", "high", "critical")[number % 4], reason="fail",
                               found_at=_moment(day, 9), follow_up_id=follow_up.id))
    db.session.commit()
    return asset.id


def bench_reservoir() -> tuple[float, float, int]:
    """(first render, second render, pages): the first pays for loading WeasyPrint and the fonts."""
    from municipal.reports import queries, render
    from municipal.reports.scope import SystemActor, parse_scope

    folder = Path(tempfile.mkdtemp(prefix="bench_report_one_"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'one.db'}", "SECRET_KEY": "bench",
                      "MEDIA_DIR": str(folder / "media")})
    with app.app_context(), app.test_request_context():
        asset_id = seed_reservoir(folder / "media")
        timings = []
        for _ in range(2):
            started = time.perf_counter()
            report = queries.annual(SystemActor(), parse_scope(f"facility:{asset_id}"), YEAR, CUTOFF)
            data, pages = render.render_pdf(report, "zh")
            timings.append(time.perf_counter() - started)
        (folder / "reservoir.pdf").write_bytes(data)
        print(f"one reservoir: {pages} pages, {len(data) / 1024:.0f} KB, {folder / 'reservoir.pdf'}", flush=True)
    return timings[0], timings[1], pages


# --- (b) the district -----------------------------------------------------------------------


def seed_year(count: int) -> None:
    """`count` work orders created in the year on random facilities, a calendar item for each inspection,
    and a finding for a quarter of the rectifications."""
    from municipal.calendar.models import CalendarItem
    from municipal.inspections.models import Finding, Inspection
    from municipal.workorders.models import WorkOrder

    rng = random.Random(2025)
    facilities = db.session.scalar(sa.select(sa.func.max(sa.text("id"))).select_from(sa.table("asset")))
    kinds = [kind for kind, _weight in KINDS]
    weights = [weight for _kind, weight in KINDS]
    started = time.perf_counter()
    start = datetime(YEAR, 1, 1, tzinfo=timezone.utc)
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA synchronous=OFF")
        item_id = finding_id = 0
        for first in range(1, count + 1, CHUNK):
            ids = range(first, min(first + CHUNK, count + 1))
            orders, items, inspections, findings = [], [], [], []
            for order_id, kind in zip(ids, rng.choices(kinds, weights, k=len(ids))):
                asset_id = rng.randint(1, facilities)
                created = start + timedelta(minutes=rng.randrange(365 * 24 * 60))
                due = created + timedelta(days=7)
                roll = rng.random()
                status = "verified" if roll < 0.8 else ("completed" if roll < 0.85 else "in_progress")
                completed = created + timedelta(hours=rng.uniform(2, 240)) if status != "in_progress" else None
                orders.append({"id": order_id, "kind": kind, "asset_id": asset_id, "title": f"{kind} {order_id}",
                               "description": "", "priority": "normal", "due_at": due, "source": "calendar",
                               "status": status, "reason": "", "created_at": created, "updated_at": created,
                               "completed_at": completed, "closed_at": completed if status == "verified" else None,
                               "version": 1})
                if kind == "inspection":
                    item_id += 1
                    due_on = due.astimezone(LOCAL).date()
                    done = completed.astimezone(LOCAL).date() if completed else None
                    item_status = "done" if done else ("missed" if roll < 0.95 else "planned")
                    items.append({"id": item_id, "asset_id": asset_id, "key": f"BENCH/{order_id}",
                                  "rule": "BENCH", "kind": "routine_check", "due_on": due_on, "due_at": due,
                                  "make_on": due_on, "why": "", "standing": False, "status": item_status,
                                  "work_order_id": order_id, "created_at": created, "closed_at": None,
                                  "closed_on": done or (due_on + timedelta(days=1) if item_status == "missed" else None)})
                elif kind == "rectification" and rng.random() < FINDING_SHARE:
                    finding_id += 1
                    inspections.append({"id": finding_id, "idempotency_key": f"bench-{finding_id}",
                                        "work_order_id": order_id, "asset_id": asset_id, "submitted_at": created,
                                        "answers": {}, "notes": ""})
                    findings.append({"id": finding_id, "inspection_id": finding_id, "asset_id": asset_id,
                                     "item_key": "cover", "severity": rng.choice(("low", "medium", "high", "critical")),
                                     "value": "", "reason": "fail", "found_at": created, "follow_up_id": order_id})
            connection.execute(sa.insert(WorkOrder.__table__), orders)
            if items:
                connection.execute(sa.insert(CalendarItem.__table__), items)
            if inspections:
                connection.execute(sa.insert(Inspection.__table__), inspections)
                connection.execute(sa.insert(Finding.__table__), findings)
            connection.commit()
            print(f"\rSeeded {ids[-1]:,} of {count:,} work orders ({time.perf_counter() - started:.0f} s)",
                  end="", flush=True)
        connection.exec_driver_sql("ANALYZE")
    print()


def _peak_rss_kb() -> int:
    """This process's own peak RSS. Not getrusage's ru_maxrss: Linux carries that over exec from the process
    that started this one, so a child of the seeding process would report the seeder's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def render_district(path: Path) -> None:
    """In its own process: the district report read and rendered, its time and the process's peak RSS."""
    from municipal.reports import services
    from municipal.reports.scope import SystemActor, parse_scope

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench",
                      "MEDIA_DIR": str(path.parent / "media")})
    with app.app_context(), app.test_request_context():
        busy_before, own_before = machine_busy_seconds(), time.process_time()
        started = time.perf_counter()
        data, pages = services.build(SystemActor(), parse_scope("district"), YEAR, "zh", CUTOFF)
        seconds = time.perf_counter() - started
        own = time.process_time() - own_before
        others = max(machine_busy_seconds() - busy_before - own, 0.0)
    (path.parent / "district.pdf").write_bytes(data)
    peak_mb = _peak_rss_kb() / 1024
    share = others / (seconds * os.cpu_count())
    print(f"RESULT {seconds:.2f} {peak_mb:.0f} {pages} {share:.2f} {own:.2f}")


def bench_district(facilities: int, work_orders: int, db_file: Path | None) -> tuple[float, float, int]:
    path = db_file.resolve() if db_file else Path(tempfile.mkdtemp(prefix="bench_report_")) / "district.db"
    if not path.exists():
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench"})
        with app.app_context():
            print(f"Seeding {facilities:,} facilities and {work_orders:,} work orders into {path} …", flush=True)
            seed_facilities(facilities)
            seed_year(work_orders)
            # The district as it stands day to day: the bulk load's write-ahead log folded into the file
            # and this process's connections closed before the report process opens its own.
            with db.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            db.engine.dispose()
    else:
        print(f"Reusing {path}.", flush=True)
    child = subprocess.run([sys.executable, __file__, "--render-district", str(path)], capture_output=True,
                           text=True, check=True)
    line = next(text for text in child.stdout.splitlines() if text.startswith("RESULT "))
    seconds, peak, pages, share, own = line.split()[1:]
    print(f"district: {pages} pages in {float(seconds):.1f} s, {float(own):.1f} s of it on the CPU, "
          f"{path.parent / 'district.pdf'}")
    if float(share) > QUIET_SHARE:
        print(f"other processes took {float(share):.0%} of the machine during the district report: "
              "its time is not to be trusted", flush=True)
    return float(seconds), float(peak), int(pages)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facilities", type=int, default=1_000_000)
    parser.add_argument("--work-orders", type=int, default=2_000_000)
    parser.add_argument("--db", type=Path, help="SQLite file of the district to reuse (seeded if missing)")
    parser.add_argument("--render-district", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render_district:
        render_district(args.render_district)
        return 0

    first, second, pages = bench_reservoir()
    print(f"one reservoir, {pages} pages: first render {first:.2f} s, again {second:.2f} s", flush=True)
    seconds, peak, district_pages = bench_district(args.facilities, args.work_orders, args.db)
    results = [
        ("one reservoir's report (first, WeasyPrint loading included)", first, 5, "s"),
        (f"district report, {args.facilities:,} facilities, {args.work_orders:,} work orders", seconds, 60, "s"),
        ("district report, peak RSS", peak, 500, "MB"),
    ]
    failed = False
    for name, value, target, unit in results:
        verdict = "PASS" if value <= target else "FAIL"
        failed |= verdict == "FAIL"
        print(f"{name:72s} {value:8.1f} {unit} (target ≤ {target:g} {unit}) {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
