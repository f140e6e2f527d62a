"""What people see in a real browser: staff search and edit, phones scanning labels, printing labels.

Runs headless Debian Chromium against the live server of conftest.py.
Screenshots for people to look at are taken when E2E_SHOTS names a folder (conftest.Shots).
"""
import io
import os
import re
import shutil
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not (os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")),
                       reason="no Chromium executable: install Debian's chromium or set CHROMIUM=/path/to/chromium"),
]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "user_agent": ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                   "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN"),
}
# The persons' phones are the lines given for 公示: the public card shows them, as the law asks.
PUBLIC_PHONE = "0591-87610001"


def reservoir(make_asset, name="登云水库", **fields):
    return make_asset(
        "reservoir", name, area="xindian", owner_unit="晋安区水利局", maintenance_unit="新店镇水利站",
        address="新店镇登云村", internal_notes="左坝肩渗水，待复查",
        persons=[{"role": "administrative", "name": "陈行政", "position": "新店镇副镇长", "phone": "0591-87610002"},
                 {"role": "patrol", "name": "林巡查", "position": "巡库员", "phone": PUBLIC_PHONE}],
        **fields,
    )


def names_listed(page) -> list[str]:
    return page.locator("table.list tbody td:nth-child(2) a").all_inner_texts()


def search(page, **fields):
    for name, value in fields.items():
        if name == "q":
            page.locator("form.filters input[name=q]").fill(value)
        else:
            page.locator(f"form.filters select[name={name}]").select_option(value)
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()


def facts(page) -> dict[str, str]:
    """The facts list of a facility page as {label: value}."""
    return page.locator("dl.facts").evaluate(
        "dl => Object.fromEntries([...dl.querySelectorAll('dt')].map(dt => [dt.innerText.trim(), dt.nextElementSibling.innerText.trim()]))"
    )


def asset_row(in_app, asset_id):
    from municipal.assets.models import Asset
    from municipal.extensions import db

    def read():
        a = db.session.get(Asset, asset_id)
        return {"maintenance_unit": a.maintenance_unit, "attributes": dict(a.attributes), "geometry": a.geometry,
                "version": a.version}

    return in_app(read)


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide on a {page.viewport_size['width']}px screen"


# --- 1. supervisor: search, open, edit ---------------------------------------------

def test_supervisor_finds_a_facility_and_edits_it(page, make_asset, sign_in, in_app, shots):
    dam = reservoir(make_asset, "登云水库")
    make_asset("manhole", "福新路污水井", area="gushan")
    sign_in(page, "supervisor")

    page.goto("/assets")
    search(page, q="登云")
    assert names_listed(page) == ["登云水库"]

    search(page, q=dam.code.lower())
    assert names_listed(page) == ["登云水库"]
    assert page.locator("table.list tbody code").all_inner_texts() == [dam.code]

    search(page, q="", type="reservoir", area="xindian", status="in_service")
    assert "登云水库" in names_listed(page) and "福新路污水井" not in names_listed(page)
    shots.take(page, "assets-filtered.png", full_page=True)
    search(page, status="under_repair")
    assert "登云水库" not in names_listed(page)
    search(page, type="", area="gushan", status="")
    assert "福新路污水井" in names_listed(page) and "登云水库" not in names_listed(page)

    search(page, q="登云", area="")
    with page.expect_navigation():
        page.get_by_role("link", name="登云水库").click()
    assert page.locator("h1").inner_text() == "登云水库"
    assert facts(page)["Maintenance unit"] == "新店镇水利站"

    with page.expect_navigation():
        page.get_by_role("link", name="Edit", exact=True).click()
    page.locator("input[name=maintenance_unit]").fill("晋安区水务集团")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert re.search(rf"/assets/{dam.id}$", page.url)
    assert facts(page)["Maintenance unit"] == "晋安区水务集团"
    shots.take(page, "detail-after-edit.png", full_page=True)
    assert asset_row(in_app, dam.id)["maintenance_unit"] == "晋安区水务集团"


def test_an_invalid_capacity_is_shown_at_the_field_and_nothing_is_saved(page, make_asset, sign_in, in_app, shots):
    dam = reservoir(make_asset, "北峰水库")
    before = asset_row(in_app, dam.id)
    sign_in(page, "supervisor")
    page.goto(f"/assets/{dam.id}/edit")
    page.locator("input[name=maintenance_unit]").fill("不该保存的单位")
    page.locator("input[name=attr_capacity_m3]").fill("abc")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Save").click()
    assert navigation.value.status == 422

    field = page.locator("label:has(input[name=attr_capacity_m3])")
    assert "invalid" in field.get_attribute("class")
    assert field.locator("input").get_attribute("aria-invalid") == "true"
    assert "number" in field.locator(".error").inner_text()
    # The other fields keep what was typed, so nothing has to be typed twice.
    assert page.locator("input[name=maintenance_unit]").input_value() == "不该保存的单位"
    assert page.locator("input[name=attr_capacity_m3]").input_value() == "abc"
    assert page.locator("span.error").count() == 1
    assert page.locator(".flash.error").is_visible()
    assert asset_row(in_app, dam.id) == before
    field.scroll_into_view_if_needed()
    shots.take(page, "edit-invalid-capacity.png", full_page=True)


def test_a_latitude_outside_the_district_is_shown_at_the_latitude_field(page, make_asset, sign_in, in_app, shots):
    dam = reservoir(make_asset, "桂湖水库")
    before = asset_row(in_app, dam.id)
    sign_in(page, "supervisor")
    page.goto(f"/assets/{dam.id}/edit")
    page.locator("input[name=maintenance_unit]").fill("不该保存的单位")
    page.locator("input[name=lat]").fill("39.9")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Save").click()
    assert navigation.value.status == 422
    assert asset_row(in_app, dam.id) == before

    position = page.locator("fieldset", has=page.locator("input[name=lat]"))
    position.scroll_into_view_if_needed()
    shots.take(page, "edit-invalid-latitude.png")
    assert "outside the district" in position.locator(".error").first.inner_text()
    latitude = page.locator("label:has(input[name=lat])")
    # The longitude is fine: the message belongs next to the latitude the user got wrong.
    assert "outside the district" in latitude.locator(".error").inner_text(timeout=2000)
    assert latitude.locator("input").get_attribute("aria-invalid") == "true"


# --- 2. phones scanning a label --------------------------------------------------------

def test_a_citizen_phone_sees_the_public_card_in_chinese(new_context, make_asset, shots):
    dam = reservoir(make_asset, "登云水库")
    page = new_context(**PHONE).new_page()
    response = page.goto(f"/A/{dam.code}")
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "登云水库"
    text = page.locator("main").inner_text()
    for expected in ("晋安区水利局", "新店镇水利站", "12345", dam.code, "小(1)型"):
        assert expected in text
    assert page.locator("a.hotline").get_attribute("href") == "tel:12345"
    html = page.content()
    assert PUBLIC_PHONE in html and "0591-87610002" in html and "左坝肩渗水" not in html
    shots.take(page, "scan-public-zh.png", full_page=True)
    # A Chinese phone gets a Chinese page, not the English source texts.
    for label in ("产权单位", "管养单位"):
        assert label in text, f"{label!r} missing: the zh catalogue is not compiled or incomplete"
    no_sideways_scroll(page)


def test_a_citizen_phone_can_switch_to_english(new_context, make_asset, shots):
    dam = reservoir(make_asset, "宦溪水库")
    page = new_context(**PHONE).new_page()
    page.goto(f"/A/{dam.code}?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    text = page.locator("main").inner_text()
    for expected in ("Owner unit", "Maintenance unit", "See a problem? Call the hotline", "12345",
                     "晋安区水利局", "新店镇水利站", "Xindian Town"):
        assert expected in text
    assert PUBLIC_PHONE in page.content()
    shots.take(page, "scan-public-en.png", full_page=True)
    no_sideways_scroll(page)


def test_signed_in_crew_on_a_phone_sees_the_staff_view(new_context, make_asset, sign_in, shots):
    dam = reservoir(make_asset, "日溪水库")
    page = new_context(**PHONE).new_page()
    sign_in(page, "crew")
    page.goto(f"/A/{dam.code}")
    assert page.locator("h1").inner_text() == "日溪水库"
    text = page.locator("main").inner_text()
    assert PUBLIC_PHONE in text and "左坝肩渗水，待复查" in text
    assert page.locator(f"a.tel[href='tel:{PUBLIC_PHONE}']").is_visible()
    # Crew may look, not change the registry.
    assert page.locator("a[href$='/edit']").count() == 0
    shots.take(page, "scan-staff-zh.png", full_page=True)
    no_sideways_scroll(page)
    page.goto(f"/A/{dam.code}?lang=en")
    assert "Maintenance unit" in page.locator("main").inner_text()
    shots.take(page, "scan-staff-en.png", full_page=True)
    no_sideways_scroll(page)


def test_the_scan_position_is_recorded_when_the_phone_allows_it(new_context, make_asset, in_app, shots):
    from municipal.assets.models import ScanLog
    from municipal.extensions import db

    dam = reservoir(make_asset, "寿山水库")
    context = new_context(**PHONE, permissions=["geolocation"],
                          geolocation={"latitude": 26.1512, "longitude": 119.3478, "accuracy": 12})
    page = context.new_page()
    page.goto(f"/A/{dam.code}")
    assert page.locator("h1").inner_text() == "寿山水库"

    def scans():
        return in_app(lambda: [
            (s.position.lon, s.position.lat, s.position.accuracy_m, s.user_id) if s.position else (None, None, None, s.user_id)
            for s in db.session.scalars(sa.select(ScanLog).where(ScanLog.asset_id == dam.id).order_by(ScanLog.id))
        ])

    # Scans are written in batches, about a second apart; the position follows when the phone sends it.
    deadline = time.monotonic() + 10
    while (not scans() or scans()[-1][1] is None) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert scans() == [(pytest.approx(119.3478), pytest.approx(26.1512), pytest.approx(12), None)]


def test_opening_the_card_sends_the_beacon_and_the_scan_is_logged(new_context, make_asset, in_app):
    """No position allowed: the page sends its beacon at once (navigator.sendBeacon, a form POST), and the
    scan row appears; loading the page alone (a prefetcher) logs nothing. A repeat visit is a 304 from the
    phone's cache, and its page sends a beacon again."""
    from municipal.assets.models import ScanLog
    from municipal.extensions import db

    well = make_asset("manhole", "六一北路7号井")
    context = new_context(**PHONE)

    def scans():
        return in_app(lambda: [(s.code_id is not None, s.scanned_text, s.user_id, "MicroMessenger" in s.user_agent)
                               for s in db.session.scalars(sa.select(ScanLog).where(ScanLog.asset_id == well.id))])

    prefetched = context.request.get(f"/A/{well.code}")
    assert prefetched.status == 200
    time.sleep(1.5)  # longer than the log's batch interval
    assert scans() == []

    page = context.new_page()
    with page.expect_request(lambda request: request.url.endswith("/scan/beacon") and request.method == "POST") as sent:
        response = page.goto(f"/A/{well.code}")
    assert response.status == 200 and response.headers["cache-control"] == "no-cache"
    assert "token=" in sent.value.post_data and sent.value.headers["content-type"].startswith("application/x-www-form")
    deadline = time.monotonic() + 10  # scans are written in batches, about a second apart
    while not scans() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert scans() == [(True, well.code, None, True)]

    # Again, from the phone's cache: the browser asks with the page's ETag (the server's 304 is shown to the
    # page as its cached 200), and the page still sends its beacon.
    # The headers are read once both requests are seen: read in a request handler, they could arrive after
    # the beacon was.
    with page.expect_request(lambda request: request.url.endswith(f"/A/{well.code}")) as again, \
            page.expect_request(lambda request: request.url.endswith("/scan/beacon")):
        page.reload()
    assert again.value.all_headers().get("if-none-match") == response.headers["etag"]
    deadline = time.monotonic() + 10
    while len(scans()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(scans()) == 2


# --- 3. the QR loop ----------------------------------------------------------------------

def test_the_qr_code_leads_back_to_the_facility(page, make_asset, live_server, in_app):
    import zxingcpp
    from PIL import Image

    from municipal.assets.models import ScanLog
    from municipal.extensions import db

    well = make_asset("manhole", "温泉路3号污水井", area="gushan", maintenance_unit="晋安区市政养护中心")
    response = page.context.request.get(f"/A/{well.code}/qr.png")
    assert response.ok and response.headers["content-type"] == "image/png"
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.body())))
    assert [r.format for r in found] == [zxingcpp.BarcodeFormat.QRCode]
    url = found[0].text
    assert url == f"{live_server}/A/{well.code}".upper()

    response = page.goto(url)
    assert response.status == 200
    assert page.url == f"{live_server}/A/{well.code}"
    assert page.locator("h1").inner_text() == "温泉路3号污水井"
    assert "晋安区市政养护中心" in page.locator("main").inner_text()
    def logged():
        return in_app(lambda: db.session.scalars(sa.select(ScanLog.scanned_text).where(ScanLog.asset_id == well.id)).all())

    deadline = time.monotonic() + 5  # scans are written in batches, about a second apart
    while not logged() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert logged() == [well.code]


# --- 4. labels ---------------------------------------------------------------------------

def test_a_supervisor_downloads_nameplates_whose_qr_codes_scan(page, make_asset, sign_in, in_app, live_server, shots):
    import pypdfium2
    import zxingcpp
    from pypdf import PdfReader

    from municipal.assets.models import Asset
    from municipal.extensions import db

    make_asset("pump_station", "鼓山一号排涝站", area="gushan", owner_unit="晋安区城乡建设局",
               maintenance_unit="鼓山镇排水所")
    make_asset("pump_station", "新店二号排涝站", area="xindian", owner_unit="晋安区城乡建设局",
               maintenance_unit="新店镇排水所")
    stations = in_app(lambda: [(a.name, a.code.code) for a in db.session.scalars(
        sa.select(Asset).where(Asset.type == "pump_station", Asset.status != "decommissioned"))])
    assert len(stations) >= 2

    sign_in(page, "supervisor")
    page.goto("/labels")
    selection = page.locator("#print-selected")
    selection.locator("select[name=type]").select_option("pump_station")
    selection.get_by_label("Outdoor nameplate", exact=False).check()
    shots.take(page, "labels-form.png", full_page=True)
    with page.expect_download() as download_info:
        selection.get_by_role("button", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename.startswith("labels-nameplate-") and download.suggested_filename.endswith(".pdf")
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF")

    document = pypdfium2.PdfDocument(pdf)
    try:
        decoded = []
        for index in range(len(document)):
            pdf_page = document[index]
            image = pdf_page.render(scale=200 / 72).to_pil()
            if index == 0:
                shots.keep(image, "label-nameplate-page1.png")
            decoded.append([r.text for r in zxingcpp.read_barcodes(image)])
            pdf_page.close()
    finally:
        document.close()
    # A nameplate is one page with one QR code, which opens that facility on this server.
    assert len(decoded) == len(stations)
    assert all(len(texts) == 1 for texts in decoded), decoded
    assert sorted(t for texts in decoded for t in texts) == sorted(f"{live_server}/A/{code}".upper() for _n, code in stations)

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    for name, code in stations:
        assert name in text, f"{name} not in the PDF text"
        assert code in text


# --- 5. a mistyped code --------------------------------------------------------------------

def test_a_mistyped_code_suggests_the_right_one(page, new_context, make_asset, shots):
    well = make_asset("manhole", "鼓山大道12号雨水井", area="gushan")
    prefix, body, check = well.code.split("-")
    wrong = body[:2] + ("Z" if body[2] != "Z" else "Y") + body[3:]
    typo = f"{prefix}-{wrong}-{check}"

    response = page.goto(f"/A/{typo}")
    assert response.status == 404
    assert "mistyped" in page.locator("h1").inner_text()
    phone = new_context(**PHONE).new_page()
    assert phone.goto(f"/A/{typo}").status == 404
    shots.take(phone, "scan-mistyped-zh.png", full_page=True)
    no_sideways_scroll(phone)

    suggestion = page.locator("ul.suggestions a", has_text=well.code)
    assert suggestion.count() == 1
    assert "鼓山大道12号雨水井" in suggestion.inner_text()
    with page.expect_navigation():
        suggestion.click()
    assert page.locator("h1").inner_text() == "鼓山大道12号雨水井"
    # The link is the code's canonical address, the one its QR code holds.
    assert page.url.endswith(f"/A/{well.code}"), page.url


# --- 4. scripts from files only (the Content-Security-Policy refuses inline ones) ------------

def test_revoking_a_code_asks_first_and_only_a_yes_revokes_it(page, make_asset, sign_in, in_app):
    from municipal.assets.models import IdentityCode
    from municipal.extensions import db

    well = make_asset("manhole", "鼓山大道14号雨水井", area="gushan")
    sign_in(page, "supervisor")
    page.goto(f"/assets/{well.id}")
    page.locator("summary", has_text="Revoke the current code").click()
    page.locator("form[data-confirm] textarea, form[data-confirm] input[name=reason]").first.fill("label burnt")
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.locator("button.danger", has_text="Revoke and issue a replacement").click()
    page.wait_for_timeout(300)
    assert questions and well.code in questions[0]
    status = lambda: in_app(lambda: db.session.scalar(  # noqa: E731
        sa.select(IdentityCode.status).where(IdentityCode.code == well.code)))
    assert status() == "bound"

    page.once("dialog", lambda dialog: answer(dialog, True))
    with page.expect_navigation():
        page.locator("button.danger", has_text="Revoke and issue a replacement").click()
    assert status() == "revoked"


def test_the_report_form_adds_the_phones_location(new_context, make_asset):
    dam = reservoir(make_asset, "桂湖水库")
    context = new_context(**{**PHONE, "locale": "en-US"}, permissions=["geolocation"],
                          geolocation={"latitude": 26.1512, "longitude": 119.3478})
    page = context.new_page()
    page.goto(f"/A/{dam.code}/report")
    page.locator("#locate").click()
    page.wait_for_function("document.querySelector('[name=lat]').value !== ''")
    assert page.locator("[name=lon]").input_value() == "119.347800"
    assert page.locator("#located").inner_text() == "Location added."
