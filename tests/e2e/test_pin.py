"""A citizen without a code, on a 360 px phone in Chromium: the phone's position puts the pin, the form
suggests the manhole 12 m away and shows the report already there (已有人报告) with its progress; a pin
dropped 100 m off suggests nothing; a tap on the manhole on the map picks it; 我也遇到 adds the citizen's word to that report. No sideways scrolling."""
import pytest
from playwright.sync_api import expect

from tests.e2e.test_citizen import SMALL_PHONE, fits

pytestmark = pytest.mark.e2e

# A corner of the district no other browser test uses: the live server's database is shared.
HERE = (119.561, 26.452)
METRES_PER_DEGREE_LAT = 111_195.08


def north(metres: float) -> list[float]:
    return [HERE[0], HERE[1] + metres / METRES_PER_DEGREE_LAT]


@pytest.fixture
def scene(in_app, make_asset):
    """A manhole 12 m north of HERE and an open report of a blocked drain 8 m north, sent an hour ago."""
    from datetime import timedelta

    from municipal import clock
    from municipal.extensions import db
    from municipal.intake import services

    well = make_asset("manhole", "图钉路口井", geometry={"type": "Point", "coordinates": north(12)})

    def earlier_report():
        made = services.submit_report(category="blocked", description="路口雨水井堵塞", fingerprint="e2e-pin",
                                      lon=north(8)[0], lat=north(8)[1], now=clock.now() - timedelta(hours=1))
        db.session.commit()
        return made.number

    return well, in_app(earlier_report)


def nearby_loaded(page):
    page.wait_for_selector("#pin-map[data-nearby]", state="attached")


def test_a_citizen_pins_the_problem_sees_the_facility_and_the_report_already_there(new_context, scene, shots):
    well, number = scene
    context = new_context(**SMALL_PHONE, geolocation={"longitude": HERE[0], "latitude": HERE[1], "accuracy": 5},
                          permissions=["geolocation"])
    page = context.new_page()
    page.goto("/report")
    page.wait_for_selector("#pin-map.leaflet-container")
    fits(page)
    page.locator("input[value=blocked]").check()
    page.get_by_role("button", name="使用我的位置").click()
    nearby_loaded(page)
    assert page.locator("input[name=lat]").input_value() == f"{HERE[1]:.6f}"
    suggestion = page.locator("#pin-facilities label").filter(has_text="图钉路口井")
    assert "12 米" in suggestion.inner_text()
    notice = page.locator("#pin-duplicates")
    notice.wait_for()
    assert "已有人报告" in notice.inner_text() and number in notice.inner_text()
    assert notice.get_by_role("link", name="查看进度").get_attribute("href") == f"/report/status?number={number}"
    fits(page)
    shots.take(page, "citizen-pin-360.png", full_page=True)

    # A pin dropped a hundred metres away: no facility there, and no report of it.
    box = page.locator("#pin-map").bounding_box()
    page.locator("#pin-map").click(position={"x": 12, "y": box["height"] - 12})
    expect(page.locator("input[name=lat]")).not_to_have_value(f"{HERE[1]:.6f}")
    nearby_loaded(page)
    assert page.locator("#pin-facilities input[name=facility]").count() == 1  # only "no facility"
    assert page.locator("#pin-duplicates").is_hidden()

    # Back at the phone's position: 我也遇到 files the citizen's word on the report already there.
    page.get_by_role("button", name="使用我的位置").click()
    expect(page.locator("input[name=lat]")).to_have_value(f"{HERE[1]:.6f}")
    nearby_loaded(page)
    # The suggested manhole is on the map as well: a tap on it picks it.
    assert not suggestion.locator("input").is_checked()
    page.locator("#pin-map path.leaflet-interactive").dispatch_event("click")
    expect(suggestion.locator("input")).to_be_checked()
    page.locator("textarea[name=description]").fill("积水已经漫到人行道")
    with page.expect_navigation():
        page.locator("#pin-duplicates button[name=join]").click()
    assert f"number={number}" in page.url
    assert f"已补充到报告 {number}" in page.locator("main").inner_text()
    fits(page)
