"""The citizen's pages on a small phone (360 × 640) in headless Chromium: 报告问题 on the first screen of the
card, a report sent with a photo kept through an error, its status page, and no sideways scrolling."""
import io
import os
import shutil

import pytest
from PIL import Image

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not (os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")),
                       reason="no Chromium executable: install Debian's chromium or set CHROMIUM=/path/to/chromium"),
]

SMALL_PHONE = {
    "viewport": {"width": 360, "height": 640},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "user_agent": "Mozilla/5.0 (Linux; Android 10; Redmi) AppleWebKit/537.36 Chrome/120 Mobile MicroMessenger/8.0",
}


def fits(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width}px wide on a 360px screen"


def photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 90, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_citizen_reports_from_the_card_on_a_small_phone(new_context, make_asset, shots):
    dam = make_asset("reservoir", "北峰水库", area="xindian", owner_unit="晋安区水利局", maintenance_unit="新店镇水利站",
                     address="新店镇北峰村")
    page = new_context(**SMALL_PHONE).new_page()
    page.goto(f"/A/{dam.code}")
    button = page.locator("a.report")
    assert button.inner_text().strip() == "报告问题"
    box = button.bounding_box()
    assert box["y"] + box["height"] <= 640, f"报告问题 ends at {box['y'] + box['height']}px, below the fold"
    fits(page)
    shots.take(page, "citizen-card-360.png")

    with page.expect_navigation():
        button.click()
    page.wait_for_selector("textarea[name=description]")
    assert page.locator("input[value=crack]").count() == 1 and page.locator("input[value=cover_missing]").count() == 0
    assert "坝顶有裂缝" in page.locator("textarea[name=description]").get_attribute("placeholder")
    fits(page)
    # No category chosen: the form comes back, with the photo kept.
    page.locator("textarea[name=description]").fill("坝顶有裂缝")
    page.locator("input[name=photo]").set_input_files(
        files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": photo()}])
    with page.expect_navigation():
        page.locator("form.stack button[type=submit]").click()
    assert page.locator("input[name=held_photo]").count() == 1
    assert page.locator(".held img").evaluate("img => img.complete && img.naturalWidth > 0")
    fits(page)
    shots.take(page, "citizen-form-error-360.png", full_page=True)
    page.locator("input[value=crack]").check()
    with page.expect_navigation():
        page.locator("form.stack button[type=submit]").click()
    number = page.locator("code.tracking").inner_text().strip()
    assert number.startswith("R-")
    fits(page)
    with page.expect_navigation():
        page.get_by_role("link", name="查看进度").click()
    assert number in page.locator("main").inner_text() and page.locator(".status.r-new").count() == 1
    fits(page)
    shots.take(page, "citizen-status-360.png", full_page=True)


def test_the_supervisor_triages_it_on_a_small_phone(new_context, make_asset, sign_in, in_app, shots):
    from municipal.extensions import db
    from municipal.intake import services

    well = make_asset("manhole", "鼓山路9号井", area="xindian", attributes={"network": "污水"},
                      geometry={"type": "Point", "coordinates": [119.31, 26.09]})

    def report() -> int:
        made = services.submit_report(category="cover_missing", description="井盖缺失，很危险", fingerprint="e2e",
                                      asset_id=well.id)
        db.session.commit()
        return made.id

    report_id = in_app(report)
    page = new_context(**SMALL_PHONE).new_page()
    sign_in(page, "supervisor")
    page.goto(f"/reports/{report_id}")
    assert page.locator("select[name=priority]").input_value() == "urgent"
    fits(page)
    shots.take(page, "citizen-triage-360.png", full_page=True)
