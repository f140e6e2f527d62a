"""The crew's phone app in a real browser: installed service worker, offline pages, drafts, the outbox, the
scanner. Each test makes its own phone (a fresh browser context: empty storage, no service worker)."""
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.e2e.test_browser import PHONE, no_sideways_scroll, pytestmark, reservoir  # noqa: F401



@pytest.fixture
def phone_context(browser, live_server):
    """phone_context(**overrides): a phone with the service worker allowed (the suite's other contexts block it),
    failing the test on any Content-Security-Policy violation, as conftest's new_context does."""
    made, violations = [], []

    def make(**overrides):
        options = {**PHONE, "base_url": live_server, "timezone_id": "Asia/Shanghai", "service_workers": "allow",
                   **overrides}
        context = browser.new_context(**options)
        context.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()
    assert not violations, violations


@pytest.fixture
def crew_order(in_app, make_asset):
    """A dam with a patrol assigned to the crew member; returns (facility, order id, number)."""
    from municipal.auth.models import User
    from municipal.extensions import db
    from municipal.workorders import services
    from municipal.workorders.checklists import sync_templates

    dam = reservoir(make_asset, "北峰水库")

    def create():
        sync_templates()
        users = {u.username: u for u in db.session.scalars(sa.select(User))}
        order = services.create_work_order(users["supervisor"], asset_id=dam.id, kind="inspection",
                                           title="汛期日常巡查", priority="high", assignee_user_id=users["crew"].id)
        db.session.commit()
        return order.id, order.number

    order_id, number = in_app(create)
    return dam, order_id, number


def wait_for_worker(page):
    page.wait_for_function("() => !!(navigator.serviceWorker && navigator.serviceWorker.controller)", timeout=15000)


def test_my_work_keeps_the_pack_and_everything_opens_without_a_connection(phone_context, sign_in, crew_order, shots):
    dam, order_id, number = crew_order
    context = phone_context(viewport={"width": 360, "height": 740})
    phone = context.new_page()
    sign_in(phone, "crew")
    phone.goto("/work/mine")
    wait_for_worker(phone)
    phone.wait_for_function("() => !!document.getElementById('pack-status').dataset.updated", timeout=15000)
    assert "已保存到手机" in phone.locator("#pack-status").inner_text()
    shots.take(phone, "crew-my-work-zh.png", full_page=True)
    no_sideways_scroll(phone)

    context.set_offline(True)
    phone.reload()
    assert number in phone.locator("main").inner_text()
    # The page reads the pack's time from the phone's store after it loads.
    expect(phone.locator("#pack-status")).to_contain_text("更新于")
    phone.goto(f"/work/{order_id}")
    assert number in phone.locator("main").inner_text()
    phone.goto(f"/assets/{dam.id}")
    assert dam.name in phone.locator("main").inner_text()
    phone.goto(f"/work/{order_id}/record")
    phone.wait_for_selector("#record-form[data-ready='1']")
    assert phone.locator(".item").count() > 10
    no_sideways_scroll(phone)
    # The scanner too, and a code typed there opens the facility kept on the phone.
    phone.goto("/scan")
    phone.locator("#scan-code").fill(dam.code)
    with phone.expect_navigation():
        phone.get_by_role("button", name="打开设施").click()
    assert phone.url.endswith(f"/assets/{dam.id}") and dam.name in phone.locator("main").inner_text()
    # A page that is not kept: the app's own offline page, not the browser's error.
    phone.goto("/calendar")
    assert "没有网络连接" in phone.locator("h1").inner_text()
    context.set_offline(False)


def fill_record(page, tmp_path=None, problem_photo=False):
    """Every item of the dam patrol answered sound; with problem_photo, one item has a problem and its photo."""
    page.wait_for_selector("#record-form[data-ready='1']")
    page.get_by_role("button", name="全部正常").click()
    assert page.locator(".item input[type=radio][value=pass]:not(:checked)").count() == 0
    # Only an item with a problem asks for its photo.
    assert page.locator(".item:has(input[value=fail]) .on-problem input[type=file]:visible").count() == 0
    for number_input in page.locator(".item input[type=number]").all():
        number_input.fill("56.2")
    photo_item = page.locator(".item[data-type=photo]").first
    photo_item.locator("input[type=file]").set_input_files(photo_file(tmp_path, "overview.jpg"))
    expected = 1
    if problem_photo:
        failed = page.locator(".item:has(input[value=fail])").nth(3)
        failed.locator("input[value=fail]").check()
        assert failed.locator("input[type=file]").is_visible()
        failed.locator("input[type=file]").set_input_files(photo_file(tmp_path, "problem.jpg"))
        expected = 2
    page.locator("textarea[name=notes]").fill("坝顶巡查一遍，正常。")
    page.wait_for_function(f"() => document.querySelectorAll('.thumb').length === {expected}")


def photo_file(tmp_path, name, size=(2400, 1800)):
    import io

    from PIL import Image

    path = tmp_path / name
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 140, 90)).save(buffer, "JPEG", quality=95)
    path.write_bytes(buffer.getvalue())
    return str(path)


def inspections_of(in_app, order_id):
    from municipal.extensions import db
    from municipal.inspections.models import Inspection

    def read():
        rows = db.session.scalars(sa.select(Inspection).where(Inspection.work_order_id == order_id)).all()
        return [(row.id, len(row.photos)) for row in rows]

    return in_app(read)


def waiting_count(page) -> str:
    link = page.locator("#outbox-link")
    return "" if link.is_hidden() else page.locator("#outbox-count").inner_text()


def test_a_record_submitted_offline_waits_then_goes_once_when_the_signal_returns(phone_context, sign_in, crew_order,
                                                                                  in_app, tmp_path, shots):
    dam, order_id, number = crew_order
    context = phone_context(permissions=["geolocation"], viewport={"width": 360, "height": 740},
                            geolocation={"latitude": 26.1503, "longitude": 119.3502, "accuracy": 9})
    phone = context.new_page()
    sign_in(phone, "crew")
    phone.goto(f"/work/{order_id}/record")
    wait_for_worker(phone)
    # A file that is not a photo is refused on the phone.
    not_photo = tmp_path / "notes.txt"
    not_photo.write_text("not a photo")
    photo_input = phone.locator(".item[data-type=photo] input[type=file]").first
    photo_input.set_input_files(str(not_photo))
    phone.locator(".photo-error").wait_for()
    assert "不是手机能读取的照片" in phone.locator(".photo-error").inner_text()
    fill_record(phone, tmp_path, problem_photo=True)
    no_sideways_scroll(phone)
    shots.take(phone, "crew-record-360-zh.png", full_page=True)
    context.set_offline(True)
    phone.get_by_role("button", name="提交").click()
    phone.wait_for_function("() => document.getElementById('outbox-count').textContent === '1'")
    assert "待发送" in phone.locator("#record-banner").inner_text()
    assert "待发送" in phone.locator("#outbox-link").inner_text()
    shots.take(phone, "crew-record-queued-zh.png", full_page=False)
    no_sideways_scroll(phone)
    assert inspections_of(in_app, order_id) == []
    # Kept on the phone made smaller: longest side 1,600 px, JPEG.
    kept = phone.evaluate("""async () => {
        const record = (await FieldStore.all('records')).find(r => r.state === 'queued');
        return Promise.all(record.photos.map(async p => {
            const bitmap = await createImageBitmap(p.blob); return [bitmap.width, bitmap.height, p.blob.type]; }));
    }""")
    assert kept == [[1600, 1200, "image/jpeg"]] * 2

    context.set_offline(False)  # the online event sends it
    phone.wait_for_function("() => document.getElementById('outbox-link').hidden", timeout=20000)
    assert [photos for _id, photos in inspections_of(in_app, order_id)] == [2]
    # Sending again (a second start of the app) finds nothing left to send and adds nothing.
    phone.evaluate("() => FieldOutbox.flush({force: true})")
    assert len(inspections_of(in_app, order_id)) == 1


def test_a_dropping_connection_loses_nothing_and_sends_nothing_twice(new_context, sign_in, in_app, make_asset, tmp_path):
    """Three records with photos queued offline, then sent through a connection that drops about 30 % of the
    requests: half of the drops before the server sees them, half after it answered (the answer is lost)."""
    import random

    from municipal.auth.models import User
    from municipal.extensions import db
    from municipal.workorders import services
    from municipal.workorders.checklists import sync_templates

    dam = reservoir(make_asset, "日溪水库")

    def create():
        sync_templates()
        users = {u.username: u for u in db.session.scalars(sa.select(User))}
        return [services.create_work_order(users["supervisor"], asset_id=dam.id, kind="inspection", title=f"巡查{i}",
                                           assignee_user_id=users["crew"].id).id for i in range(3)]

    orders = in_app(lambda: (lambda ids: (db.session.commit(), ids)[1])(create()))
    context = new_context(**PHONE)  # the page's own outbox: route interception sees its requests
    phone = context.new_page()
    sign_in(phone, "crew")
    dice = random.Random(15)
    link = {"up": False}
    drops = {"before": 0, "after": 0}

    def flaky(route):
        if not link["up"]:  # no signal: the outbox cannot reach the server, pages still load
            return route.abort("internetdisconnected")
        roll = dice.random()
        if roll < 0.15:
            drops["before"] += 1
            return route.abort("connectionreset")
        if roll < 0.30:
            route.fetch()  # the server does the work; its answer never reaches the phone
            drops["after"] += 1
            return route.abort("connectionreset")
        return route.continue_()

    phone.route(lambda url: "/api/v1/" in url or "/field/session" in url, flaky)
    for order_id in orders:
        phone.goto(f"/work/{order_id}/record")
        fill_record(phone, tmp_path, problem_photo=True)
        phone.get_by_role("button", name="提交").click()
        phone.wait_for_function("() => document.getElementById('record-banner').textContent.includes('待发送')")
    assert phone.locator("#outbox-count").inner_text() == "3"
    link["up"] = True
    phone.goto("/work/mine")
    for _attempt in range(40):
        left = phone.evaluate("() => FieldOutbox.flush({force: true}).then(() => FieldOutbox.pending())"
                              ".then(r => r.length)")
        if left == 0:
            break
    assert left == 0
    assert drops["before"] + drops["after"] > 0
    assert [[photos for _id, photos in inspections_of(in_app, order_id)] for order_id in orders] == [[2], [2], [2]]


def test_an_expired_session_leads_to_sign_in_and_back_to_the_intact_draft(new_context, sign_in, crew_order, e2e_app,
                                                                           tmp_path):
    from datetime import timedelta

    dam, order_id, number = crew_order
    phone = new_context(**PHONE).new_page()
    sign_in(phone, "crew")
    phone.goto(f"/work/{order_id}/record")
    fill_record(phone, tmp_path)
    phone.locator("textarea[name=notes]").fill("右坝肩有少量渗水，已标记。")
    phone.wait_for_timeout(400)  # the draft is saved a moment after the last keystroke
    clock = e2e_app.extensions["clock"]
    before = clock.now()
    clock.set(before + timedelta(hours=3))  # longer than SESSION_IDLE_MINUTES
    try:
        phone.reload()
        assert "/login" in phone.url
        phone.locator("input[name=username]").fill("crew")
        phone.locator("input[name=password]").fill("correct horse battery")
        with phone.expect_navigation():
            phone.locator("main form button[type=submit]").click()
        phone.wait_for_url(f"**/work/{order_id}/record")
        phone.wait_for_selector("#record-form[data-ready='1']")
        assert "已从手机恢复" in phone.locator("#record-banner").inner_text()
        assert phone.locator("textarea[name=notes]").input_value() == "右坝肩有少量渗水，已标记。"
        assert phone.locator(".thumb").count() == 1
        assert phone.locator(".item input[type=radio][value=pass]:checked").count() > 10
    finally:
        clock.set(before)


def test_a_refused_queued_record_stays_on_the_phone_with_the_servers_message(new_context, sign_in, crew_order, in_app,
                                                                              tmp_path):
    from municipal.auth.models import User
    from municipal.extensions import db
    from municipal.workorders import services
    from municipal.workorders.models import WorkOrder

    dam, order_id, number = crew_order
    context = new_context(**PHONE)
    phone = context.new_page()
    sign_in(phone, "crew")
    phone.goto(f"/work/{order_id}/record")
    fill_record(phone, tmp_path)
    context.set_offline(True)
    phone.get_by_role("button", name="提交").click()
    phone.wait_for_function("() => document.getElementById('outbox-count').textContent === '1'")

    def cancel():  # meanwhile, at the office
        supervisor = db.session.scalar(sa.select(User).where(User.username == "supervisor"))
        order = db.session.get(WorkOrder, order_id)
        services.act(supervisor, order_id, "cancel", version=order.version, reason="重复派单")
        db.session.commit()

    in_app(cancel)
    context.set_offline(False)
    phone.wait_for_function("() => document.getElementById('outbox-link').classList.contains('has-refused')",
                            timeout=20000)
    phone.goto("/field/outbox")
    item = phone.locator(".outbox-item.refused")
    item.wait_for()
    assert "被退回" in item.inner_text() and "已取消" in item.inner_text()
    assert inspections_of(in_app, order_id) == []
    # Still there after the app starts again; the crew member decides.
    phone.reload()
    phone.locator(".outbox-item.refused").wait_for()
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.locator(".outbox-item.refused button.danger").click()
    phone.wait_for_function("() => document.querySelectorAll('.outbox-item').length === 0")
    assert phone.locator("#outbox-link").is_hidden()


def label_video(path, text, size=(640, 480), frames=6):
    """A short YUV4MPEG2 video of a facility's QR label, as Chromium's fake camera plays it (in a loop)."""
    from io import BytesIO

    from PIL import Image

    from municipal.assets.identity.qr import qr_png

    label = Image.open(BytesIO(qr_png(text, scale=8))).convert("L")
    frame = Image.new("L", size, 255)
    frame.paste(label, ((size[0] - label.width) // 2, (size[1] - label.height) // 2))
    chroma = bytes([128]) * (size[0] // 2 * size[1] // 2)
    with open(path, "wb") as video:
        video.write(f"YUV4MPEG2 W{size[0]} H{size[1]} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)
    return str(path)


def test_typed_codes_are_checked_on_the_phone_and_unknown_ones_at_the_server(new_context, sign_in, crew_order):
    from municipal.assets.identity.codes import generate

    dam, order_id, number = crew_order
    phone = new_context(**PHONE).new_page()  # no camera here: the page says so and offers typing
    sign_in(phone, "crew")
    phone.goto("/scan")
    phone.wait_for_function("() => document.getElementById('scan-status').textContent.includes('无法使用摄像头')")
    typed = dam.code[:-1] + ("A" if dam.code[-1] != "A" else "B")  # a wrong check character
    phone.locator("#scan-code").fill(typed)
    phone.get_by_role("button", name="打开设施").click()
    assert "不是有效的编码" in phone.locator("#scan-error").inner_text()
    nobodys = generate(dam.code.split("-")[0])
    phone.locator("#scan-code").fill(nobodys.lower().replace("-", " "))
    phone.get_by_role("button", name="打开设施").click()
    phone.wait_for_function("() => document.getElementById('scan-error').textContent.includes('没有设施')")
    assert phone.locator("#scan-code").input_value() == nobodys  # offered again for typing
    no_sideways_scroll(phone)
    phone.locator("#scan-code").fill(dam.code.lower())
    with phone.expect_navigation():
        phone.get_by_role("button", name="打开设施").click()
    assert number in phone.locator(".due-here").inner_text()


def test_the_scanner_reads_a_label_with_the_camera(browser_type, browser_type_launch_args, live_server, sign_in,
                                                  crew_order, tmp_path, shots):
    dam, order_id, number = crew_order
    video = label_video(tmp_path / "label.y4m", f"{live_server}/A/{dam.code}".upper())
    camera = browser_type.launch(executable_path=browser_type_launch_args["executable_path"], args=[
        *browser_type_launch_args["args"],
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"])
    violations, outside = [], []
    try:
        context = camera.new_context(**PHONE, base_url=live_server, permissions=["camera"])
        context.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        context.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server) else None)
        phone = context.new_page()
        sign_in(phone, "crew")
        # The polyfill (desktop Linux has no native detector, like iPhones) reads the label; the facility opens.
        phone.goto("/scan")
        phone.wait_for_url(f"**/A/{dam.code}", timeout=20000)
        assert dam.name in phone.locator("main").inner_text()
        assert number in phone.locator(".due-here").inner_text()
        assert outside == [], outside  # nothing from a CDN
    finally:
        camera.close()
    assert not violations, violations


def test_a_phone_with_its_own_barcode_detector_uses_it_and_never_loads_the_polyfill(new_context, sign_in, crew_order,
                                                                                   live_server):
    dam, order_id, number = crew_order
    context = new_context(**PHONE)
    # An Android phone: a native BarcodeDetector, and a camera (a canvas stream stands in for it).
    context.add_init_script(f"""
        window.BarcodeDetector = class {{
            constructor(options) {{ this.formats = options.formats; }}
            async detect() {{ return [{{rawValue: {f"{live_server}/A/{dam.code}".upper()!r}}}]; }}
        }};
        navigator.mediaDevices.getUserMedia = async () => {{
            const canvas = document.createElement('canvas'); canvas.width = 320; canvas.height = 240;
            canvas.getContext('2d').fillRect(0, 0, 320, 240);
            return canvas.captureStream(5);
        }};
    """)
    loaded = []
    # The polyfill comes as a script element, only when the page wants it (the offline pack fetches it otherwise).
    context.on("request", lambda r: loaded.append(r.url) if r.resource_type == "script" and (
        "/vendor/barcode-detector/" in r.url or "/vendor/zxing-wasm/" in r.url) else None)
    phone = context.new_page()
    sign_in(phone, "crew")
    phone.goto("/scan")
    phone.wait_for_url(f"**/A/{dam.code}", timeout=15000)
    assert number in phone.locator(".due-here").inner_text()
    assert loaded == []
