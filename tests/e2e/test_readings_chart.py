"""The facility page's water chart on a 360 px phone: drawn by the vendored uPlot, within the screen, with
each range button reading the API again."""
import os
import shutil
from datetime import timedelta

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not (os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")),
                       reason="no Chromium executable: install Debian's chromium or set CHROMIUM=/path/to/chromium"),
]

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN"}
LIMITS = {"capacity_m3": 3_500_000, "dam_height_m": 18, "dam_type": "土坝", "flood_limit_level_m": 112.5,
          "normal_level_m": 113.0, "dam_crest_level_m": 116.0, "bed_level_m": 98.0}


def test_the_water_chart_fits_a_360_px_phone(new_context, make_asset, sign_in, in_app, shots):
    from tests.conftest import TEST_NOW

    dam = make_asset("reservoir", "寿山水库", attributes=LIMITS)

    def load():
        from municipal.assets.models import Asset
        from municipal.auth.models import User
        from municipal.extensions import db
        from municipal.readings import services
        import sqlalchemy as sa

        crew = db.session.scalar(sa.select(User).where(User.username == "supervisor"))
        asset = db.session.get(Asset, dam.id)
        hours = 24 * 30
        levels = [{"kind": "water_level", "value": round(110.5 + 2.4 * (i / hours), 3),
                   "observed_at": (TEST_NOW - timedelta(hours=hours - i)).isoformat()} for i in range(hours)]
        rain = [{"kind": "rainfall", "value": 4.0 if i % 24 in (2, 3, 4) else 0.0, "period_minutes": 60,
                 "observed_at": (TEST_NOW - timedelta(hours=hours - i)).isoformat()} for i in range(hours)]
        services.add(crew, asset, levels + rain, "device")
        db.session.commit()

    in_app(load)
    page = new_context(**PHONE).new_page()
    sign_in(page, "supervisor")
    page.goto(f"/A/{dam.code}")
    chart = page.locator("#readings-chart")
    chart.scroll_into_view_if_needed()
    page.wait_for_selector("#readings-chart canvas")
    assert page.locator("#readings-chart .uplot").count() == 2  # the level, and the rain beneath
    box = chart.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    with page.expect_response(lambda r: "/readings" in r.url and "every=1h" in r.url):
        page.get_by_role("button", name="季").first.click() if page.get_by_role("button", name="季").count() else \
            page.locator("[data-range=season]").click()
    page.wait_for_timeout(300)
    assert page.locator("[data-range=season]").get_attribute("aria-pressed") == "true"
    assert page.locator("#readings-chart .uplot").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shots.take(page.locator("#readings"), "readings-chart-360.png")
