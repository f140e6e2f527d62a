"""A supervisor withdraws a rainstorm found in a gauge's readings from the facility's calendar on a 360 px
phone: asked first (dismissed, nothing happens), then confirmed; the event is marked withdrawn and its
special patrols nobody started are cancelled."""
from datetime import timedelta

from tests.e2e.test_readings_chart import PHONE, pytestmark  # noqa: F401

LIMITS = {"capacity_m3": 2_000_000, "dam_height_m": 15, "dam_type": "土坝", "flood_limit_level_m": 112.5,
          "normal_level_m": 113.0, "dam_crest_level_m": 116.0, "bed_level_m": 98.0}


def test_a_supervisor_withdraws_a_rainstorm_from_readings_on_a_phone(new_context, make_asset, sign_in, in_app, shots):
    from tests.conftest import TEST_NOW

    dam = make_asset("reservoir", "桂湖水库", attributes=LIMITS)

    def storm():
        import sqlalchemy as sa

        from municipal.assets.models import Asset
        from municipal.auth.models import User
        from municipal.calendar.models import CalendarEvent
        from municipal.extensions import db
        from municipal.readings import services

        crew = db.session.scalar(sa.select(User).where(User.username == "crew"))
        services.add(crew, db.session.get(Asset, dam.id), [{
            "kind": "rainfall", "value": 80.0, "period_minutes": 60,
            "observed_at": (TEST_NOW - timedelta(hours=2)).isoformat()}], "device")
        db.session.commit()
        return db.session.scalar(sa.select(CalendarEvent.id).where(CalendarEvent.asset_id == dam.id,
                                                                   CalendarEvent.kind == "rainstorm"))

    def work_statuses():
        import sqlalchemy as sa

        from municipal.calendar.models import CalendarItem
        from municipal.extensions import db
        from municipal.workorders.models import WorkOrder

        return set(db.session.scalars(sa.select(WorkOrder.status).join(CalendarItem, CalendarItem.work_order_id == WorkOrder.id)
                                      .where(CalendarItem.asset_id == dam.id, CalendarItem.kind == "special_patrol")))

    event_id = in_app(storm)
    assert event_id and in_app(work_statuses) - {"cancelled"}
    page = new_context(**PHONE).new_page()
    sign_in(page, "supervisor")
    page.goto(f"/assets/{dam.id}/calendar")
    entry = page.locator(f"li[data-event='{event_id}']")
    entry.scroll_into_view_if_needed()
    assert "由测报读数生成" in entry.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    button = entry.get_by_role("button", name="撤回")
    # Dismissed: the page stays, nothing is withdrawn.
    page.once("dialog", lambda dialog: dialog.dismiss())
    button.click()
    page.wait_for_timeout(300)
    assert button.is_visible() and in_app(work_statuses) - {"cancelled"}
    questions = []

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()
    page.once("dialog", accept)
    with page.expect_navigation():
        button.click()
    page.wait_for_load_state()
    assert questions and "撤回" in questions[0]
    assert "事件已撤回" in page.locator("main").inner_text()
    entry = page.locator(f"li[data-event='{event_id}']")
    assert "已于" in entry.inner_text() and entry.get_by_role("button", name="撤回").count() == 0
    assert in_app(work_statuses) == {"cancelled"}
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shots.take(entry, "event-withdrawn-360.png")
