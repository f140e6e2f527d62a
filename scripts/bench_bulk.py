"""Benchmark the board's select-all and bulk assignment at district scale.

Target: on a board of 200,000 work orders, selecting every one a filter matches (10,000 of them: open and
urgent), counting them, and assigning all of them to a team in one confirmed bulk change, committed, takes
at most 5 s. It goes through the code the board page and the API use (lists.board_summary, bulk.preview,
bulk.apply), as a supervisor of the whole district by area, so the scope condition is a real one, in-process:
no network time is counted. Exits 1 on FAIL.

Usage: .venv/bin/python scripts/bench_bulk.py [--db URL] [--fresh] [--facilities 20000] [--orders 200000]
       (without --db a temporary SQLite file; a PostgreSQL database must be empty, or given --fresh, which
       empties its public schema first)
"""
import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from bench_common import fast_writes, reset_sequences, seed_facilities

from municipal import create_app
from municipal.assets.models import Area
from municipal.auth.models import Team, User, team_member, user_area
from municipal.extensions import db
from municipal.workorders import bulk, lists
from municipal.workorders.models import WorkOrder

TARGET_SECONDS = 5.0
SELECTED = 10_000
CHUNK = 20_000
# The rest of the board: urgent but closed, or open but not urgent, so the filter has work to do.
OTHER_STATUSES = ("verified", "cancelled", "completed", "new", "assigned", "in_progress", "on_hold")
OTHER_PRIORITIES = ("high", "normal", "low")


def seed_orders(total: int, selected: int, facilities: int) -> None:
    rng = random.Random(20261126)
    now = datetime.now(timezone.utc)
    chosen = set(rng.sample(range(1, total + 1), selected))
    with db.engine.connect() as connection:
        fast_writes(connection)
        for first in range(1, total + 1, CHUNK):
            rows = []
            for order_id in range(first, min(first + CHUNK, total + 1)):
                if order_id in chosen:
                    status, priority = rng.choice(("new", "assigned", "on_hold")), "urgent"
                else:
                    status = rng.choice(OTHER_STATUSES)
                    priority = "urgent" if status in ("verified", "cancelled", "completed") and rng.random() < .3 \
                        else rng.choice(OTHER_PRIORITIES)
                due = now + timedelta(days=rng.randint(-400, 60), hours=rng.randint(0, 23))
                rows.append({
                    "id": order_id, "kind": "inspection", "asset_id": rng.randint(1, facilities), "title": "例行巡查",
                    "description": "", "priority": priority, "due_at": due, "source": "calendar", "status": status,
                    "reason": "", "created_at": now, "updated_at": now, "version": 1})
            connection.execute(sa.insert(WorkOrder.__table__), rows)
            connection.commit()
            print(f"\rSeeded {rows[-1]['id']:,} of {total:,} work orders", end="", flush=True)
        reset_sequences(connection)
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    print()


def people() -> tuple[int, int]:
    """A supervisor answering for the district by area (a real scope condition), and a team to assign to."""
    district = db.session.scalar(sa.select(Area).where(Area.parent_id.is_(None)))
    supervisor = User(username="bench-supervisor", password_hash="!", role="supervisor", display_name="督查")
    crew = User(username="bench-crew", password_hash="!", role="crew", display_name="巡查员")
    team = Team(name="鼓山一队")
    db.session.add_all([supervisor, crew, team])
    db.session.flush()
    db.session.execute(sa.insert(user_area), [{"user_id": supervisor.id, "area_id": district.id}])
    db.session.execute(sa.insert(team_member), [{"user_id": crew.id, "team_id": team.id}])
    db.session.commit()
    return supervisor.id, team.id


def empty_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="SQLAlchemy URL (default: a fresh SQLite file)")
    parser.add_argument("--fresh", action="store_true", help="PostgreSQL: empty the public schema first")
    parser.add_argument("--facilities", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=200_000)
    args = parser.parse_args()

    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench_bulk_')) / 'bench.db'}"
    if args.fresh and url.startswith("postgresql"):
        empty_postgres(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        seed_facilities(args.facilities)
        seed_orders(args.orders, SELECTED, args.facilities)
        supervisor_id, team_id = people()
        db.session.remove()

        supervisor = db.session.get(User, supervisor_id)
        filters = lists.BoardFilters(status="open", priority="urgent")
        started = time.perf_counter()
        summary = lists.board_summary(supervisor, filters, datetime.now(timezone.utc))
        counted = time.perf_counter()
        change = bulk.Change(assignee_team_id=team_id)
        confirmed = bulk.preview(supervisor, bulk.Selection(filters=filters), change)
        previewed = time.perf_counter()
        changed = bulk.apply(supervisor, bulk.Selection(filters=filters), change)
        db.session.commit()
        applied = time.perf_counter()
        assigned = db.session.scalar(sa.select(sa.func.count()).select_from(WorkOrder)
                                     .where(WorkOrder.assignee_team_id == team_id, WorkOrder.status == "assigned"))
    total = applied - started
    print(f"Database: {url.split(':', 1)[0]}; board of {args.orders:,} work orders")
    print(f"select-all with its count ({summary['total']:,} matching): {counted - started:.2f} s")
    print(f"confirmation (every check, nothing written, {confirmed:,}): {previewed - counted:.2f} s")
    print(f"bulk assignment of {changed:,}, committed: {applied - previewed:.2f} s")
    print(f"total {total:.2f} s (target {TARGET_SECONDS:.0f} s)")
    ok = summary["total"] == confirmed == changed == assigned == SELECTED and total <= TARGET_SECONDS
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
