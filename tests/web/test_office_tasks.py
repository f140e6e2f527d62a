"""The office's obligations (办公事项) apart from the field: on the demo district after the calendar job, the
office list holds only desk work, labelled for what it is, and the board and My work hold none of it."""
import pytest
import sqlalchemy as sa

from municipal.auth.models import User
from municipal.calendar.engine import desk
from municipal.calendar.models import CalendarItem
from municipal.permissions import LAST_SEEN_KEY
from municipal.workorders import bulk
from municipal.workorders.models import WorkOrder
from tests.conftest import token_headers


@pytest.fixture
def district(db, demo_after_calendar):
    return {name: db.session.scalar(sa.select(User).where(User.username == name)) for name in ("supervisor", "crew")}


def _sign_in(client, user):
    with client.session_transaction() as session:
        session.clear()
        session.update({"_user_id": user.get_id(), "_fresh": True,
                        LAST_SEEN_KEY: int(client.application.extensions["clock"].now().timestamp())})


def _calendar_kinds(db) -> dict:
    return dict(db.session.execute(sa.select(CalendarItem.work_order_id, CalendarItem.kind)
                                   .where(CalendarItem.work_order_id.is_not(None))).all())


def _all_pages(client, url, headers) -> list[dict]:
    items, after = [], None
    while True:
        page = client.get(url + (f"&after={after}" if after else ""), headers=headers).get_json()
        items += page["items"]
        after = page["next"]
        if after is None:
            return items


def test_the_office_list_holds_the_desk_work_and_the_board_and_my_work_none(client, db, district):
    kinds = _calendar_kinds(db)
    office_ids = {order_id for order_id, kind in kinds.items() if desk.is_office(kind)}
    assert office_ids, "the demo owes some desk work (the appraisal left behind on purpose)"
    headers = token_headers(db, district["supervisor"])

    listed = _all_pages(client, "/api/v1/office-tasks?state=open&limit=200", headers)
    assert {task["id"] for task in listed} <= office_ids and listed
    assert all(desk.is_office(task["kind"]) for task in listed)
    assert all(task["kind_label"] not in ("巡查", "Inspection") for task in listed)
    counts = client.get("/api/v1/office-tasks", headers=headers).get_json()["counts"]
    assert counts["overdue"] + counts["due"] == len(listed)

    board = _all_pages(client, "/api/v1/work-orders?status=open&limit=200", headers)
    assert board and not {order["id"] for order in board} & office_ids
    assert all(order["kind"] != "office" for order in board)

    _sign_in(client, district["supervisor"])
    page = client.get("/office").get_data(as_text=True)
    rows = page.split('id="office-tasks"', 1)[1].split("</table>", 1)[0]
    assert "鉴定" in rows or "评估" in rows
    assert "巡查" not in rows
    board_page = client.get("/work").get_data(as_text=True)
    assert not any(f"WO-{order_id:06d}" in board_page for order_id in office_ids)


def test_office_work_given_to_a_crew_member_stays_off_their_my_work(client, db, district):
    kinds = _calendar_kinds(db)
    office_ids = sorted(order_id for order_id, kind in kinds.items() if desk.is_office(kind))
    crew = district["crew"]
    bulk.apply(district["supervisor"], bulk.Selection(ids=office_ids[:1]), bulk.Change(assignee_user_id=crew.id))
    db.session.commit()
    mine = client.get("/api/v1/work-orders/mine", headers=token_headers(db, crew)).get_json()
    shown = {order["id"] for part in ("overdue", "today", "upcoming") for order in mine[part]}
    assert shown and office_ids[0] not in shown
    assert all(order["kind"] != "office" for part in ("overdue", "today", "upcoming") for order in mine[part])
    assert db.session.get(WorkOrder, office_ids[0]).assignee_user_id == crew.id


def test_the_office_list_is_for_supervisors_and_admins(client, db, district):
    assert client.get("/api/v1/office-tasks", headers=token_headers(db, district["crew"])).status_code == 403
    _sign_in(client, district["crew"])
    assert client.get("/office").status_code == 403
