"""The crew's phone app, continued: the outbox sent by the service worker's Background Sync with no page open,
proof of presence and each photo's time and position as the supervisor reads them, and 我来处理 on the page a
scanned label opens."""
import re

import sqlalchemy as sa

from tests.e2e.test_browser import PHONE, no_sideways_scroll, pytestmark  # noqa: F401
from tests.e2e.test_field_app import crew_order, fill_record, inspections_of, phone_context, wait_for_worker  # noqa: F401

# The dam (make_asset's reservoir) is at 119.35 E, 26.15 N; 0.01° of latitude is 1,112 m.
AT_THE_DAM = {"latitude": 26.1503, "longitude": 119.3502, "accuracy": 9}
DOWN_THE_ROAD = {"latitude": 26.16, "longitude": 119.35, "accuracy": 15}


def test_background_sync_sends_the_outbox_with_no_page_of_the_app_open(phone_context, sign_in, crew_order, in_app,
                                                                       tmp_path):
    """Queued offline, the app closed, then the signal returns: Chromium fires the service worker's `sync` event
    by itself (its Background Sync follows the emulated connection). No page of the app is open then, so nothing
    but the service worker can have sent the record."""
    dam, order_id, number = crew_order
    context = phone_context()
    phone = context.new_page()
    sign_in(phone, "crew")
    phone.goto(f"/work/{order_id}/record")
    wait_for_worker(phone)
    fill_record(phone, tmp_path, problem_photo=True)
    context.set_offline(True)
    phone.get_by_role("button", name="提交").click()
    phone.wait_for_function("() => document.getElementById('outbox-count').textContent === '1'")
    # The page asked for a sync when it queued the record.
    assert phone.evaluate("async () => (await (await navigator.serviceWorker.ready).sync.getTags())") == [
        "municipal-outbox"]
    phone.goto("about:blank")  # the app is closed: no page's `online` handler or start can send anything
    phone.wait_for_timeout(500)
    assert inspections_of(in_app, order_id) == []
    context.set_offline(False)
    for _attempt in range(150):
        sent = inspections_of(in_app, order_id)
        if sent:
            break
        phone.wait_for_timeout(200)
    assert [photos for _id, photos in sent] == [2]
    # The phone's outbox is empty afterwards: the next start finds nothing to send.
    phone.goto("/work/mine")
    phone.wait_for_function("() => window.FieldOutbox && FieldOutbox.pending().then(r => r.length === 0)")
    assert phone.locator("#outbox-link").is_hidden()
    assert phone.evaluate("async () => (await (await navigator.serviceWorker.ready).sync.getTags())") == []
    assert len(inspections_of(in_app, order_id)) == 1


def test_the_supervisor_reads_where_the_record_was_started_and_sent_and_each_photos_time_and_place(
        phone_context, new_context, sign_in, crew_order, in_app, tmp_path, shots):
    from municipal.extensions import db
    from municipal.inspections.models import Inspection

    dam, order_id, number = crew_order
    context = phone_context(permissions=["geolocation"], geolocation=DOWN_THE_ROAD,
                            viewport={"width": 360, "height": 740})
    phone = context.new_page()
    sign_in(phone, "crew")
    phone.goto(f"/work/{order_id}/record")
    phone.wait_for_function("() => !!document.querySelector('input[name=start_latitude]').value")
    context.set_geolocation(AT_THE_DAM)  # then walks up to the dam, and records there
    fill_record(phone, tmp_path, problem_photo=True)
    # The item with a problem has its note field; an item answered OK shows none.
    problem = phone.locator(".item.problem")
    assert problem.count() == 1 and problem.locator("textarea[name^='note.']").is_visible()
    assert phone.locator(".item:not(.problem) textarea[name^='note.']:visible").count() == 0
    problem.locator("textarea[name^='note.']").fill("坝顶有一处裂缝，长约30厘米。")
    item_key = problem.get_attribute("id")[len("item-"):]
    shots.take(problem, "crew-problem-item-360-zh.png")
    no_sideways_scroll(phone)
    phone.get_by_role("button", name="提交").click()
    phone.wait_for_url(f"**/work/{order_id}")

    def stored():
        record = db.session.scalars(sa.select(Inspection).where(Inspection.work_order_id == order_id)).one()
        return (record.start_distance_m, record.distance_m, record.far_from_facility, record.item_notes,
                [(p.taken_at is not None, p.latitude, p.longitude) for p in record.photos])

    start_m, end_m, far, notes, photos = in_app(stored)
    assert 1050 < start_m < 1200 and end_m < 60 and far is False
    assert notes == {item_key: "坝顶有一处裂缝，长约30厘米。"}
    # Both photos were taken at the dam, after the phone had its position there.
    assert photos == [(True, AT_THE_DAM["latitude"], AT_THE_DAM["longitude"])] * 2

    office = new_context(**{**PHONE, "viewport": {"width": 360, "height": 740}}).new_page()
    sign_in(office, "supervisor")
    office.goto(f"/work/{order_id}")
    record = office.locator("section.record")
    text = record.inner_text()
    assert f"开始时：距设施 {round(start_m)} 米" in text and f"提交时：距设施 {round(end_m)} 米" in text
    assert "坝顶有一处裂缝" in text
    assert record.locator(".photo-facts figcaption").count() == 2
    assert "26.15030°N" in record.locator(".photo-facts figcaption").first.inner_text()
    no_sideways_scroll(office)
    shots.take(record, "supervisor-record-presence-360-zh.png")


def test_a_scanned_label_offers_to_take_the_teams_work_or_start_an_inspection(phone_context, sign_in, make_asset,
                                                                               in_app, shots):
    from municipal.auth import teams as team_services
    from municipal.auth.models import User
    from municipal.extensions import db
    from municipal.workorders import services
    from municipal.workorders.checklists import sync_templates
    from tests.e2e.test_browser import reservoir

    dam = reservoir(make_asset, "红星水库")

    def create():
        sync_templates()
        users = {u.username: u for u in db.session.scalars(sa.select(User))}
        team = team_services.create_team(users["admin"], "红星巡库组")
        team_services.set_members(users["admin"], team, [users["crew"].id])
        order = services.create_work_order(users["supervisor"], asset_id=dam.id, kind="inspection", title="汛前检查",
                                           assignee_team_id=team.id)
        db.session.commit()
        return team.id, order.id, order.number

    def leave_team():  # the suite's other tests know the crew member as in no team
        from municipal.auth.models import Team

        users = {u.username: u for u in db.session.scalars(sa.select(User))}
        team_services.set_members(users["admin"], db.session.get(Team, team_id), [])
        db.session.commit()

    team_id, order_id, number = in_app(create)
    try:
        context = phone_context(viewport={"width": 360, "height": 740})
        phone = context.new_page()
        sign_in(phone, "crew")
        phone.goto("/scan")
        phone.locator("#scan-code").fill(dam.code)
        with phone.expect_navigation():
            phone.get_by_role("button", name="打开设施").click()
        section = phone.locator("#handle-here")
        assert "我来处理" in section.inner_text() and number in section.inner_text()
        no_sideways_scroll(phone)
        shots.take(phone, "crew-handle-here-360-zh.png", full_page=True)
        with phone.expect_navigation():
            section.get_by_role("button", name="认领此工单").click()
        assert phone.url.endswith(f"/work/{order_id}/record")
        phone.wait_for_selector("#record-form[data-ready='1']")
        assert "已归您处理" in phone.locator("main").inner_text()
        # Back at the label: nothing left to take, and a new inspection opens its own record form.
        phone.go_back()
        phone.reload()
        section = phone.locator("#handle-here")
        assert "认领此工单" not in section.inner_text()
        with phone.expect_navigation():
            section.get_by_role("button", name="新建一次巡查").click()
        assert re.search(r"/work/\d+/record$", phone.url) and f"/work/{order_id}/" not in phone.url
        phone.wait_for_selector("#record-form[data-ready='1']")
        assert "现场巡查" in phone.locator("main").inner_text() and phone.locator(".item").count() > 10
        no_sideways_scroll(phone)
    finally:
        in_app(leave_team)
