"""Benchmark submitting a completed inspection with three phone photos.

Target: a reservoir dam patrol submitted with 3 photos of 4000 × 3000 pixels (JPEG, EXIF-rotated
like a phone's) takes at most 1.5 s on the server, from the request to the committed answer.
The request goes through the whole application (multipart parsing, CSRF, checks, image
processing, database, audit trail) in-process, so network time is not counted. Each run uses a
fresh work order; the median and the worst count. Exits 1 on FAIL.

Usage: .venv/bin/python scripts/bench_submit.py [--runs 5] [--db sqlite:///…]
"""
import argparse
import re
import statistics
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from municipal import create_app  # noqa: E402
from municipal.extensions import db  # noqa: E402

TARGET_SECONDS = 1.5
PASSWORD = "bench password 1"


def phone_photo(seed: int) -> bytes:
    """A 4000 × 3000 JPEG of 3–5 MB, with detail (so it compresses like a photo) and EXIF orientation 6."""
    small = Image.effect_noise((500, 375), 60 + seed).convert("RGB")
    draw = ImageDraw.Draw(small)
    for i in range(0, 500, 25):
        draw.line([(i, 0), (500 - i, 375)], fill=(i % 255, 120, 200 - i % 200), width=3)
    image = small.resize((4000, 3000), Image.Resampling.BICUBIC).filter(ImageFilter.DETAIL)
    noise = Image.effect_noise((4000, 3000), 25).convert("RGB")
    image = Image.blend(image, noise, 0.25)
    exif = Image.Exif()
    exif[0x0112] = 6  # the phone was held upright: rotate on display
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=92, exif=exif)
    return buffer.getvalue()


def setup(app):
    from municipal.assets import services as assets
    from municipal.assets.models import Area
    from municipal.auth.services import create_user
    from municipal.workorders.checklists import sync_templates

    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        sync_templates()
        district = Area(code="350111", name="晋安区", name_en="Jin'an District", level="district", path="/")
        db.session.add(district)
        db.session.flush()
        district.path = f"/{district.id}/"
        supervisor = create_user("bench-supervisor", PASSWORD, "supervisor")
        crew = create_user("bench-crew", PASSWORD, "crew")
        reservoir = assets.create_asset(supervisor, {
            "type": "reservoir", "name": "登云水库", "area": district.code,
            "attributes": {"capacity_m3": 3_500_000, "dam_height_m": 18, "dam_type": "土坝"},
            "geometry": {"type": "Point", "coordinates": [119.35, 26.15]}})
        db.session.commit()
        return supervisor.id, crew.id, reservoir.id


def new_order(app, supervisor_id, crew_id, asset_id) -> tuple[int, list]:
    from municipal.auth.models import User
    from municipal.workorders import checklist_rules
    from municipal.workorders import services as work

    with app.app_context():
        order = work.create_work_order(db.session.get(User, supervisor_id), asset_id=asset_id, kind="inspection",
                                       title="汛期日常巡查", assignee_user_id=crew_id)
        db.session.commit()
        return order.id, checklist_rules.items_of(order.checklist_template.items)


def answers_for(items) -> dict:
    """Every item answered as a careful crew would: all sound, numbers in range, a note."""
    form = {}
    for item in items:
        name = f"item.{item.key}"
        if item.type == "pass_fail":
            form[name] = "pass"
        elif item.type == "number":
            low = item.min if item.min is not None else 0
            high = item.max if item.max is not None else low + 10
            form[name] = str((low + high) / 2)
        elif item.type == "choice":
            form[name] = next(c["key"] for c in item.choices if not c["finding"])
        elif item.type == "note":
            form[name] = "正常"
    return form


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", help="SQLAlchemy URL (default: a fresh SQLite file)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench_submit_"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db or f"sqlite:///{workdir / 'bench.db'}",
                      "SECRET_KEY": "bench", "MEDIA_DIR": str(workdir / "media"), "SCAN_LOG_FLUSH_SECONDS": 0})
    print(f"Preparing a database and three 4000 × 3000 photos in {workdir} …", flush=True)
    supervisor_id, crew_id, asset_id = setup(app)
    photos = [phone_photo(i) for i in range(3)]
    print("Photo sizes: " + ", ".join(f"{len(p) / 1e6:.1f} MB" for p in photos), flush=True)

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "bench-crew", "password": PASSWORD, "csrf_token": token})

    timings = []
    for run in range(args.runs):
        order_id, items = new_order(app, supervisor_id, crew_id, asset_id)
        page = client.get(f"/work/{order_id}/record").get_data(as_text=True)
        fields = {name: re.search(rf'name="{name}"[^>]*value="([^"]+)"', page).group(1)
                  for name in ("csrf_token", "idempotency_key")}
        photo_item = next(item.key for item in items if item.type == "photo")
        data = {**fields, **answers_for(items), "time_spent_min": "35", "latitude": "26.1502", "longitude": "119.3501",
                f"photo.{photo_item}": (BytesIO(photos[0]), "IMG_0001.jpg"),
                "photos": [(BytesIO(photos[1]), "IMG_0002.jpg"), (BytesIO(photos[2]), "IMG_0003.jpg")]}
        started = time.perf_counter()
        response = client.post(f"/work/{order_id}/record", data=data, content_type="multipart/form-data")
        elapsed = time.perf_counter() - started
        if response.status_code != 303:
            print(f"run {run + 1}: the submission failed with {response.status_code}", file=sys.stderr)
            return 1
        timings.append(elapsed)
        print(f"run {run + 1}/{args.runs}: {elapsed:.3f} s", flush=True)

    median, worst = statistics.median(timings), max(timings)
    verdict = "PASS" if worst <= TARGET_SECONDS else "FAIL"
    print(f"Submission with 3 photos of 4000 × 3000: median {median:.3f} s, worst {worst:.3f} s "
          f"(target ≤ {TARGET_SECONDS} s): {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
