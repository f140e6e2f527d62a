"""The responsible-persons form, the assignment rules and the public card on a 360 px phone, in headless Chromium."""
import os
import shutil

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not (os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")),
                       reason="no Chromium executable: install Debian's chromium or set CHROMIUM=/path/to/chromium"),
]

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN"}


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width}px wide on a 360px screen"


def test_a_supervisor_sets_the_three_persons_on_a_phone_and_the_card_shows_them(new_context, make_asset, sign_in,
                                                                              shots):
    dam = make_asset("reservoir", "桂湖水库", area="xindian")
    phone = new_context(**PHONE).new_page()
    sign_in(phone, "supervisor")
    phone.goto(f"/A/{dam.code}")
    with phone.expect_navigation():
        phone.locator(f"a[href='/assets/{dam.id}/persons']").click()
    assert "0591" in phone.locator("main").inner_text()
    no_sideways_scroll(phone)
    people = [("administrative", "林建华", "新店镇人民政府", "0591-87610001"),
              ("technical", "陈志强", "新店镇水利工作站", "0591-87610002"),
              ("patrol", "黄明辉", "桂湖村民委员会", "0591-87610003")]
    for index, (role, name, unit, line) in enumerate(people):
        phone.locator(f"select[name='persons-{index}-role']").select_option(role)
        phone.locator(f"input[name='persons-{index}-name']").fill(name)
        phone.locator(f"input[name='persons-{index}-unit']").fill(unit)
        phone.locator(f"input[name='persons-{index}-phone']").fill(line)
    shots.take(phone, "people-persons-360-zh.png", full_page=True)
    with phone.expect_navigation():
        phone.locator("form.persons-form button[type=submit]").click()
    assert "已保存责任人" in phone.locator("main").inner_text()

    citizen = new_context(**PHONE).new_page()
    citizen.goto(f"/A/{dam.code}")
    text = citizen.locator("main").inner_text()
    for _role, name, unit, line in people:
        assert name in text and unit in text and line in text
    shots.take(citizen, "people-public-card-360-zh.png", full_page=True)
    no_sideways_scroll(citizen)


def test_the_assignment_rules_page_fits_a_phone_and_refuses_a_viewer(new_context, sign_in, district, shots):
    phone = new_context(**PHONE).new_page()
    sign_in(phone, "supervisor")
    phone.goto("/assignment-rules")
    no_sideways_scroll(phone)
    phone.locator("select[name=asset_type]").select_option("reservoir")
    viewer = phone.locator("select[name=user_id] option", has_text="viewer")
    assert viewer.count() == 0, "a viewer is not offered as someone to give work to"
    phone.locator("select[name=user_id]").select_option(label="crew (crew)")
    with phone.expect_navigation():
        phone.locator("main form.grid button[type=submit]").click()
    phone.locator("select[name=kind]").select_option("inspection")
    phone.locator("select[name=team_id]").select_option(index=0)
    phone.locator("select[name=user_id]").select_option(label="supervisor (supervisor)")
    with phone.expect_navigation():
        phone.locator("main form.grid button[type=submit]").click()
    text = phone.locator("main").inner_text()
    assert "重叠的规则" in text and "以 #2 为准" in text
    shots.take(phone, "people-rules-360-zh.png", full_page=True)
    no_sideways_scroll(phone)
