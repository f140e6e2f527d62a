"""The maintenance loop in a real browser: a crew member's phone at the dam, then the supervisor's desk.

Crew: sign in, scan the dam's label, start the patrol, go through the checklist with a failed item and
its photo taken "with the camera", submit with the phone's position. Supervisor: sees the record and the
rectification work it opened, accepts the patrol and assigns the repair.
"""
import io

import pytest
import sqlalchemy as sa
from PIL import Image

from tests.e2e.test_browser import PHONE, no_sideways_scroll, pytestmark, reservoir  # noqa: F401


def photo_file(tmp_path, name):
    path = tmp_path / name
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (120, 140, 90)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


@pytest.fixture
def patrol(in_app, make_asset):
    """登云水库 with a dam patrol assigned to the crew member, as the calendar or a supervisor would make it."""
    from municipal.auth.models import User
    from municipal.extensions import db
    from municipal.workorders import services
    from municipal.workorders.checklists import sync_templates

    dam = reservoir(make_asset, "桂湖水库")

    def create():
        sync_templates()
        users = {u.username: u for u in db.session.scalars(sa.select(User))}
        order = services.create_work_order(users["supervisor"], asset_id=dam.id, kind="inspection",
                                           title="汛期日常巡查", priority="high", assignee_user_id=users["crew"].id)
        db.session.commit()
        return order.id, order.number

    order_id, number = in_app(create)
    return dam, order_id, number


def test_crew_patrols_the_dam_from_a_phone_and_the_supervisor_reviews(new_context, sign_in, patrol, in_app, shots,
                                                                      tmp_path):
    from municipal.extensions import db
    from municipal.inspections.models import Inspection

    dam, order_id, number = patrol
    phone = new_context(**PHONE, permissions=["geolocation"],
                        geolocation={"latitude": 26.1503, "longitude": 119.3502, "accuracy": 9}).new_page()
    sign_in(phone, "crew")
    assert "我的工作" in phone.locator("h1").inner_text()
    phone.goto(f"/A/{dam.code}")
    due = phone.locator(".due-here")
    assert number in due.inner_text()
    with phone.expect_navigation():
        due.get_by_role("button", name="开始").click()
    phone.get_by_role("link", name="填写检查表并提交").click()
    phone.wait_for_url(f"**/work/{order_id}/record")
    phone.wait_for_function("() => document.querySelector('input[name=latitude]').value !== ''")
    assert "位置已获取" in phone.locator("#position-status").inner_text()

    # Every item sound, except the spillway, which is blocked: that one gets its photo.
    for radio in phone.locator(".item input[type=radio][value=pass]").all():
        radio.check()
    for item in phone.locator(".item:has(input[type=radio]:not([value=pass]):not([value=fail]))").all():
        item.locator("input[type=radio]").first.check()
    for number_input in phone.locator(".item input[type=number]").all():
        number_input.fill("56.2")
    failed = phone.locator(".item:has(input[value=fail])").nth(10)
    failed.locator("input[value=fail]").check()
    failed.locator("input[type=file]").set_input_files(photo_file(tmp_path, "spillway.jpg"))
    photo_item = phone.locator(".item[data-type=photo]").first
    photo_item.locator("input[type=file]").set_input_files(photo_file(tmp_path, "overview.jpg"))
    phone.locator("textarea[name=notes]").fill("溢洪道进口有漂浮物堵塞，已拍照。")
    shots.take(phone, "crew-record-zh.png", full_page=True)
    no_sideways_scroll(phone)
    with phone.expect_navigation():
        phone.get_by_role("button", name="提交").click()
    page_text = phone.locator("main").inner_text()
    assert "已完成" in page_text and "整改" in page_text, phone.locator(".item.invalid").all_inner_texts()
    shots.take(phone, "crew-submitted-zh.png", full_page=True)
    no_sideways_scroll(phone)

    record = in_app(lambda: db.session.scalar(sa.select(Inspection).where(Inspection.work_order_id == order_id)))
    assert record.far_from_facility is False and record.distance_m < 100
    assert len(in_app(lambda: db.session.get(Inspection, record.id).photos)) == 2

    desk = new_context(locale="en-US", viewport={"width": 1280, "height": 800}).new_page()
    sign_in(desk, "supervisor")
    desk.goto(f"/work/{order_id}")
    text = desk.locator("main").inner_text()
    assert "Findings" in text and "m from the facility" in text
    follow_up = desk.locator(".record a[href^='/work/']").first
    follow_number = follow_up.inner_text()
    with desk.expect_navigation():
        desk.get_by_role("button", name="Accept").click()
    assert "Verified (closed)" in desk.locator("main").inner_text()
    shots.take(desk, "supervisor-accepted-en.png", full_page=True)
    # The dam's work on the board (other tests' work shares this server).
    desk.goto(f"/work?asset={dam.id}")
    desk.get_by_role("link", name=follow_number).click()
    desk.locator("form.step select[name=assignee_user]").select_option(label="crew")
    with desk.expect_navigation():
        desk.get_by_role("button", name="Assign").click()
    assert "Assigned" in desk.locator("main").inner_text()
    shots.take(desk, "supervisor-assigned-follow-up-en.png", full_page=True)
