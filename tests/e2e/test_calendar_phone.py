"""The calendar pages on a 360 px phone, in Chinese and in English: a facility's calendar by rule, the month's
cells counting by kind and opening the day. Screenshots go to the shots folder."""
import os
import shutil

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not (os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")),
                       reason="no Chromium executable: install Debian's chromium or set CHROMIUM=/path/to/chromium"),
]

PHONE = {"viewport": {"width": 360, "height": 780}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width}px wide on a 360px screen"


def test_calendar_pages_on_a_phone_in_both_languages(new_context, make_asset, sign_in, in_app, shots):
    building = make_asset("old_building", "降虎村林氏石厝")
    dam = make_asset("reservoir", "桂湖水库", attributes={"capacity_m3": 450_000, "dam_height_m": 12,
                                                      "dam_type": "土坝"})

    def record_and_plan():
        import sqlalchemy as sa

        from municipal import clock
        from municipal.auth.models import User
        from municipal.calendar import history, materialise
        from municipal.extensions import db

        supervisor = db.session.scalar(sa.select(User).where(User.username == "supervisor"))
        history.record_history(supervisor, building.id, kind="safety_recheck", done_on="2026-11-20", grade="D")
        materialise.materialise(clock.now(), asset_ids=[building.id, dam.id])
        db.session.commit()

    in_app(record_and_plan)
    page = new_context(**PHONE).new_page()
    sign_in(page, "supervisor")
    for lang in ("zh", "en"):
        page.goto(f"/assets/{building.id}/calendar?lang={lang}")
        no_sideways_scroll(page)
        text = page.locator("ul.rule-groups").inner_text()
        assert ("危房每日看护" in text and "下次到期" in text) if lang == "zh" else (
            "Danger watch" in text and "Next due" in text)
        shots.take(page, f"calendar-building-{lang}.png", full_page=True)
        page.goto(f"/assets/{dam.id}/calendar?lang={lang}")
        no_sideways_scroll(page)
        shots.take(page, f"calendar-dam-{lang}.png", full_page=True)
        page.goto(f"/calendar?lang={lang}")
        no_sideways_scroll(page)
        # The grade-D day: its stop-use order, overdue; from it on, the daily watch and the dam's patrols.
        stop_day = page.locator("a.cal-counts[href*='from=2026-11-20']")
        assert ("现场处置 1" in stop_day.inner_text()) if lang == "zh" else ("On-site measures 1" in stop_day.inner_text())
        cell = page.locator("a.cal-counts", has_text="巡查" if lang == "zh" else "Patrols").first
        shots.take(page, f"calendar-month-{lang}.png", full_page=True)
        with page.expect_navigation():
            cell.click()
        assert "view=list" in page.url and page.locator("tbody tr").count() >= 1
        no_sideways_scroll(page)
