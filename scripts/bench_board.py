"""Benchmark the supervisors' board and the crew's own work at district scale.

Target: with 200,000 work orders and 1,000,000 facilities in SQLite, the board's first page
(/work) and the crew's "my work" page (/work/mine) answer in at most 100 ms at p95 under
8 concurrent users.

The script seeds the facilities as scripts/bench_scan.py does, then the work of a few years:
most of it closed, tens of thousands open across the statuses, due dates behind and ahead,
assigned to crew members and teams of every town. It signs in as an administrator, as the
supervisor of 鼓山镇 and as a crew member of 鼓山镇's team (a few hundred open work orders
between them), and drives each page with wrk (Debian: apt-get install -y --no-install-recommends
wrk) over 8 connections: the board as supervisor and as administrator, the board filtered by
town and priority, and "my work". Every response must be a 200; a redirect to the sign-in page
would be fast and worthless. Only 127.0.0.1 is used. Exits 1 on FAIL.

Usage: .venv/bin/python scripts/bench_board.py [--duration 20] [--rounds 2] [--workers 2] [--db FILE]
       (--db reuses FILE if it exists, else seeds it; without it a temporary database is used)
"""
import argparse
import http.client
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from bench_common import (QUIET_SHARE, fast_writes, machine_busy_seconds, reset_sequences, seed_facilities,
                          server_cpu_seconds, start_gunicorn, stop, wrk_cpu_seconds)
from flask_migrate import upgrade
from werkzeug.security import generate_password_hash

from municipal import create_app
from municipal.assets.models import Area, Asset
from municipal.auth.models import Team, User, team_member, user_area
from municipal.demo.district import district_data
from municipal.extensions import db
from municipal.notify.models import Notification
from municipal.workorders.models import WorkOrder

TARGET_P95_MS = 100.0
FACILITIES = 1_000_000
WORK_ORDERS = 200_000
CLIENTS = 8
WARMUP_SECONDS = 3
CHUNK = 20_000
PASSWORD = "bench-board-password"
SUPERVISED_TOWN = "鼓山镇"
TEAMS_PER_TOWN = 6
CREW_PER_TOWN = 12

# How the work of a few years stands today: most of it closed, the open part across its statuses.
STATUS_MIX = (("verified", 760), ("cancelled", 40), ("completed", 30), ("new", 17), ("assigned", 63),
              ("in_progress", 50), ("on_hold", 40))
KIND_MIX = (("inspection", 40, "calendar", "例行巡查"), ("maintenance", 25, "calendar", "日常养护"),
            ("repair", 20, "manual", "维修"), ("rectification", 8, "finding", "问题整改"),
            ("citizen_report", 7, "citizen", "市民反映"))
PRIORITY_MIX = (("urgent", 5, 1), ("high", 15, 3), ("normal", 60, 7), ("low", 20, 30))  # key, weight, days to do

WRK_SCRIPT = r'''
-- args: a file of paths; every request takes a random one. Anything but a 200 is counted.
local paths = {}
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  not_ok = 0
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function response(status, headers, body)
  if status ~= 200 then not_ok = not_ok + 1 end
end

function done(summary, latency, requests)
  local e = summary.errors
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("not_ok") end
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d max_us=%d errors=%d not_ok=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, e.connect + e.read + e.write + e.timeout, bad))
end
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--facilities", type=int, default=FACILITIES, help="facilities to seed")
    parser.add_argument("--work-orders", type=int, default=WORK_ORDERS, help="work orders to seed")
    parser.add_argument("--duration", type=int, default=20, help="seconds per page and round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds over all pages")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--db", type=Path, help="SQLite file to reuse, or to seed if it does not exist")
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is missing: apt-get install -y --no-install-recommends wrk", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="bench_board_"))
    try:
        db_path = args.db.resolve() if args.db else workdir / "bench.db"
        url = f"sqlite:///{db_path}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        with app.app_context():
            if db_path.exists() and args.db:
                print(f"Reusing {db_path}.")
                migrate()
            else:
                seed_facilities(args.facilities)
                seed_work(args.work_orders)
            pages, summary = plan(random.Random(7))
        (workdir / "bench.lua").write_text(WRK_SCRIPT)
        print(summary)
        return measure(wrk, workdir, url, pages, args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def migrate() -> None:
    """Bring a reused database up to the code's schema; new indexes need fresh statistics to be chosen."""
    before = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    db.session.commit()
    upgrade()
    if db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) != before:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def seed_work(count: int) -> None:
    """People and teams for every town, then `count` work orders and the notifications they caused."""
    started = time.perf_counter()
    rng = random.Random(20261127)
    now = datetime.now(timezone.utc)
    areas = db.session.execute(sa.select(Area.id, Area.name, Area.level, Area.parent_id)).all()
    towns = sorted(area.id for area in areas if area.level == "town")
    town_of = {area.id: area.id if area.level == "town" else area.parent_id for area in areas if area.level != "district"}
    town_names = {area.id: area.name for area in areas}
    staff = seed_people(towns, town_names)
    print("Loading facility areas …", flush=True)
    asset_area = dict(db.session.execute(sa.select(Asset.id, Asset.area_id)).all())
    db.session.commit()
    asset_names = {}
    asset_ids = list(asset_area)

    statuses, status_weights = zip(*STATUS_MIX)
    kinds = [(key, source, label) for key, _weight, source, label in KIND_MIX]
    kind_weights = [weight for _key, weight, _source, _label in KIND_MIX]
    priorities = [(key, days) for key, _weight, days in PRIORITY_MIX]
    priority_weights = [weight for _key, weight, _days in PRIORITY_MIX]
    creators = [staff["admin"], *staff["supervisors"].values()]
    with db.engine.connect() as connection:
        fast_writes(connection)
        for first in range(1, count + 1, CHUNK):
            ids = range(first, min(first + CHUNK, count + 1))
            chosen = [rng.choice(asset_ids) for _ in ids]
            missing = [asset_id for asset_id in chosen if asset_id not in asset_names]
            asset_names.update(connection.execute(sa.select(Asset.id, Asset.name).where(Asset.id.in_(missing))).all())
            orders, notes = [], []
            for order_id, asset_id in zip(ids, chosen):
                town = town_of.get(asset_area[asset_id]) or rng.choice(towns)
                order = work_order(rng, order_id, asset_id, asset_names[asset_id], town, now, staff, creators,
                                   rng.choices(statuses, status_weights)[0], rng.choices(kinds, kind_weights)[0],
                                   rng.choices(priorities, priority_weights)[0])
                orders.append(order)
                notes.extend(notifications(rng, order, staff["members"]))
            connection.execute(sa.insert(WorkOrder.__table__), orders)
            connection.execute(sa.insert(Notification.__table__), notes)
            connection.commit()
            print(f"\rSeeded {ids[-1]:,} of {count:,} work orders ({time.perf_counter() - started:.0f} s)",
                  end="", flush=True)
        reset_sequences(connection)
        print("\nAnalysing …", flush=True)
        connection.exec_driver_sql("ANALYZE")
        connection.commit()


def seed_people(towns: list[int], town_names: dict) -> dict:
    """An administrator; per town a supervisor responsible for it, teams and crew members, each crew
    member in one team. The demo's names sign in: admin, supervisor (鼓山镇) and crew (its first team)."""
    password_hash = generate_password_hash(PASSWORD)

    def user(username, role, display_name):
        person = User(username=username, display_name=display_name, password_hash=password_hash, role=role)
        db.session.add(person)
        return person

    admin = user("admin", "admin", "区管理员")
    supervisors, teams, crews = {}, {}, {}
    for town in towns:
        name = town_names[town]
        supervisor = user("supervisor" if name == SUPERVISED_TOWN else f"supervisor{town}", "supervisor",
                          f"{name}主管")
        supervisors[town] = supervisor
        teams[town] = [Team(name=district_data()["team"] if name == SUPERVISED_TOWN and number == 0 else f"{name}养护{number + 1}班",
                            area_id=town) for number in range(TEAMS_PER_TOWN)]
        db.session.add_all(teams[town])
        crews[town] = [user("crew" if name == SUPERVISED_TOWN and number == 0 else f"crew{town}_{number}", "crew",
                            f"{name}养护员{number + 1}") for number in range(CREW_PER_TOWN)]
    db.session.flush()
    db.session.execute(sa.insert(user_area), [{"user_id": s.id, "area_id": town} for town, s in supervisors.items()])
    members = {}
    for town in towns:
        for number, crew in enumerate(crews[town]):
            team = teams[town][number % TEAMS_PER_TOWN]
            members.setdefault(team.id, []).append(crew.id)
    db.session.execute(sa.insert(team_member), [{"team_id": team_id, "user_id": user_id}
                                                for team_id, user_ids in members.items() for user_id in user_ids])
    db.session.commit()
    return {"admin": admin.id, "supervisors": {town: s.id for town, s in supervisors.items()},
            "teams": {town: [t.id for t in ts] for town, ts in teams.items()},
            "crews": {town: [c.id for c in cs] for town, cs in crews.items()}, "members": members}


def work_order(rng, order_id, asset_id, asset_name, town, now, staff, creators, status, kind, priority) -> dict:
    kind_key, source, label = kind
    priority_key, days = priority
    closed = status in ("verified", "cancelled", "completed")
    if closed:
        created = now - timedelta(days=rng.uniform(days + 1, 3 * 365))
    else:
        # Open work: mostly within its time to do, with a backlog of old work long overdue (some 30 % in all).
        created = now - timedelta(days=rng.uniform(0, 1.2 * days) if rng.random() < 0.85 else rng.uniform(days, 120))
    due = created + timedelta(days=days, hours=rng.uniform(-12, 12))
    user_id = team_id = None
    if status != "new":
        if rng.random() < 0.5:
            team_id = rng.choice(staff["teams"][town])
        else:
            user_id = rng.choice(staff["crews"][town])
    started = created + timedelta(hours=rng.uniform(1, 48)) if status in ("in_progress", "on_hold", "completed",
                                                                          "verified") else None
    completed = (started or created) + timedelta(hours=rng.uniform(1, 24 * days)) if status in ("completed",
                                                                                                "verified") else None
    closed_at = (completed or created) + timedelta(hours=rng.uniform(1, 72)) if status in ("verified",
                                                                                           "cancelled") else None
    return {
        "id": order_id, "kind": kind_key, "asset_id": asset_id, "title": f"{label}：{asset_name}",
        "description": "", "priority": priority_key, "due_at": due, "source": source, "status": status,
        "assignee_user_id": user_id, "assignee_team_id": team_id, "checklist_template_id": None,
        "citizen_report_id": None, "parent_id": None,
        "reason": "暂停：等待材料" if status == "on_hold" else ("重复派单" if status == "cancelled" else ""),
        "time_spent_min": rng.randint(20, 480) if completed else None, "created_by_id": rng.choice(creators),
        "created_at": created, "updated_at": closed_at or completed or started or created,
        "started_at": started, "completed_at": completed, "closed_at": closed_at, "version": 1 + (status != "new"),
    }


def notifications(rng, order, members) -> list[dict]:
    """The 'assigned' notification each assignee got; read, except some of the open work's."""
    if order["assignee_user_id"] is not None:
        recipients = [order["assignee_user_id"]]
    elif order["assignee_team_id"] is not None:
        recipients = members[order["assignee_team_id"]]
    else:
        return []
    unread = order["closed_at"] is None and rng.random() < 0.2
    return [{"user_id": user_id, "kind": "assigned", "params": {"number": f"WO-{order['id']:06d}", "title": order["title"]},
             "link": f"/work/{order['id']}", "dedupe_key": None, "created_at": order["created_at"],
             "read_at": None if unread else order["created_at"] + timedelta(hours=2), "emailed_at": None,
             "email_error": None} for user_id in recipients]


def plan(rng) -> tuple[list[dict], str]:
    """The pages to drive, each as who asks and the paths they ask for, and what the database holds."""
    towns = db.session.execute(sa.select(Area.code, Area.name).where(Area.level == "town").order_by(Area.code)).all()
    crew = db.session.scalar(sa.select(User).where(User.username == "crew"))
    open_statuses = ("new", "assigned", "in_progress", "on_hold")
    team_ids = [team.id for team in crew.teams]
    crew_open = db.session.scalar(
        sa.select(sa.func.count()).select_from(WorkOrder)
        .where(WorkOrder.status.in_(open_statuses),
               sa.or_(WorkOrder.assignee_user_id == crew.id, WorkOrder.assignee_team_id.in_(team_ids))))
    by_status = dict(db.session.execute(sa.select(WorkOrder.status, sa.func.count()).group_by(WorkOrder.status)).all())
    facilities = db.session.scalar(sa.select(sa.func.count()).select_from(Asset))
    filters = [f"/work?{urllib.parse.urlencode({'area': code, 'priority': priority})}"
               for code, _name in towns for priority in ("urgent", "high", "normal", "low")]
    rng.shuffle(filters)
    pages = [
        {"name": "board, supervisor of " + SUPERVISED_TOWN, "user": "supervisor", "paths": ["/work"]},
        {"name": "board, administrator", "user": "admin", "paths": ["/work"]},
        {"name": "board, town and priority filter", "user": "admin", "paths": filters},
        {"name": "my work, crew member", "user": "crew", "paths": ["/work/mine"]},
    ]
    summary = (f"{facilities:,} facilities; {sum(by_status.values()):,} work orders "
               f"({', '.join(f'{status} {n:,}' for status, n in sorted(by_status.items()))}); "
               f"the crew member has {crew_open:,} open.")
    return pages, summary


def measure(wrk, workdir, url, pages, args) -> int:
    server, base, log = start_gunicorn(workdir, url, args.workers, "municipal:create_app()")
    try:
        cookies = {}
        for page in pages:
            if page["user"] not in cookies:
                cookies[page["user"]] = sign_in(base, page["user"])
            answers = {path: fetch(base, path, cookies[page["user"]]) for path in page["paths"]}
            bad = [f"{path} answered {status}" for path, (status, _page) in answers.items() if status != 200]
            if not any("WO-" in text for _status, text in answers.values()):
                bad.append("no work orders on the page")
            if bad:
                print(f"{page['name']}: {bad[0]}, not 200 with work orders: nothing to measure.", file=sys.stderr)
                return 2
            page["file"] = workdir / f"paths_{pages.index(page)}.txt"
            page["file"].write_text("\n".join(page["paths"]) + "\n")
            page["cookie"] = cookies[page["user"]]
        print(f"gunicorn {args.workers} sync workers on {os.cpu_count()} CPUs; {CLIENTS} connections; "
              f"{args.rounds} × {args.duration} s per page after {WARMUP_SECONDS} s of warm-up.")
        for page in pages:
            run_wrk(wrk, workdir, base, page, WARMUP_SECONDS, server.pid)
        results = {page["name"]: [] for page in pages}
        for round_number in range(1, args.rounds + 1):
            print(f"Round {round_number}:")
            for page in pages:
                result = run_wrk(wrk, workdir, base, page, args.duration, server.pid)
                results[page["name"]].append(result)
                busy = "  (busy machine: figures suspect)" if result["others"] > QUIET_SHARE else ""
                print(f"  {page['name']:36} {result['rps']:6.1f} req/s   p50 {result['p50_ms']:6.1f} ms   "
                      f"p95 {result['p95_ms']:6.1f} ms   p99 {result['p99_ms']:6.1f} ms   errors {result['errors']}   "
                      f"not 200 {result['not_ok']}   other processes {result['others']:.0%} CPU{busy}", flush=True)
        if server.poll() is not None:
            print("gunicorn died during the run; see its log:\n" + log.read_text()[-2000:], file=sys.stderr)
            return 2
    finally:
        stop(server)
    return verdict(results)


def sign_in(base, username) -> str:
    """The session cookie of a browser that signed in through the form, CSRF token and all."""
    host = urllib.parse.urlsplit(base).netloc
    connection = http.client.HTTPConnection(host, timeout=10)
    connection.request("GET", "/login")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = session_cookie(response)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    body = urllib.parse.urlencode({"csrf_token": token.group(1), "username": username, "password": PASSWORD})
    connection.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded",
                                                "Cookie": cookie})
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 302:
        raise RuntimeError(f"signing in as {username} answered {response.status}, not a redirect")
    return session_cookie(response)


def session_cookie(response) -> str:
    found = re.search(r"(session=[^;]+)", response.getheader("Set-Cookie") or "")
    if found is None:
        raise RuntimeError("the server set no session cookie")
    return found.group(1)


def fetch(base, path, cookie) -> tuple[int, str]:
    connection = http.client.HTTPConnection(urllib.parse.urlsplit(base).netloc, timeout=30)
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    page = response.read().decode()
    connection.close()
    return response.status, page


def run_wrk(wrk, workdir, base, page, seconds, server_pid) -> dict:
    # One wrk thread is plenty for 8 connections and leaves the CPU to the server.
    command = [wrk, "-t", "1", "-c", str(CLIENTS), "-d", f"{seconds}s", "--timeout", "5s",
               "-H", f"Cookie: {page['cookie']}", "-s", str(workdir / "bench.lua"), base, "--", str(page["file"])]
    machine, ours = machine_busy_seconds(), server_cpu_seconds(server_pid) + wrk_cpu_seconds()
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=True).stdout
    machine, ours = machine_busy_seconds() - machine, server_cpu_seconds(server_pid) + wrk_cpu_seconds() - ours
    found = re.search(r"^RESULT (.*)$", output, re.MULTILINE)
    if found is None:
        raise RuntimeError("wrk printed no result:\n" + output)
    values = {key: int(value) for key, value in (pair.split("=") for pair in found.group(1).split())}
    seconds_run = values["duration_us"] / 1e6
    return {"requests": values["requests"], "seconds": seconds_run, "rps": values["requests"] / seconds_run,
            "p50_ms": values["p50_us"] / 1000, "p95_ms": values["p95_us"] / 1000, "p99_ms": values["p99_us"] / 1000,
            "errors": values["errors"], "not_ok": values["not_ok"],
            "others": max(0.0, machine - ours) / (seconds_run * os.cpu_count())}


def verdict(results) -> int:
    passed = True
    for name, runs in results.items():
        # Histograms of separate runs cannot be merged; the worst round is the honest one.
        p95 = max(r["p95_ms"] for r in runs)
        failures = sum(r["errors"] + r["not_ok"] for r in runs)
        ok = p95 <= TARGET_P95_MS and not failures
        passed = passed and ok
        rps = sum(r["requests"] for r in runs) / sum(r["seconds"] for r in runs)
        print(f"{name:36} {rps:6.1f} req/s   p95 {p95:6.1f} ms (target ≤ {TARGET_P95_MS:.0f} ms)"
              f"{f'   {failures} failed or not 200' if failures else ''}   {'PASS' if ok else 'FAIL'}")
    if any(r["others"] > QUIET_SHARE for runs in results.values() for r in runs):
        print(f"Other processes took over {QUIET_SHARE:.0%} of the CPU in some runs: repeat on a quiet machine.")
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
