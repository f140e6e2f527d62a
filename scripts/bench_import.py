"""Benchmark `municipal import-assets` on a large CSV file.

Target: 100,000 facilities (mixed types, Chinese headers and names, geometry in
the district) imported into a fresh SQLite database in at most 60 seconds,
timed from the start of the command to its commit. Exits 1 on FAIL.

Usage: .venv/bin/python scripts/bench_import.py [--rows 100000] [--keep]
"""

import argparse
import csv
import json
import random
import resource
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

# Let the script run from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from municipal import create_app  # noqa: E402
from municipal.assets.transfer.columns import ALL_COLUMNS, TYPE_LABELS  # noqa: E402
from municipal.config import DefaultConfig  # noqa: E402

TARGET_SECONDS = 60
TOWNS = ["鼓山镇", "新店镇", "岳峰镇", "宦溪镇", "寿山乡", "日溪乡", "象园街道", "王庄街道", "茶园街道", "鼓山街道"]
STREETS = ["福新中路", "连江北路", "岳峰路", "秀峰路", "鹤林路", "福飞北路", "化工路", "长乐北路", "国货东路", "前横路"]
UNITS = ["晋安区水利局", "晋安区城市管理局", "晋安区住房和城乡建设局", "福州水务集团有限公司", "晋安区市政工程中心"]


def point(rng: random.Random) -> tuple[float, float]:
    """A position well inside the district box."""
    min_lon, min_lat, max_lon, max_lat = DefaultConfig.DISTRICT_BBOX
    return (round(rng.uniform(min_lon + 0.01, max_lon - 0.01), 6),
            round(rng.uniform(min_lat + 0.01, max_lat - 0.01), 6))


def line(rng: random.Random) -> str:
    """A short LineString near a random point, as GeoJSON text."""
    lon, lat = point(rng)
    coordinates = [[round(lon + i * 0.0007, 6), round(lat + rng.uniform(-0.0005, 0.0005), 6)]
                   for i in range(rng.randint(2, 5))]
    return json.dumps({"type": "LineString", "coordinates": coordinates}, separators=(",", ":"))


def facility(i: int, rng: random.Random) -> dict:
    """One row, by field name; type-specific attributes filled the way a survey would."""
    kind = rng.choice(list(TYPE_LABELS))
    street = rng.choice(STREETS)
    row = {
        "type": TYPE_LABELS[kind],
        "name": f"{street}{TYPE_LABELS[kind]}{i:06d}",
        "area": rng.choice(TOWNS),
        "status": rng.choice(["在用", "在用", "在用", "维修中", "停用"]),
        "owner_unit": rng.choice(UNITS),
        "maintenance_unit": rng.choice(UNITS),
        "address": f"福州市晋安区{street}{rng.randint(1, 400)}号",
        "in_service_on": f"{rng.randint(1980, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
    }
    if kind in ("river_segment", "water_pipe", "sewer_segment", "road_segment"):
        row["geometry"] = line(rng)
        start = rng.randint(0, 20_000)
        row["chainage_start"], row["chainage_end"] = f"K{start // 1000}+{start % 1000:03d}", str(start + 500)
        row["attr.length_m"] = "500"
    else:
        row["lon"], row["lat"] = point(rng)
    extra = {
        "reservoir": {"attr.capacity_m3": str(rng.randint(100_000, 50_000_000)), "attr.dam_height_m": "18.5",
                      "attr.dam_type": "土坝", "attr.first_impoundment_period": "1998-04-01/1998-09-30"},
        "water_pipe": {"attr.diameter_mm": str(rng.choice([100, 200, 300, 600])), "attr.material": "球墨铸铁"},
        "sewer_segment": {"attr.diameter_mm": "400", "attr.sewer_kind": rng.choice(["雨水", "污水", "合流"])},
        "manhole": {"attr.network": "污水", "attr.depth_m": "2.5", "attr.cover_material": "球墨铸铁"},
        "road_segment": {"attr.road_name": street, "attr.road_class": "支路", "attr.width_m": "12"},
        "bridge": {"attr.regime": "CJJ99", "attr.maint_category": "Ⅲ", "attr.span_m": "86"},
        "pump_station": {"attr.design_flow_m3_per_h": "1200", "attr.pumps": "4"},
        "water_station": {"attr.supply_m3_per_day": "50000"},
        "public_toilet": {"attr.toilet_class": "二类", "attr.stalls": "12", "attr.opening_hours": "6:00-22:00"},
        "old_building": {"attr.built_year": str(rng.randint(1950, 1999)), "attr.floors": "5", "attr.grade": "C"},
        "river_segment": {"attr.river_name": "新店溪"},
    }
    row.update(extra[kind])
    return row


def write_csv(path: Path, rows: int) -> None:
    """The file as Excel would save it: UTF-8 with BOM, Chinese headers."""
    rng = random.Random(20261126)
    fields = list(ALL_COLUMNS)
    fields.remove("code")  # every facility gets a new code
    fields.remove("url")
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([ALL_COLUMNS[f] for f in fields])
        for i in range(1, rows + 1):
            values = facility(i, rng)
            writer.writerow([values.get(f, "") for f in fields])


def fresh_app(database: Path):
    """An app on a new SQLite file, migrated, with an admin and the district's towns."""
    from flask_migrate import upgrade

    from municipal.assets.models import Area
    from municipal.auth.services import create_user
    from municipal.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        create_user("admin", "bench-password", "admin")
        district = Area(code="350111", name="晋安区", name_en="Jin'an District", level="district")
        db.session.add(district)
        db.session.flush()
        district.path = f"/{district.id}/"
        for number, name in enumerate(TOWNS, start=1):
            town = Area(code=f"350111{number:03d}", name=name, level="town", parent=district)
            db.session.add(town)
            db.session.flush()
            town.path = f"{district.path}{town.id}/"
        db.session.commit()
    return app


def count_imported(app) -> tuple[int, int]:
    import sqlalchemy as sa

    from municipal.assets.models import Asset, IdentityCode
    from municipal.extensions import db

    with app.app_context():
        assets = db.session.scalar(sa.select(sa.func.count()).select_from(Asset))
        bound = db.session.scalar(sa.select(sa.func.count()).where(IdentityCode.status == "bound"))
    return assets, bound


def main() -> int:
    """Run the benchmark, print the figures, and return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="Keep the CSV file and the database.")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench_import_"))
    csv_path = workdir / "facilities.csv"
    print(f"writing {args.rows} rows to {csv_path}")
    write_csv(csv_path, args.rows)
    print(f"    {csv_path.stat().st_size / 1e6:.1f} MB")
    app = fresh_app(workdir / "bench.db")

    print("importing")
    start = time.perf_counter()
    result = app.test_cli_runner().invoke(args=["import-assets", str(csv_path)])
    seconds = time.perf_counter() - start
    print("    " + result.output.strip().replace("\n", "\n    "))
    if result.exception and not isinstance(result.exception, SystemExit):
        traceback.print_exception(result.exception)
    assets, bound = count_imported(app)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ok = result.exit_code == 0 and assets == bound == args.rows
    verdict = "PASS" if ok and seconds <= TARGET_SECONDS else "FAIL"
    print(f"\n{args.rows} rows: {assets} facilities, {bound} codes bound, exit code {result.exit_code}")
    print(f"wall time:   {seconds:.1f} s (target <= {TARGET_SECONDS} s) {verdict}")
    print(f"peak memory: {peak_mb:.0f} MB")
    if args.keep:
        print(f"kept {workdir}")
    else:
        shutil.rmtree(workdir)
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
