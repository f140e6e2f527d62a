"""Benchmark automatic assignment.

Target: assigning 100,000 calendar work orders adds at most 10 s to the materialisation of 100,000 facilities.

Measured two ways on the mixed registry of scripts/bench_common.py (SQLite file), with assignment rules, a team
per town and patrol persons linked to users on every reservoir, so every step of the decision is exercised:
- the decisions for 100,000 work orders over the registry's facilities, as the calendar asks for them (one
  Assigner, one query per 5,000 facilities for their patrol persons);
- the first 60-day materialisation of the calendar types, with assignment and with it switched off (every
  order left unassigned), on fresh copies of one seeded file: the time spent deciding inside it (scaled to
  100,000 orders), and the difference of the two runs.
Exits 1 on FAIL.

Usage: .venv/bin/python scripts/bench_assign.py [--count 100000] [--db FILE]
"""
import argparse
import random
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from bench_common import seed_facilities  # noqa: E402

from municipal import create_app  # noqa: E402
from municipal.extensions import db  # noqa: E402

NOW = datetime(2026, 11, 26, 1, 0, tzinfo=timezone.utc)
ORDERS = 100_000
TARGET_SECONDS = 10


def _app(path: Path):
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench",
                       "MEDIA_DIR": str(path.parent / "media")})


def prepare(path: Path, count: int) -> None:
    """The registry, then the people: users, a team per town, rules, patrol persons of the reservoirs."""
    from municipal.assets.models import Area, Asset, ResponsiblePerson
    from municipal.auth.models import Team, User
    from municipal.auth.services import create_user
    from municipal.people.models import AssignmentRule

    app = _app(path)
    with app.app_context():
        print(f"Seeding {count:,} facilities into {path} …", flush=True)
        seed_facilities(count)
        rng = random.Random(20261126)
        crews = [create_user(f"crew{n}", "bench crew password", "crew") for n in range(50)]
        create_user("bench-supervisor", "bench supervisor password", "supervisor")
        towns = db.session.scalars(sa.select(Area).where(Area.level == "town").order_by(Area.id)).all()
        for town in towns:
            db.session.add(Team(name=f"{town.name}巡查班", area_id=town.id, members=rng.sample(crews, 3)))
        db.session.flush()
        teams = db.session.scalars(sa.select(Team)).all()
        for town, team in zip(towns, teams):
            db.session.add(AssignmentRule(area_id=town.id, asset_type="bridge", kind="inspection", team_id=team.id))
            db.session.add(AssignmentRule(area_id=town.id, asset_type="manhole", user_id=rng.choice(crews).id))
        db.session.add(AssignmentRule(asset_type="road_segment", user_id=crews[0].id))
        reservoirs = db.session.scalars(sa.select(Asset.id).where(Asset.type == "reservoir")).all()
        db.session.execute(sa.insert(ResponsiblePerson), [
            {"asset_id": asset_id, "role": "patrol", "level": None, "name": "巡查员", "unit": "", "position": "",
             "phone": "0591-87610000", "river_chief_day": False, "user_id": rng.choice(crews).id}
            for asset_id in reservoirs])
        db.session.commit()
        print(f"{len(teams)} teams, {2 * len(towns) + 1} rules, {len(reservoirs):,} patrol persons linked; "
              f"{db.session.scalar(sa.select(sa.func.count()).select_from(User)):,} users", flush=True)


def bench_decisions(path: Path) -> float:
    from municipal.assets.models import Asset
    from municipal.workorders import assignment

    with _app(path).app_context():
        facilities = db.session.execute(sa.select(Asset.id, Asset.area_id, Asset.type).order_by(Asset.id)).all()
        kinds = ("inspection", "maintenance", "repair")
        rows = [(f.id, f.area_id, f.type, kinds[n % 3]) for n, f in
                zip(range(ORDERS), (facilities[i % len(facilities)] for i in range(ORDERS)))]
        started = time.perf_counter()
        targets = assignment.decide_many(rows)
        seconds = time.perf_counter() - started
        placed = sum(1 for t in targets if t.user_id or t.team_id)
        by = {}
        for target in targets:
            by[target.basis] = by.get(target.basis, 0) + 1
        print(f"decisions for {ORDERS:,} work orders: {seconds:.2f} s, {placed:,} placed, by {by}", flush=True)
        return seconds


def bench_materialise(path: Path, assign: bool) -> tuple[float, int, float]:
    """(seconds, work orders made, seconds spent deciding their assignees)."""
    from municipal.calendar import materialise
    from municipal.people.assignment import NOBODY
    from municipal.workorders import assignment
    from municipal.workorders.models import WorkOrder

    original = assignment.decide_many
    deciding = [0.0]

    def timed(rows):
        started = time.perf_counter()
        try:
            return original(rows)
        finally:
            deciding[0] += time.perf_counter() - started

    assignment.decide_many = timed if assign else (lambda rows: [NOBODY] * len(rows))
    try:
        with _app(path).app_context():
            started = time.perf_counter()
            counts = materialise.materialise(NOW)
            db.session.commit()
            seconds = time.perf_counter() - started
            assigned = db.session.scalar(sa.select(sa.func.count()).select_from(WorkOrder)
                                         .where(WorkOrder.assigned_by != ""))
    finally:
        assignment.decide_many = original
    print(f"materialise {'with' if assign else 'without'} assignment: {counts} in {seconds:.1f} s, "
          f"{assigned:,} assigned, {deciding[0]:.2f} s deciding", flush=True)
    return seconds, counts["work_orders"], deciding[0]


def _remove(path: Path) -> None:
    """A database file and its write-ahead log: a log left behind would replay into the next copy."""
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        path.with_name(name).unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--db", help="SQLite file to reuse (seeded if missing)")
    args = parser.parse_args()
    path = Path(args.db) if args.db else Path(tempfile.mkdtemp(prefix="bench_assign_")) / "assign.db"
    if not path.exists():
        prepare(path, args.count)
    decisions = bench_decisions(path)
    runs = {}
    for assign in (False, True):
        copy = path.with_name(f"run-{assign}.db")
        _remove(copy)
        shutil.copyfile(path, copy)
        runs[assign] = bench_materialise(copy, assign)
        _remove(copy)
    made = max(runs[True][1], 1)
    # The materialisation makes as many orders as the registry's calendar gives: its deciding time is scaled to
    # 100,000 orders. The difference of the two whole runs is printed too; on a shared machine it is noisier.
    print(f"whole materialisation, with minus without assignment: {runs[True][0] - runs[False][0]:+.1f} s "
          f"for {made:,} orders", flush=True)
    results = [
        (f"decisions for {ORDERS:,} work orders", decisions),
        (f"deciding inside materialise ({made:,} orders), scaled to {ORDERS:,}", runs[True][2] * ORDERS / made),
    ]
    failed = False
    for name, value in results:
        verdict = "PASS" if value <= TARGET_SECONDS else "FAIL"
        failed |= verdict == "FAIL"
        print(f"{name:60s} {value:8.2f} s (target ≤ {TARGET_SECONDS} s) {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
