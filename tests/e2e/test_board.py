"""The board on a phone (360 px): select every matching work order, assign them all after a confirmation,
and download the filtered view as CSV."""
import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture
def backlog(in_app, make_asset):
    """25 work orders at one facility (the board filtered to it) and a team to give them to."""
    import sqlalchemy as sa

    from municipal.auth import teams as team_services
    from municipal.auth.models import User
    from municipal.extensions import db
    from municipal.workorders import services as work

    well = make_asset("manhole", "看板测试井")

    def seed():
        users = {u.username: u for u in db.session.scalars(sa.select(User))}
        team = team_services.create_team(users["admin"], "看板测试队")
        team_services.set_members(users["admin"], team, [users["crew"].id])
        orders = [work.create_work_order(users["supervisor"], asset_id=well.id, kind="maintenance",
                                         title=f"=清淤{i:02d}") for i in range(25)]
        db.session.commit()
        return team.id, [order.id for order in orders]

    team_id, order_ids = in_app(seed)
    return well, team_id, order_ids


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_supervisor_selects_all_assigns_after_confirming_and_exports_on_a_phone(new_context, sign_in, backlog,
                                                                                  in_app, shots):
    well, team_id, order_ids = backlog
    phone = new_context(locale="zh-CN", viewport={"width": 360, "height": 740}, is_mobile=True,
                        accept_downloads=True).new_page()
    sign_in(phone, "supervisor")
    phone.goto(f"/work?asset={well.id}")
    phone.wait_for_selector("#board-summary[data-total]")
    assert "共 25 张工单符合条件" in phone.locator("#board-summary").inner_text()
    assert phone.locator("#select-all-label").inner_text() == "全选符合条件的 25 张工单"
    assert _fits(phone)

    phone.locator("#select-all").check()
    boxes = phone.locator('input[name="ids"][form="bulk"]')
    assert boxes.count() == 20 and all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    phone.locator("#assignee_team").select_option(str(team_id))
    shots.take(phone, "board-360.png", full_page=True)
    phone.locator("#bulk-submit").click()
    phone.wait_for_selector("#bulk-confirm")
    assert "将修改 25 张工单" in phone.locator("#bulk-confirm").inner_text()
    assert _fits(phone)
    shots.take(phone, "board-confirm-360.png", full_page=True)

    def assigned():
        import sqlalchemy as sa

        from municipal.extensions import db
        from municipal.workorders.models import WorkOrder

        return db.session.scalar(sa.select(sa.func.count()).select_from(WorkOrder).where(
            WorkOrder.id.in_(order_ids), WorkOrder.assignee_team_id == team_id, WorkOrder.status == "assigned"))

    assert in_app(assigned) == 0, "nothing changes before the confirmation"
    phone.locator("#bulk-confirm-button").click()
    phone.wait_for_selector("#board-summary[data-total]")
    assert in_app(assigned) == 25
    assert phone.locator('b[data-status="assigned"]').inner_text() == "25"

    with phone.expect_download() as download:
        phone.locator("#board-summary a[download]").click()
    with open(download.value.path(), encoding="utf-8") as saved:
        text = saved.read()
    lines = text.splitlines()
    assert text.startswith("\ufeff") and len(lines) == 26
    assert all("'=清淤" in line for line in lines[1:])
