"""Benchmark the crew's phone app in headless Debian Chromium against the app on a local server.

Targets (issue 15):
- the record form's first load, cold cache, on emulated Slow-3G (400 kbit/s both ways, 400 ms round trip, set
  through the devtools protocol): at most 150 KB transferred and usable (the form restored and ready) in 3 s;
- a repeat visit offline: 0 bytes from the network;
- a record with three 12-megapixel photos: at most 1.5 MB uploaded (the phone makes them smaller);
- 50 records queued offline, then synced through a connection that drops 30 % of the requests (half before the
  server sees them, half after it answered): 0 lost, 0 duplicated.

The server runs in a thread of this process on a temporary SQLite file. Prints the figures and PASS or FAIL;
exits 1 on a FAIL. Usage: .venv/bin/python scripts/bench_field.py [--records 50]
"""
import argparse
import io
import logging
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_submit import phone_photo  # noqa: E402

from municipal import create_app  # noqa: E402
from municipal.extensions import db  # noqa: E402

PASSWORD = "bench password 1"
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
CHROMIUM_ARGS = ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
results = []


def verdict(name, value, ok, unit=""):
    results.append(ok)
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {value}{unit}")


def setup(app, orders: int):
    from flask_migrate import upgrade

    from municipal.assets import services as assets
    from municipal.assets.models import Area
    from municipal.auth.services import create_user
    from municipal.workorders import services as work
    from municipal.workorders.checklists import sync_templates

    with app.app_context():
        upgrade()
        sync_templates()
        district = Area(code="350111", name="晋安区", name_en="Jin'an District", level="district", path="/")
        db.session.add(district)
        db.session.flush()
        district.path = f"/{district.id}/"
        supervisor = create_user("supervisor", PASSWORD, "supervisor")
        crew = create_user("crew", PASSWORD, "crew")
        dam = assets.create_asset(supervisor, {
            "type": "reservoir", "name": "登云水库", "area": district.code,
            "attributes": {"capacity_m3": 3_500_000, "dam_height_m": 18, "dam_type": "土坝"},
            "geometry": {"type": "Point", "coordinates": [119.35, 26.15]}})
        ids = [work.create_work_order(supervisor, asset_id=dam.id, kind="inspection", title=f"汛期日常巡查 {i + 1}",
                                      assignee_user_id=crew.id).id for i in range(orders)]
        db.session.commit()
        return ids


UPLOADED = {"bytes": 0}


def counting(wsgi_app):
    """The request bodies the phone sends to the API, counted as the server receives them."""
    def app(environ, start_response):
        if environ["PATH_INFO"].startswith("/api/v1/") and environ["REQUEST_METHOD"] == "POST":
            UPLOADED["bytes"] += int(environ.get("CONTENT_LENGTH") or 0)
        return wsgi_app(environ, start_response)
    return app


def serve(app):
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, counting(app), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def sign_in(page):
    page.goto("/login")
    page.locator("input[name=username]").fill("crew")
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def fill(page, photos=()):
    page.wait_for_selector("#record-form[data-ready='1']")
    page.get_by_role("button", name="全部正常").click()
    for number in page.locator(".item input[type=number]").all():
        number.fill("56.2")
    for path in photos:
        page.locator(".item[data-type=photo] input[type=file]").first.set_input_files(path)
    page.wait_for_function(f"() => document.querySelectorAll('.thumb').length === {len(photos)}", timeout=60000)


class Meter:
    """Bytes the page took from the network (not from its service worker or caches), by the devtools protocol."""

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.bytes = 0
        self.from_worker = set()
        self.cdp.on("Network.responseReceived", self._response)
        self.cdp.on("Network.loadingFinished", self._finished)

    def _response(self, event):
        response = event["response"]
        if response.get("fromServiceWorker") or response.get("fromDiskCache"):
            self.from_worker.add(event["requestId"])

    def _finished(self, event):
        if event["requestId"] not in self.from_worker:
            self.bytes += event["encodedDataLength"]


def first_load(browser, base, order_id):
    context = browser.new_context(**PHONE, base_url=base)
    page = context.new_page()
    sign_in(page)
    page.goto("about:blank")  # My work, where sign-in lands, starts the offline pack: not part of this load
    meter = Meter(page)
    meter.cdp.send("Network.clearBrowserCache")
    meter.cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    started = time.perf_counter()
    page.goto(f"/work/{order_id}/record", wait_until="commit")
    page.wait_for_selector("#record-form[data-ready='1']", timeout=60000)
    usable = time.perf_counter() - started
    at_usable = meter.bytes
    page.wait_for_load_state("load")
    verdict("record form, first load on Slow-3G: usable after", f"{usable:.2f}", usable <= 3.0, " s")
    verdict("record form, first load on Slow-3G: transferred", f"{meter.bytes / 1024:.1f}",
            meter.bytes <= 150 * 1024, f" KB ({at_usable / 1024:.1f} KB when usable)")
    meter.cdp.send("Network.emulateNetworkConditions", {**SLOW_3G, "latency": 0, "downloadThroughput": -1,
                                                          "uploadThroughput": -1})
    # The repeat visit: the service worker has the page and everything it needs.
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("() => !!(navigator.serviceWorker && navigator.serviceWorker.controller)", timeout=30000)
    page.wait_for_selector("#record-form[data-ready='1']")
    context.set_offline(True)
    offline = Meter(page)
    page.reload()
    page.wait_for_selector("#record-form[data-ready='1']", timeout=30000)
    verdict("record form, repeat visit offline: from the network", offline.bytes, offline.bytes == 0, " bytes")
    context.close()


def pack_size(browser, base):
    """Not a target: what opening My work the first time costs, offline pack included (the scanner's decoder is
    most of it), on a normal connection."""
    context = browser.new_context(**PHONE, base_url=base)
    page = context.new_page()
    sign_in(page)
    page.goto("about:blank")
    meter = Meter(page)
    meter.cdp.send("Network.clearBrowserCache")
    page.goto("/work/mine")
    page.wait_for_function("() => !!document.getElementById('pack-status').dataset.updated", timeout=120000)
    print(f"      (My work's first opening with its offline pack: {meter.bytes / 1024:.0f} KB transferred)")
    context.close()


def upload_size(browser, base, order_id, workdir):
    paths = []
    for seed in range(3):
        path = workdir / f"photo{seed}.jpg"
        path.write_bytes(phone_photo(seed))
        paths.append(str(path))
    original = sum(Path(p).stat().st_size for p in paths)
    context = browser.new_context(**PHONE, base_url=base, service_workers="block")
    page = context.new_page()
    sign_in(page)
    page.goto(f"/work/{order_id}/record")
    fill(page, paths)
    UPLOADED["bytes"] = 0
    with page.expect_navigation(timeout=60000):
        page.get_by_role("button", name="提交").click()
    uploaded = UPLOADED["bytes"]
    verdict("a record with three 12-megapixel photos: uploaded", f"{uploaded / 1024 / 1024:.2f}",
            uploaded <= 1.5 * 1024 * 1024, f" MB (the photos were {original / 1024 / 1024:.1f} MB)")
    context.close()


def queued_sync(browser, base, app, order_ids, workdir):
    from municipal.inspections.models import Inspection

    photo = workdir / "small.jpg"
    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((1600, 1200), 40).convert("RGB").save(buffer, "JPEG", quality=80)
    photo.write_bytes(buffer.getvalue())
    context = browser.new_context(**PHONE, base_url=base, service_workers="block")
    page = context.new_page()
    sign_in(page)
    dice = random.Random(15)
    link = {"up": False}
    drops = {"before": 0, "after": 0, "requests": 0}

    def flaky(route):
        if not link["up"]:
            return route.abort("internetdisconnected")
        drops["requests"] += 1
        roll = dice.random()
        if roll < 0.15:
            drops["before"] += 1
            return route.abort("connectionreset")
        if roll < 0.30:
            route.fetch()
            drops["after"] += 1
            return route.abort("connectionreset")
        return route.continue_()

    page.route(lambda url: "/api/v1/" in url or "/field/session" in url, flaky)
    # One record filled in on the form, the others made from it as the form would (own ids, own photo ids).
    page.goto(f"/work/{order_ids[0]}/record")
    fill(page, [str(photo)])
    page.get_by_role("button", name="提交").click()
    page.wait_for_function("() => document.getElementById('record-banner').textContent.includes('待发送')")
    page.evaluate("""async (orders) => {
        const [first] = (await FieldStore.all('records')).filter(r => r.state === 'queued');
        for (const order of orders) {
            await FieldStore.put('records', {...first, key: crypto.randomUUID(), order, url: `/work/${order}/record`,
                photos: first.photos.map(p => ({...p, id: crypto.randomUUID(), uploaded: false}))});
        }
    }""", order_ids[1:])
    queued = page.evaluate("() => FieldOutbox.pending().then(r => r.length)")
    link["up"] = True
    started = time.perf_counter()
    left = queued
    for _attempt in range(100):
        left = page.evaluate("() => FieldOutbox.flush({force: true}).then(() => FieldOutbox.pending()).then(r => r.length)")
        if left == 0:
            break
    took = time.perf_counter() - started
    with app.app_context():
        counts = dict(db.session.execute(sa.select(Inspection.work_order_id, sa.func.count())
                                         .group_by(Inspection.work_order_id)).all())
        photos = db.session.scalar(sa.text(
            "SELECT count(*) FROM inspection_photo JOIN inspection ON inspection.id = inspection_photo.inspection_id "
            f"WHERE inspection.work_order_id IN ({', '.join(str(int(o)) for o in order_ids)})"))
    lost = sum(1 for order in order_ids if counts.get(order, 0) == 0)
    duplicated = sum(count - 1 for count in counts.values() if count > 1)
    print(f"      {queued} records queued; {drops['requests']} requests, {drops['before']} dropped before the server, "
          f"{drops['after']} after its answer; synced in {took:.1f} s; {left} left on the phone; {photos} photos stored")
    verdict(f"{queued} queued records through 30 % drops: lost", lost, lost == 0 and left == 0)
    verdict(f"{queued} queued records through 30 % drops: duplicated", duplicated, duplicated == 0 and photos == queued)
    context.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("No Chromium: install Debian's chromium (scripts/install_system_deps.sh --test).")
    workdir = Path(tempfile.mkdtemp(prefix="bench-field-"))
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}", "SECRET_KEY": "bench",
                          "MEDIA_DIR": str(workdir / "media"), "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
        orders = setup(app, args.records + 2)
        server, base = serve(app)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            first_load(browser, base, orders[0])
            pack_size(browser, base)
            upload_size(browser, base, orders[1], workdir)
            queued_sync(browser, base, app, orders[2:], workdir)
            browser.close()
        server.shutdown()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
