"""The board: counts, select-all over every matching work order, bulk changes after a confirmation and all or
nothing, and the filtered view exported as an Excel-safe CSV."""
import csv
import io
import re

import sqlalchemy as sa

from municipal.assets.services import create_asset
from municipal.audit.models import AuditEntry
from municipal.auth import teams as team_services
from municipal.auth.services import set_user_areas
from municipal.notify.models import Notification
from municipal.workorders import services as work
from municipal.workorders.models import WorkOrder
from tests.conftest import csrf_token, make_district, token_headers

ZH = {"Accept-Language": "zh"}


def _orders(users, asset, count, **fields):
    return [work.create_work_order(users["supervisor"], asset_id=asset.id, kind="maintenance",
                                   title=fields.get("title", f"清淤{i:02d}"), priority=fields.get("priority", "normal"))
            for i in range(count)]


def _crew_team(db, users):
    team = team_services.create_team(users["admin"], "鼓山一队")
    team_services.set_members(users["admin"], team, [users["crew"].id])
    db.session.commit()
    return team


def test_select_all_assigns_every_matching_work_order_after_a_confirmation(db, client, login, users, make_asset):
    well, drain = make_asset(name="温泉路井"), make_asset(name="福新路井")
    matching = _orders(users, well, 25, priority="high")
    others = _orders(users, drain, 3)
    team = _crew_team(db, users)
    db.session.commit()
    login("supervisor")

    page = client.get("/work?priority=high", headers=ZH).get_data(as_text=True)
    assert page.count('name="ids"') == 20  # one page of rows, but all 25 selectable
    counts_url = re.search(r'id="board-summary" data-url="([^"]+)"', page).group(1).replace("&amp;", "&")
    counts = client.get(counts_url, headers=ZH).get_json()
    assert (counts["total"], counts["by_status"]["new"], counts["by_status"]["assigned"]) == (25, 25, 0)
    assert counts["words"]["match"] == "共 25 张工单符合条件"
    assert counts["words"]["select"] == "全选符合条件的 25 张工单"

    form = {"csrf_token": csrf_token(client, "/work"), "all_matching": "1", "filter_status": "open",
            "filter_priority": "high", "assignee_team": str(team.id)}
    confirm = client.post("/work/assign", data=form, headers=ZH)
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "将修改 25 张工单" in text and "派给 鼓山一队" in text
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkOrder)
                             .where(WorkOrder.assignee_team_id.is_not(None))) == 0

    done = client.post("/work/assign", data={**form, "confirm": "1"}, headers=ZH, follow_redirects=True)
    assert "25" in done.get_data(as_text=True)
    db.session.expire_all()
    assigned = db.session.scalars(sa.select(WorkOrder).where(WorkOrder.assignee_team_id == team.id)).all()
    assert {o.id for o in assigned} == {o.id for o in matching}
    assert all(o.status == "assigned" for o in assigned)
    assert all(db.session.get(WorkOrder, o.id).assignee_team_id is None for o in others)
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "assign")).all()
    assert len(audit) == 25 and audit[0].changes["assignee"][1] == "鼓山一队"
    told = db.session.scalars(sa.select(Notification).where(Notification.user_id == users["crew"].id)).all()
    assert [(n.kind, n.params) for n in told] == [("assigned_many", {"count": 25})]


def test_a_bulk_change_is_all_or_nothing_with_a_clear_message(db, client, login, users, make_asset):
    well = make_asset()
    orders = _orders(users, well, 3)
    crew = users["crew"]
    work.act(users["supervisor"], orders[0].id, "assign", version=orders[0].version, assignee_user_id=crew.id)
    work.act(crew, orders[0].id, "start", version=orders[0].version)
    db.session.commit()
    login("supervisor")
    form = {"csrf_token": csrf_token(client, "/work"), "all_matching": "1", "filter_status": "open",
            "assignee_user": str(users["supervisor"].id), "confirm": "1"}
    answer = client.post("/work/assign", data=form, headers={"Accept-Language": "en"}, follow_redirects=True)
    text = answer.get_data(as_text=True)
    assert "1 of the selected work orders cannot be changed now" in text and orders[0].number in text
    db.session.expire_all()
    assert [db.session.get(WorkOrder, o.id).assignee_user_id for o in orders] == [crew.id, None, None]

    # Rescheduling moves every open one, the one in progress too.
    answer = client.post("/work/assign", data={**form, "assignee_user": "", "due_on": "2030-05-04"},
                         headers={"Accept-Language": "en"}, follow_redirects=True)
    assert "3 work orders changed" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert {db.session.get(WorkOrder, o.id).due_at.date().isoformat() for o in orders} == {"2030-05-04"}


def test_work_outside_the_supervisors_areas_refuses_the_whole_bulk_change(db, client, users):
    towns = make_district(db, [("gushan", "鼓山镇", "Gushan"), ("xindian", "新店镇", "Xindian")])
    admin, supervisor = users["admin"], users["supervisor"]
    attributes = {"attributes": {"network": "污水"}, "geometry": {"type": "Point", "coordinates": [119.31, 26.09]}}
    mine = create_asset(admin, {"type": "manhole", "name": "鼓山井", "area": "gushan", **attributes})
    theirs = create_asset(admin, {"type": "manhole", "name": "新店井", "area": "xindian", **attributes})
    inside = work.create_work_order(admin, asset_id=mine.id, kind="repair", title="鼓山维修")
    outside = work.create_work_order(admin, asset_id=theirs.id, kind="repair", title="新店维修")
    set_user_areas(admin, supervisor, ["gushan"])
    db.session.commit()
    headers = token_headers(db, supervisor)
    answer = client.post("/api/v1/work-orders/bulk-assign", json={"ids": [inside.id, outside.id], "priority": "urgent"},
                         headers={**headers, "Accept-Language": "en"})
    assert answer.status_code == 403
    assert "outside your areas" in answer.get_json()["error"]["message"] and outside.number in answer.get_json()[
        "error"]["message"]
    db.session.expire_all()
    assert db.session.get(WorkOrder, inside.id).priority == "normal"
    # Select-all takes only what the supervisor sees: the other town's work is not selected, not refused.
    answer = client.post("/api/v1/work-orders/bulk-assign", json={"all_matching": {}, "priority": "urgent"},
                         headers=headers)
    assert answer.get_json() == {"count": 1}
    db.session.expire_all()
    assert (db.session.get(WorkOrder, inside.id).priority, db.session.get(WorkOrder, outside.id).priority) == (
        "urgent", "normal")
    assert towns


def test_the_api_previews_counts_and_summarises(db, client, users, make_asset):
    well = make_asset()
    orders = _orders(users, well, 4)
    work.act(users["supervisor"], orders[0].id, "cancel", version=orders[0].version, reason="重复")
    db.session.commit()
    headers = token_headers(db, users["supervisor"])
    preview = client.post("/api/v1/work-orders/bulk-assign",
                          json={"all_matching": {"status": "open"}, "priority": "low", "preview": True}, headers=headers)
    assert preview.get_json() == {"count": 3, "preview": True}
    db.session.expire_all()
    assert all(db.session.get(WorkOrder, o.id).priority == "normal" for o in orders)
    summary = client.get("/api/v1/work-orders/summary", headers=headers).get_json()
    assert summary["total"] == 3 and summary["by_status"]["new"] == 3 and summary["by_status"]["cancelled"] == 1
    bad = client.post("/api/v1/work-orders/bulk-assign", json={"all_matching": {"status": "nonsense"}}, headers=headers)
    assert bad.status_code == 422 and "all_matching.status" in bad.get_json()["error"]["fields"]


def test_the_filtered_view_exports_as_an_excel_safe_csv(db, client, login, users, make_asset):
    well, drain = make_asset(name="=HYPERLINK(\"x\")"), make_asset(name="福新路井")
    _orders(users, well, 23, priority="high")
    _orders(users, drain, 2, title="+1 不导出")
    work.create_work_order(users["supervisor"], asset_id=well.id, kind="repair", title="=1+2", priority="high")
    db.session.commit()
    login("supervisor")
    answer = client.get("/work/export.csv?priority=high", headers=ZH)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    body = answer.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0][:3] == ["编号", "标题", "设施"] and len(rows) == 1 + 24
    assert ["'=1+2", "'=HYPERLINK(\"x\")"] == [rows[-1][1], rows[-1][2]]
    assert not any("不导出" in cell for row in rows for cell in row)
    login("crew")
    assert client.get("/work/export.csv").status_code == 403
