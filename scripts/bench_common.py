"""What the server benchmarks share: a million facilities seeded fast, gunicorn started and stopped,
and a measure of how much of the machine other processes took during a run.

Imported by scripts/bench_*.py (the scripts' own directory is on sys.path when they run).
"""
import os
import random
import resource
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date, datetime, timezone
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
# Let the scripts run from a checkout without installing the package.
sys.path.insert(0, str(ROOT))

from municipal.assets.identity import codes  # noqa: E402
from municipal.assets.models import Asset, IdentityCode  # noqa: E402
from municipal.assets.types import TYPES  # noqa: E402
from municipal.demo.seed import ensure_areas  # noqa: E402
from municipal.extensions import db  # noqa: E402
from municipal.assets.map_cells import rebuild as rebuild_map_cells  # noqa: E402
from municipal.geo.grid import spatial_columns  # noqa: E402

CHUNK = 50_000
# Share of the machine's CPU that other processes may take during a run before its figures are suspect.
QUIET_SHARE = 0.10
# The gunicorn of the interpreter running the benchmark: a worktree need not have a .venv of its own.
BIN = Path(sys.executable).parent

# Type, weight, what the name calls it: roughly the mix of a real registry, manholes first.
MIX = (
    ("manhole", 40, "检查井"), ("sewer_segment", 15, "排水管"), ("water_pipe", 12, "给水管"),
    ("road_segment", 6, "道路"), ("public_toilet", 5, "公厕"), ("old_building", 5, "老旧房屋"),
    ("bridge", 5, "桥梁"), ("river_segment", 4, "河段"), ("pump_station", 3, "泵站"),
    ("water_station", 3, "供水站"), ("reservoir", 2, "水库"),
)


def seed_facilities(count: int) -> None:
    """Schema by migrations, then `count` facilities of mixed types, each with one bound code, in
    chunks of Core inserts."""
    from flask_migrate import upgrade

    started = time.perf_counter()
    upgrade()
    _created, area_ids = ensure_areas()
    db.session.commit()
    areas = sorted(area_ids.values())
    rng = random.Random(20261126)
    types = [key for key, _weight, _label in MIX]
    weights = [weight for _key, weight, _label in MIX]
    labels = {key: label for key, _weight, label in MIX}
    prefixes = {key: TYPES[key].prefix for key in types}
    now = datetime.now(timezone.utc)
    issued: set[str] = set()
    with db.engine.connect() as connection:
        fast_writes(connection)
        for first in range(1, count + 1, CHUNK):
            ids = range(first, min(first + CHUNK, count + 1))
            assets, code_rows = [], []
            for asset_id, type_key in zip(ids, rng.choices(types, weights, k=len(ids))):
                code = codes.generate(prefixes[type_key])
                while code in issued:
                    code = codes.generate(prefixes[type_key])
                issued.add(code)
                assets.append(asset_row(rng, asset_id, type_key, labels[type_key], rng.choice(areas), now))
                code_rows.append({
                    "id": asset_id, "code": code, "prefix": prefixes[type_key], "status": "bound",
                    "asset_id": asset_id, "created_at": now, "bound_at": now, "revoked_at": None,
                    "revoked_reason": "", "replaced_by_id": None,
                })
            connection.execute(sa.insert(Asset.__table__), assets)
            connection.execute(sa.insert(IdentityCode.__table__), code_rows)
            connection.commit()
            print(f"\rSeeded {ids[-1]:,} of {count:,} facilities ({time.perf_counter() - started:.0f} s)",
                  end="", flush=True)
        reset_sequences(connection)
        # Rows written past the services: the map's cell counts are recounted from them, as after an upgrade.
        rebuild_map_cells(connection)
        connection.commit()
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
        if connection.dialect.name == "sqlite":
            # The seeding's last writes wait in the write-ahead log (59 MB of it after 200,000 facilities): moved
            # into the database here, or the measured run's first write does it. The first run after a seeding
            # of a million had a p99 of 1.5 s and 16 requests of the bare route failed.
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    print()


def fast_writes(connection) -> None:
    """A benchmark database: durability during the seeding buys nothing (SQLite or PostgreSQL)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA synchronous=OFF")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET synchronous_commit = off")


def reset_sequences(connection) -> None:
    """PostgreSQL: rows inserted with their ids leave the id sequences behind; move each past its table's
    largest id, or the platform's first insert would take an id already used. SQLite needs nothing."""
    if connection.dialect.name != "postgresql":
        return
    tables = connection.exec_driver_sql(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND column_name = 'id' AND starts_with(column_default, 'nextval')").scalars().all()
    for table in tables:
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f"COALESCE((SELECT max(id) FROM \"{table}\"), 0) + 1, false)")
    connection.commit()


def asset_row(rng, asset_id, type_key, label, area_id, now) -> dict:
    lon, lat = rng.uniform(119.20, 119.50), rng.uniform(26.00, 26.35)
    if type_key in ("sewer_segment", "water_pipe", "road_segment", "river_segment"):
        end = [round(lon + rng.uniform(-0.002, 0.002), 6), round(lat + rng.uniform(-0.002, 0.002), 6)]
        geometry = {"type": "LineString", "coordinates": [[round(lon, 6), round(lat, 6)], end]}
        chainage = (0.0, round(rng.uniform(50, 800), 1))
    else:
        geometry = {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}
        chainage = (None, None)
    return {
        "id": asset_id, "type": type_key, "name": f"{label} {asset_id:07d}", "area_id": area_id,
        "status": "in_service", "owner_unit": "晋安区住房和城乡建设局", "maintenance_unit": "晋安区市政设施养护中心",
        "address": "", "attributes": attributes(rng, type_key), "geometry": geometry, **spatial_columns(geometry),
        "chainage_start_m": chainage[0], "chainage_end_m": chainage[1],
        "in_service_on": date(rng.randint(1980, 2024), rng.randint(1, 12), rng.randint(1, 28)),
        "internal_notes": "", "is_demo": True, "created_at": now, "updated_at": now, "version": 1,
    }


def attributes(rng, type_key) -> dict:
    """A plausible value for each main attribute, so pages render what they would in use."""
    if type_key == "manhole":
        return {"network": rng.choice(("雨水", "污水", "给水")), "depth_m": round(rng.uniform(1, 4), 1),
                "cover_material": "球墨铸铁"}
    if type_key in ("sewer_segment", "water_pipe"):
        pipe = {"diameter_mm": rng.choice((300, 400, 600, 800)), "material": "球墨铸铁",
                "length_m": round(rng.uniform(30, 120), 1)}
        return {**pipe, "sewer_kind": "污水"} if type_key == "sewer_segment" else pipe
    if type_key == "reservoir":
        return {"capacity_m3": rng.randint(100_000, 9_000_000), "dam_height_m": round(rng.uniform(8, 40), 1),
                "dam_type": "土坝", "completion_acceptance": "1975-06-30"}
    if type_key == "bridge":
        return {"regime": "CJJ99", "maint_category": "Ⅲ", "span_m": round(rng.uniform(10, 90), 1)}
    if type_key == "old_building":
        return {"built_year": rng.randint(1880, 1980), "floors": rng.randint(1, 3), "grade": rng.choice("ABC")}
    if type_key in ("road_segment", "river_segment"):
        return {"length_m": round(rng.uniform(200, 2000))}
    return {}


def start_gunicorn(workdir: Path, url: str, workers: int, app: str,
                   extra_args: tuple = (), extra_env: dict | None = None) -> tuple[subprocess.Popen, str, Path]:
    """gunicorn with `workers` sync workers serving `app` (a module in workdir) on a free local port;
    returns the process, its base URL and its error log (with --capture-output in extra_args, the workers'
    own stderr too: the app's logged errors). `extra_env`: more MUNICIPAL_* settings."""
    port = free_port()
    log = workdir / "gunicorn.log"
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "MUNICIPAL_DATABASE_URL": url, "MUNICIPAL_SECRET_KEY": "bench",
           "PYTHONPATH": str(ROOT), **(extra_env or {})}
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--pythonpath", str(workdir),
         "--error-logfile", str(log), *extra_args, app],
        env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(server, base + "/healthz", log)
    except BaseException:
        stop(server)
        raise
    return server, base, log


# A shared machine makes a benchmark lie; these measure how much CPU went to anyone else.
def machine_busy_seconds() -> float:
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(master_pid) -> float:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    total = 0
    for pid in [master_pid, *children]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a worker that gunicorn replaced
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def wrk_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(server, url, log, timeout=60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited at start:\n" + log.read_text()[-2000:])
        if http_status(url) == 200:
            return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout:.0f} s")


def http_status(url) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def stop(server) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
