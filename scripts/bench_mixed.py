"""Benchmark the platform under a mixed load on PostgreSQL: crews, supervisors, citizens and the scheduler at once.

What runs: gunicorn with 4 sync workers and `municipal scheduler` as its own process, on a PostgreSQL
database with 1,000,000 facilities (seeded as scripts/bench_common.py does), the people of every town
(an administrator, a supervisor per town, 12 crew members in 6 teams per town, as scripts/bench_board.py
seeds them) and 200,000 work orders of a few years, the open inspection and maintenance work with its
facility type's checklist. The calendar is at work for one calendar-type facility in ten, spread over the
district (yesterday's run made their work; the others are marked as read far ahead: for all of them the
first day alone would make some 550,000 work orders). locust (pinned below, installed into this
interpreter's environment if missing) then drives scripts/locustfile_mixed.py: crews opening "my work" and
recording inspections with photos on the record page (the Idempotency-Key sent again, and twice at once, now
and then), scanning codes; supervisors browsing the board, assigning work orders and turning citizen reports
into work (now and then with a double click); citizens scanning codes, filing reports and following them.
The scheduler starts first and runs every job once at its start, today's calendar run included, during the
warm-up; the steps begin once that run is over, with the scheduler's minutely jobs going on. During the
second step the day's calendar run and notify-overdue are each asked for twice at once from the command line
(`municipal jobs run …`, as a second scheduler or an operator would). After the steps, one more step (as many
users as the second) has a rainstorm recorded over the smallest village (`municipal calendar event`), which
makes its special patrols at once; it is reported apart and not counted for the users held.

The load steps up (--steps, users per step, each step a locust run of --step-seconds measured after its
users have signed in). For each step it prints the requests per second and the p95 per request type, the
failures, and how much CPU other processes took; then "users held at p95 ≤ 300 ms": the largest step whose
p95 over all requests stays at most 300 ms. A failure is any answer that is not what a browser expects (a
page, or the redirect after a form), except those concurrency makes right, which are counted apart (a work
order assigned or completed by someone else first, a report accepted first); every failure is printed, and
so are the errors in gunicorn's log and failed jobs. After the load the database is checked: no work order
doubled (two calendar items with one natural key, a calendar work order no item owns or two alike, two
work orders for one citizen report, a rectification no finding owns), no inspection or citizen report
recorded twice (one client id, one work order, one report's unique text), no notification or job period
twice, and exactly the inspections and reports the load was answered were recorded. Exits 1 on FAIL.

Only 127.0.0.1 is used: PostgreSQL at --pg (trust authentication) and the servers this script starts.
The machine's 2 cores are shared by gunicorn, PostgreSQL, the scheduler and locust itself.

Usage: .venv/bin/python scripts/bench_mixed.py [--count 1000000] [--work-orders 200000] [--db NAME]
           [--steps 20,40,80,120,160] [--step-seconds 60] [--workers 4] [--event-users N]
       --db keeps the PostgreSQL database NAME between runs (seeded if it does not exist; seeding a million
       facilities takes a while); without it a temporary database is seeded and dropped.
       Quick run: --count 20000 --work-orders 20000 --db bench_small --steps 5,10,20 --step-seconds 30
"""
import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench_common import (BIN, QUIET_SHARE, ROOT, machine_busy_seconds, seed_facilities, server_cpu_seconds,
                          start_gunicorn, stop)

LOCUST_VERSION = "2.47.0"
TARGET_P95_MS = 300.0
FACILITIES = 1_000_000
WORK_ORDERS = 200_000
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile_mixed.py"
WARMUP_USERS, WARMUP_SECONDS = 8, 20
PHOTO_SIZE = (2048, 1536)  # a phone photo as an app sends it after its own resize; about 0.6 MB
CODE_SAMPLE = 20_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=FACILITIES, help="facilities to seed")
    parser.add_argument("--work-orders", type=int, default=WORK_ORDERS, help="work orders to seed")
    parser.add_argument("--db", help="PostgreSQL database to keep (seeded if it does not exist)")
    parser.add_argument("--pg", default=PG, help="PostgreSQL server URL, without a database")
    parser.add_argument("--steps", default="20,40,80,120,160", help="simulated users per step")
    parser.add_argument("--step-seconds", type=int, default=60, help="seconds each step is measured")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--event-users", type=int, help="users of the rainstorm step (default: the second step's)")
    parser.add_argument("--seed-only", action="store_true", help="seed the --db database (if new) and stop")
    args = parser.parse_args()
    steps = [int(n) for n in args.steps.split(",")]
    locust = ensure_locust()

    name = args.db or f"bench_mixed_{os.getpid()}"
    url = f"{args.pg}/{name}"
    workdir = Path(tempfile.mkdtemp(prefix="bench_mixed_"))
    media = workdir / "media"
    created = create_database(args.pg, name)
    try:
        from municipal import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "MEDIA_DIR": str(media)})
        with app.app_context():
            if created:
                seed(args.count, args.work_orders)
            else:
                print(f"Reusing the database {name}.")
                migrate()
            if args.seed_only:
                print(summary())
                return 0
            forget_todays_calendar_run()
            plan = write_plan(workdir)
            marks = high_marks()
            print(summary())
        env = {"MUNICIPAL_MEDIA_DIR": str(media), "MUNICIPAL_TRUSTED_PROXIES": "1"}
        results, load = run_load(locust, workdir, url, env, plan, steps, args)
        with app.app_context():
            doubling = check_doubling(marks, load)
        return verdict(results, load, doubling, steps)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if not args.db:
            drop_database(args.pg, name)


# --- preparing ----------------------------------------------------------------------------------------------

def ensure_locust() -> Path:
    """locust of the pinned version in this interpreter's environment: installed with pip when missing."""
    locust = BIN / "locust"
    try:
        version = subprocess.run([str(locust), "--version"], capture_output=True, text=True).stdout
    except OSError:
        version = ""
    if LOCUST_VERSION not in version:
        print(f"Installing locust=={LOCUST_VERSION} into {sys.prefix} …", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", f"locust=={LOCUST_VERSION}"], check=True)
    return locust


def create_database(server: str, name: str) -> bool:
    """Create the database unless it exists; True when it was created (and so has to be seeded)."""
    engine = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists:
            seeded = sa.create_engine(f"{server}/{name}")
            with seeded.connect() as check:
                ready = check.scalar(sa.text("SELECT to_regclass('bench_mixed_seeded') IS NOT NULL"))
            seeded.dispose()
            if ready:
                engine.dispose()
                return False
            print(f"The database {name} exists but its seeding never finished: seeding it again.")
            connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return True


def drop_database(server: str, name: str) -> None:
    engine = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


def seed(count: int, work_orders: int) -> None:
    from bench_board import seed_work
    from municipal.extensions import db
    from municipal.jobs import runner
    from municipal.jobs.registry import JOBS
    from municipal.workorders.checklists import sync_templates

    started = time.perf_counter()
    seed_facilities(count)
    sync_templates()
    db.session.commit()
    seed_work(work_orders)
    with_checklists()
    # Yesterday's: today's run is the scheduler's, during the load.
    now = datetime.now(timezone.utc) - timedelta(days=1)
    known_elsewhere = calendar_in_use_for_a_tenth(now)
    print(f"The calendar's day before for a tenth of the calendar facilities ({known_elsewhere:,} others marked "
          "as known far ahead) …", flush=True)
    began = time.perf_counter()
    result = runner.run(JOBS["calendar"], now)
    print(f"  {runner.describe(result)} in {time.perf_counter() - began:.0f} s", flush=True)
    db.session.execute(sa.text("ANALYZE"))
    # The mark of a finished seeding: a database without it is seeded again.
    db.session.execute(sa.text("CREATE TABLE bench_mixed_seeded (seeded_at timestamptz DEFAULT now())"))
    db.session.commit()
    print(f"Seeded in {time.perf_counter() - started:.0f} s.", flush=True)


def calendar_in_use_for_a_tenth(now: datetime) -> int:
    """The calendar at work for one calendar-type facility in ten, spread over the district (about 1.4 work
    orders each on its first day: for all of a million facilities it would make some 550,000 and take a
    quarter of an hour); the others are marked as read far ahead, so neither the first day nor the load's
    daily run reads them. Returns how many were so marked."""
    from flask import current_app

    from municipal.calendar import settings as calendar
    from municipal.extensions import db

    day = calendar.today(now)
    marked = db.session.execute(sa.text(
        "INSERT INTO calendar_state (asset_id, evaluated_on, covered_until, risky) "
        "SELECT id, :day, :until, false FROM asset WHERE type IN :types AND id % 10 <> 0"
    ).bindparams(sa.bindparam("types", expanding=True)),
        {"day": day, "until": day + timedelta(days=400), "types": list(current_app.config["CALENDAR_TYPES"])})
    db.session.commit()
    return marked.rowcount


def with_checklists() -> None:
    """The open inspection and maintenance work gets its facility type's checklist, as the platform gives it."""
    from municipal.extensions import db
    from municipal.workorders.checklists import active_templates

    chosen = {}
    for template in active_templates():
        chosen.setdefault((template.asset_type, template.kind), template.id)
    for (asset_type, kind), template_id in chosen.items():
        db.session.execute(sa.text(
            "UPDATE work_order SET checklist_template_id = :t FROM asset WHERE asset.id = work_order.asset_id "
            "AND asset.type = :type AND work_order.kind = :kind "
            "AND work_order.status IN ('new', 'assigned', 'in_progress', 'on_hold')"),
            {"t": template_id, "type": asset_type, "kind": kind})
    db.session.commit()


def migrate() -> None:
    from flask_migrate import upgrade

    upgrade()


def forget_todays_calendar_run() -> None:
    """The day's calendar run belongs to the load: the scheduler makes it at its start. A database kept from a
    run earlier today has it recorded; forgotten, it is made again over what that run made, which must find
    everything already there."""
    from municipal.calendar import settings as calendar
    from municipal.extensions import db

    today = calendar.today(datetime.now(timezone.utc)).isoformat()
    db.session.execute(sa.text("DELETE FROM job_run WHERE job = 'calendar' AND period = :day"), {"day": today})
    # Nothing runs on this database before the load starts: a job lock left is an interrupted run's.
    db.session.execute(sa.text("DELETE FROM job_lock"))
    db.session.commit()


def write_plan(workdir: Path) -> Path:
    """What locust reads: the accounts, the password, a sample of codes, the photo."""
    from bench_board import PASSWORD
    from municipal.assets.models import IdentityCode
    from municipal.auth.models import User
    from municipal.extensions import db
    from PIL import Image, ImageFilter

    users = db.session.execute(sa.select(User.username, User.role).where(User.active.is_(True))
                               .order_by(User.id)).all()
    crews = [u for u, role in users if role == "crew"]
    supervisors = [u for u, role in users if role == "supervisor"]
    total = db.session.scalar(sa.select(sa.func.count()).select_from(IdentityCode))
    percent = min(100.0, 100.0 * CODE_SAMPLE * 2 / max(total, 1))
    codes = db.session.scalars(sa.text(
        f"SELECT code FROM identity_code TABLESAMPLE SYSTEM ({percent}) WHERE status = 'bound' LIMIT {CODE_SAMPLE}"
    )).all()
    db.session.commit()
    rng = random.Random(5)
    noise = Image.effect_noise(PHOTO_SIZE, 60).filter(ImageFilter.GaussianBlur(1))
    photo = Image.merge("RGB", (noise, noise.rotate(180), Image.linear_gradient("L").resize(PHOTO_SIZE)))
    photo_path = workdir / "photo.jpg"
    photo.save(photo_path, "JPEG", quality=85)
    plan = {"password": PASSWORD, "crews": rng.sample(crews, len(crews)),
            "supervisors": rng.sample(supervisors, len(supervisors)), "codes": codes, "photo": str(photo_path)}
    path = workdir / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    print(f"{len(crews)} crew members, {len(supervisors)} supervisors, {len(codes):,} codes to scan, "
          f"a {photo_path.stat().st_size / 1e6:.1f} MB photo of {PHOTO_SIZE[0]} × {PHOTO_SIZE[1]}.")
    return path


def summary() -> str:
    from municipal.extensions import db

    rows = dict(db.session.execute(sa.text("SELECT status, count(*) FROM work_order GROUP BY status")).all())
    facilities = db.session.scalar(sa.text("SELECT count(*) FROM asset"))
    items = db.session.scalar(sa.text("SELECT count(*) FROM calendar_item"))
    db.session.commit()
    return (f"{facilities:,} facilities; {sum(rows.values()):,} work orders "
            f"({', '.join(f'{k} {v:,}' for k, v in sorted(rows.items()))}); {items:,} calendar items.")


def high_marks() -> dict:
    """The largest ids before the load: what the load and the jobs write lies above them."""
    from municipal.extensions import db

    marks = {table: db.session.scalar(sa.text(f"SELECT COALESCE(max(id), 0) FROM {table}"))
             for table in ("work_order", "inspection", "citizen_report", "calendar_item", "finding")}
    db.session.commit()
    return marks


# --- the load -----------------------------------------------------------------------------------------------

def run_load(locust, workdir, url, env, plan, steps, args):
    server, base, log = start_gunicorn(workdir, url, args.workers, "municipal:create_app()", extra_env=env)
    job_env = {**os.environ, "MUNICIPAL_DATABASE_URL": url, "MUNICIPAL_SECRET_KEY": "bench",
               "PYTHONPATH": str(ROOT), **env}
    scheduler_log = (workdir / "scheduler.log").open("w")
    scheduler = None
    load = {"counts": {}, "inspection_keys": set(), "report_numbers": [], "report_tokens": [], "jobs": []}
    results = []
    try:
        # The scheduler first: at its start it runs every job once, the day's calendar run included, while the
        # warm-up's users sign in and open their pages; the steps begin once that run is over.
        scheduler = subprocess.Popen([str(BIN / "municipal"), "scheduler"], env=job_env, cwd=workdir,
                                     stdout=scheduler_log, stderr=subprocess.STDOUT)
        print(f"gunicorn {args.workers} sync workers and the scheduler on {os.cpu_count()} CPUs; warming up "
              f"with {WARMUP_USERS} users for {WARMUP_SECONDS} s while the scheduler starts …", flush=True)
        locust_run(locust, workdir, base, plan, WARMUP_USERS, WARMUP_SECONDS, "warmup")
        merge(load, workdir / "warmup.json")
        wait_for_calendar_run(workdir / "scheduler.log", scheduler)
        village, size = smallest_village(url)
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
        # A second scheduler, or someone at the command line, asking for the day's runs twice at once.
        claims = [["jobs", "run", "calendar"], ["jobs", "run", "calendar"], ["jobs", "run", "notify-overdue"],
                  ["jobs", "run", "notify-overdue"]]
        rainstorm = ["calendar", "event", "rainstorm", "--area", village, "--start", today, "--rain-24h-mm", "120",
                     "--as", "admin"]
        # (label, users, commands started half-way, counted for "users held"): the steps, then the rainstorm
        # as a step of its own, as many users as the second step, so that its cost stands apart.
        runs = [(f"step{index}", users, claims if index == min(1, len(steps) - 1) else [], True)
                for index, users in enumerate(steps)]
        runs.append(("event", args.event_users or steps[min(1, len(steps) - 1)], [rainstorm], False))
        for label, users, commands, counted in runs:
            machine = machine_busy_seconds()
            ours = our_cpu(server.pid, scheduler.pid, url)
            started = time.monotonic()
            step_jobs = [start_job(workdir, job_env, command, args.step_seconds // 3 + signing_in(users))
                         for command in commands]
            stats = locust_run(locust, workdir, base, plan, users, args.step_seconds, label)
            # Waited for within the step, so that their CPU counts as this benchmark's.
            load["jobs"].extend(finish_job(job) for job in step_jobs)
            seconds = time.monotonic() - started
            others = max(0.0, machine_busy_seconds() - machine - (our_cpu(server.pid, scheduler.pid, url) - ours))
            stats.update(others=others / (seconds * os.cpu_count()), users=users, counted=counted,
                         label="" if counted else f"a rainstorm over village {village} ({size:,} facilities) "
                                                  f"recorded a third into the step")
            merge(load, workdir / f"{label}.json")
            results.append(stats)
            print_step(stats)
            if server.poll() is not None or scheduler.poll() is not None:
                print("gunicorn or the scheduler died during the load:\n" + log.read_text()[-3000:], file=sys.stderr)
                break
    finally:
        stop(server)
        if scheduler is not None:
            stop(scheduler)
        scheduler_log.close()
    load["scheduler_log"] = (workdir / "scheduler.log").read_text()
    load["server_errors"] = server_errors(log.read_text())
    return results, load


def server_errors(text: str) -> list[str]:
    """The entries of gunicorn's log that tell of an error, each whole (with its traceback): an entry starts
    with a line in brackets (its time)."""
    entries, entry = [], []
    for line in text.splitlines():
        if line.startswith("[") and entry:
            entries.append("\n".join(entry))
            entry = []
        entry.append(line)
    if entry:
        entries.append("\n".join(entry))
    return [entry for entry in entries if "Traceback" in entry or "ERROR" in entry or "Exception" in entry]


def signing_in(users: int) -> float:
    return users / spawn_rate(users)


def spawn_rate(users: int) -> float:
    return max(2.0, users / 5)


def locust_run(locust, workdir, base, plan, users, seconds, label) -> dict:
    """One headless locust run: the users spawn (at most 5 s), then `seconds` of load measured from scratch."""
    out = workdir / f"{label}.json"
    env = {**os.environ, "MIXED_PLAN": str(plan), "MIXED_OUT": str(out)}
    prefix = workdir / label
    command = [str(locust), "-f", str(LOCUSTFILE), "--headless", "--host", base, "-u", str(users),
               "-r", f"{spawn_rate(users):g}", "-t", f"{seconds + signing_in(users):.0f}s", "--csv", str(prefix),
               "--only-summary", "--stop-timeout", "30", "--reset-stats", "--loglevel", "WARNING",
               "--exit-code-on-error", "0"]
    done = subprocess.run(command, env=env, cwd=workdir, capture_output=True, text=True, timeout=seconds + 300)
    if done.returncode != 0:
        raise RuntimeError(f"locust exited {done.returncode}:\n{done.stderr[-3000:]}")
    return read_stats(prefix)


def read_stats(prefix: Path) -> dict:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    types, total = {}, None
    for row in rows:
        entry = {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                 "rps": number(row["Requests/s"]), "p95": number(row["95%"]), "p50": number(row["50%"]),
                 "max": number(row["Max Response Time"])}
        if row["Name"] == "Aggregated":
            total = entry
        else:
            types[f"{row['Type']} {row['Name']}"] = entry
    failures = []
    with open(f"{prefix}_failures.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            failures.append(f"{row['Occurrences']} × {row['Method']} {row['Name']}: {row['Error']}")
    return {"types": types, "total": total, "failures": failures}


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:  # "N/A" when nothing was asked
        return 0.0


def merge(load: dict, path: Path) -> None:
    if not path.exists():
        return
    found = json.loads(path.read_text(encoding="utf-8"))
    for key, value in found["counts"].items():
        load["counts"][key] = load["counts"].get(key, 0) + value
    load["inspection_keys"].update(found["inspection_keys"])
    load["report_numbers"].extend(found["report_numbers"])
    load["report_tokens"].extend(found["report_tokens"])


def smallest_village(url: str) -> tuple[str, int]:
    """The village with the fewest facilities, and how many: where the load's rainstorm falls."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        code, size = connection.execute(sa.text(
            "SELECT area.code, (SELECT count(*) FROM asset WHERE asset.area_id = area.id) AS size FROM area "
            "WHERE level = 'village' ORDER BY size, area.code LIMIT 1")).one()
    engine.dispose()
    return code, size


def wait_for_calendar_run(log: Path, scheduler, timeout: float = 900) -> None:
    """Until the scheduler has printed the outcome of its start-up calendar run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and scheduler.poll() is None:
        lines = [line for line in log.read_text().splitlines() if " calendar 20" in line]
        if lines:
            print(f"The scheduler's start-up: {lines[0]}", flush=True)
            return
        time.sleep(1)
    print("The scheduler's start-up calendar run had not ended; the steps begin all the same.", flush=True)


def start_job(workdir, env, command, delay) -> dict:
    """A `municipal …` command started after `delay` seconds in the background (a shell sleeps first)."""
    log = workdir / f"job{len(list(workdir.glob('job*.log')))}.log"
    shell = f"sleep {delay:.0f}; exec {BIN / 'municipal'} " + " ".join(f"'{part}'" for part in command)
    process = subprocess.Popen(["sh", "-c", shell], env=env, cwd=workdir, stdout=log.open("w"),
                               stderr=subprocess.STDOUT)
    return {"process": process, "command": "municipal " + " ".join(command), "log": log}


def finish_job(job) -> dict:
    try:
        code = job["process"].wait(timeout=600)
    except subprocess.TimeoutExpired:
        job["process"].kill()
        code = "killed after 10 minutes"
    return {"command": job["command"], "exit": code, "output": job["log"].read_text().strip()[-600:]}


def our_cpu(server_pid: int, scheduler_pid: int, url: str) -> float:
    """CPU seconds of what this benchmark runs: gunicorn, the scheduler, locust and jobs (finished children),
    and the PostgreSQL backends serving this database."""
    total = server_cpu_seconds(server_pid) + process_cpu(scheduler_pid)
    usage = os.times()
    total += usage.children_user + usage.children_system
    database = url.rsplit("/", 1)[1]
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {database} " in title:
            total += process_cpu(int(pid))
    return total


def process_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def print_step(stats: dict) -> None:
    total = stats["total"]
    busy = "  (busy machine: figures suspect)" if stats["others"] > QUIET_SHARE else ""
    during = f", {stats['label']}" if stats["label"] else ""
    print(f"\n{stats['users']} users{during}: {total['rps']:.1f} req/s, p95 {total['p95']:.0f} ms, "
          f"{total['failures']} failed; other processes took {stats['others']:.0%} of the CPU{busy}")
    for name, entry in sorted(stats["types"].items(), key=lambda item: -item[1]["requests"]):
        failed = f"   {entry['failures']} failed" if entry["failures"] else ""
        print(f"  {name:48} {entry['rps']:6.1f} req/s   p50 {entry['p50']:6.0f} ms   p95 {entry['p95']:6.0f} ms"
              f"   max {entry['max']:6.0f} ms{failed}")
    for line in stats["failures"]:
        print(f"  FAILED {line}")
    sys.stdout.flush()


# --- after the load -----------------------------------------------------------------------------------------

DOUBLING_QUERIES = {
    "calendar items with one natural key (facility, rule key)":
        "SELECT count(*) FROM (SELECT 1 FROM calendar_item GROUP BY asset_id, key HAVING count(*) > 1) d",
    "calendar work orders that no calendar item owns":
        "SELECT count(*) FROM work_order w WHERE w.source = 'calendar' AND w.id > :wo "
        "AND NOT EXISTS (SELECT 1 FROM calendar_item c WHERE c.work_order_id = w.id)",
    "calendar work orders doubled (same facility, kind, title and due time)":
        "SELECT count(*) FROM (SELECT 1 FROM work_order WHERE source = 'calendar' AND id > :wo "
        "GROUP BY asset_id, kind, title, due_at HAVING count(*) > 1) d",
    "citizen reports with more than one work order":
        "SELECT count(*) FROM (SELECT 1 FROM work_order WHERE citizen_report_id IS NOT NULL AND id > :wo "
        "GROUP BY citizen_report_id HAVING count(*) > 1) d",
    "citizen-report work orders their report does not name":
        "SELECT count(*) FROM work_order w WHERE w.source = 'citizen' AND w.id > :wo AND NOT EXISTS "
        "(SELECT 1 FROM citizen_report r WHERE r.work_order_id = w.id)",
    "rectification work orders no finding owns":
        "SELECT count(*) FROM work_order w WHERE w.source = 'finding' AND w.id > :wo AND NOT EXISTS "
        "(SELECT 1 FROM finding f WHERE f.follow_up_id = w.id)",
    "inspections recorded twice for one Idempotency-Key":
        "SELECT count(*) FROM (SELECT 1 FROM inspection GROUP BY idempotency_key HAVING count(*) > 1) d",
    "work orders with two inspections from the load":
        "SELECT count(*) FROM (SELECT 1 FROM inspection WHERE id > :ins GROUP BY work_order_id "
        "HAVING count(*) > 1) d",
    "citizen reports recorded twice (one report's unique text)":
        "SELECT count(*) FROM (SELECT 1 FROM citizen_report WHERE id > :rep GROUP BY description "
        "HAVING count(*) > 1) d",
    "notifications doubled (one person, one dedupe key)":
        "SELECT count(*) FROM (SELECT 1 FROM notification WHERE dedupe_key IS NOT NULL "
        "GROUP BY user_id, dedupe_key HAVING count(*) > 1) d",
    "job periods run twice":
        "SELECT count(*) FROM (SELECT 1 FROM job_run GROUP BY job, period HAVING count(*) > 1) d",
}


def check_doubling(marks: dict, load: dict) -> dict:
    from municipal.extensions import db

    params = {"wo": marks["work_order"], "ins": marks["inspection"], "rep": marks["citizen_report"]}
    found = {name: db.session.scalar(sa.text(query), params) for name, query in DOUBLING_QUERIES.items()}
    made = dict(db.session.execute(sa.text(
        "SELECT source, count(*) FROM work_order WHERE id > :wo GROUP BY source"), params).all())
    inspections = db.session.scalar(sa.text("SELECT count(*) FROM inspection WHERE id > :ins"), params)
    keys = set(db.session.scalars(sa.text("SELECT idempotency_key FROM inspection WHERE id > :ins"), params))
    reports = db.session.scalar(sa.text("SELECT count(*) FROM citizen_report WHERE id > :rep"), params)
    db.session.commit()
    return {"found": found, "made": made, "inspections": inspections, "keys_missing": load["inspection_keys"] - keys,
            "keys_unexpected": keys - load["inspection_keys"], "reports": reports}


def verdict(results, load, doubling, steps) -> int:
    print("\nSummary (per step: users, requests per second, p95 over all requests, failures)")
    held = None
    for stats in results:
        total = stats["total"]
        if stats["counted"] and total["p95"] <= TARGET_P95_MS:
            held = max(held or 0, stats["users"])
        print(f"  {stats['users']:4} users   {total['rps']:6.1f} req/s   p95 {total['p95']:6.0f} ms   "
              f"{total['failures']} failed   others {stats['others']:.0%} CPU"
              f"{'' if stats['counted'] else '   (' + stats['label'] + ')'}")
    counts = load["counts"]
    print("Writes and expected answers:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none")
    print("Work orders made during the load:", ", ".join(f"{k} {v}" for k, v in sorted(doubling["made"].items())))
    for job in load["jobs"]:
        print(f"Job `{job['command']}` exited {job['exit']}: {job['output'].splitlines()[-1] if job['output'] else ''}")
    scheduler_lines = [line for line in load["scheduler_log"].splitlines() if line.strip()]
    print("Scheduler:", *scheduler_lines[:12], *(["…", *scheduler_lines[-4:]] if len(scheduler_lines) > 16
                                                  else scheduler_lines[12:]), sep="\n  ")
    if load["server_errors"]:
        print(f"gunicorn's error log: {len(load['server_errors'])} errors; the first ones whole:",
              *load["server_errors"][:3], sep="\n")

    failed_requests = sum(stats["total"]["failures"] for stats in results)
    passed = True
    ok = failed_requests == 0 and not load["server_errors"]
    passed &= ok
    print(f"No request failed: {failed_requests} failed{', errors in the server log' if load['server_errors'] else ''}"
          f"   {'PASS' if ok else 'FAIL'}")
    for stats in results:
        for line in stats["failures"]:
            print(f"  {stats['users']} users: {line}")
    # A calendar run that waited for another and gave up says who runs it (exit 1): the rule, not a failure.
    bad_jobs = [job for job in load["jobs"] if job["exit"] != 0
                and not (job["exit"] == 1 and ("正由" in job["output"] or "is being run by" in job["output"]))]
    bad_lines = [line for line in scheduler_lines if "failed" in line or "could not run" in line
                 or "失败：" in line or "无法运行" in line or "Traceback" in line]
    ok = not bad_jobs and not bad_lines
    passed &= ok
    print(f"Jobs ran without failure: {len(load['jobs'])} started beside the scheduler, {len(bad_jobs)} failed; "
          f"{len(bad_lines)} scheduler lines of failure   {'PASS' if ok else 'FAIL'}")
    for line in bad_lines:
        print(f"  {line}")
    doubled = {name: n for name, n in doubling["found"].items() if n}
    ok = not doubled
    passed &= ok
    print(f"Nothing doubled ({len(doubling['found'])} checks"
          f"{': ' + '; '.join(f'{name}: {n}' for name, n in doubled.items()) if doubled else ''})"
          f"   {'PASS' if ok else 'FAIL'}")
    ok = not doubling["keys_missing"] and not doubling["keys_unexpected"] and \
        doubling["reports"] == counts.get("citizen reports answered as sent", 0)
    passed &= ok
    print(f"Recorded as answered: {doubling['inspections']} inspections for "
          f"{len(load['inspection_keys'])} client ids answered as recorded "
          f"({len(doubling['keys_missing'])} missing, {len(doubling['keys_unexpected'])} unexpected); "
          f"{doubling['reports']} citizen reports for {counts.get('citizen reports answered as sent', 0)} answered as "
          f"sent   {'PASS' if ok else 'FAIL'}")
    ok = held is not None
    passed &= ok
    print(f"Users held at p95 ≤ {TARGET_P95_MS:.0f} ms: {held if held is not None else 'none of the steps'}"
          f"   {'PASS' if ok else 'FAIL'}")
    if any(stats["others"] > QUIET_SHARE for stats in results):
        print(f"Other processes took over {QUIET_SHARE:.0%} of the CPU in some steps: repeat on a quiet machine.")
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
