"""REST API v1 for work orders: what a phone or a dispatch system sees, on the real database."""
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from municipal.assets.models import Area
from municipal.auth import services as auth_services
from municipal.auth import teams as auth_teams
from municipal.db import utcnow
from municipal.workorders import notes as workorders_notes
from municipal.workorders import services
from municipal.workorders.models import WorkOrder, WorkOrderAttachment
from tests.conftest import PASSWORD, token_headers
from tests.web.api_helpers import anonymous_routes, bearer, error_of, sign_in_with_session  # noqa: F401


@pytest.fixture
def well(make_asset):
    return make_asset("manhole", "温泉路3号井")


@pytest.fixture
def crews(db, users):
    """Two crews: 鼓山一队 with the `crew` user, 岳峰一队 with another crew member."""
    admin = users["admin"]
    other = auth_services.create_user("crew2", PASSWORD, "crew")
    ours = auth_teams.create_team(admin, "鼓山一队")
    theirs = auth_teams.create_team(admin, "岳峰一队")
    auth_teams.set_members(admin, ours, [users["crew"].id])
    auth_teams.set_members(admin, theirs, [other.id])
    db.session.commit()
    return {"ours": ours, "theirs": theirs, "other": other}


headers_of = token_headers


def create(client, headers, asset, **fields):
    body = {"asset": getattr(asset, "id", asset), "kind": "repair", "title": "井盖破损", **fields}
    response = client.post("/api/v1/work-orders", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def act(client, headers, order, action, **fields):
    return client.post(f"/api/v1/work-orders/{order['id']}/actions/{action}",
                       json={"version": order["version"], **fields}, headers=headers)


# --- the life of a work order --------------------------------------------------------

def test_created_assigned_done_and_accepted_through_the_api(client, bearer, users, well):
    boss, crew = bearer("supervisor"), bearer("crew")
    order = create(client, boss, well, priority="urgent", description="行人踩空", assignee_user=users["crew"].id)
    assert order["number"] == f"WO-{order['id']:06d}"
    assert (order["status"], order["priority"], order["kind"], order["source"]) == ("assigned", "urgent", "repair",
                                                                                    "manual")
    assert order["asset"] == {"id": well.id, "name": "温泉路3号井"}
    assert order["assignee_user"]["username"] == "crew" and order["assignee_team"] is None
    assert timedelta(hours=23) < datetime.fromisoformat(order["due_at"]) - utcnow() <= timedelta(hours=24)
    assert set(order["actions"]) == {"assign", "start", "hold", "cancel"}  # a supervisor may also do the crew's moves

    mine = client.get("/api/v1/work-orders/mine", headers=crew).get_json()
    assert [o["id"] for o in mine["today"] + mine["upcoming"]] == [order["id"]] and mine["overdue"] == []

    seen = client.get(f"/api/v1/work-orders/{order['id']}", headers=crew).get_json()
    assert set(seen["actions"]) == {"start", "hold"}
    started = act(client, crew, seen, "start")
    assert started.status_code == 200, started.get_json()
    assert started.get_json()["started_at"] is not None
    for bad in ("a lot", -5, [1]):
        assert "cost_yuan" in error_of(act(client, crew, started.get_json(), "complete", cost_yuan=bad), 422)["fields"]
    done = act(client, crew, started.get_json(), "complete", time_spent_min=40, cost_yuan="860.5")
    assert (done.get_json()["status"], done.get_json()["time_spent_min"]) == ("completed", 40)
    assert done.get_json()["cost_yuan"] == "860.50"
    accepted = act(client, boss, done.get_json(), "accept")
    assert accepted.get_json()["status"] == "verified" and accepted.get_json()["closed_at"] is not None

    history = accepted.get_json()["history"]
    assert [entry["action"] for entry in history] == ["accept", "complete", "start", "create"]
    assert history[0]["actor"] == "supervisor" and history[1]["changes"]["time_spent_min"] == [None, 40]
    assert history[1]["changes"]["cost_yuan"] == [None, "860.50"]
    assert accepted.get_json()["actions"] == []


def test_due_on_a_local_day_and_the_facility_named_by_its_code(client, bearer, well):
    order = create(client, bearer(), well.code.code.lower(), due_on="2030-05-01", kind="maintenance")
    assert order["asset"]["id"] == well.id
    assert order["due_at"] == "2030-05-01T10:00:00+00:00"  # 18:00 in Asia/Shanghai


def test_send_back_needs_a_reason_and_notifies(client, bearer, users, well):
    boss, crew = bearer("supervisor"), bearer("crew")
    order = create(client, boss, well, assignee_user=users["crew"].id)
    order = act(client, crew, order, "start").get_json()
    order = act(client, crew, order, "complete").get_json()
    assert "reason" in error_of(act(client, boss, order, "send_back"), 422)["fields"]
    back = act(client, boss, order, "send_back", reason="照片不清楚")
    assert (back.get_json()["status"], back.get_json()["reason"]) == ("in_progress", "照片不清楚")
    kinds = [n["kind"] for n in client.get("/api/v1/notifications", headers=crew).get_json()["items"]]
    assert kinds == ["sent_back", "assigned"]


def test_assign_hold_resume_and_cancel(client, bearer, users, crews, well):
    boss, crew = bearer("supervisor"), bearer("crew")
    order = create(client, boss, well)
    assert order["status"] == "new"
    assert "assignee_user" in error_of(act(client, boss, order, "assign"), 422)["fields"]
    both = act(client, boss, order, "assign", assignee_user=users["crew"].id, assignee_team=crews["ours"].id)
    assert "assignee_user" in error_of(both, 422)["fields"]
    order = act(client, boss, order, "assign", assignee_team=crews["ours"].id).get_json()
    assert order["assignee_team"] == {"id": crews["ours"].id, "name": "鼓山一队"} and order["status"] == "assigned"
    order = act(client, crew, order, "hold", reason="等材料").get_json()
    assert order["status"] == "on_hold"
    order = act(client, crew, order, "resume").get_json()
    cancelled = act(client, boss, order, "cancel", reason="重复")
    assert cancelled.get_json()["status"] == "cancelled"


# --- refused -----------------------------------------------------------------------

def test_a_stale_version_is_a_conflict_with_the_current_state_and_changes_nothing(client, bearer, users, well):
    boss = bearer("supervisor")
    order = create(client, boss, well)
    assigned = act(client, boss, order, "assign", assignee_user=users["crew"].id).get_json()

    error = error_of(act(client, boss, order, "cancel", reason="重复"), 409)
    assert error["code"] == "conflict" and "version" in error["fields"]
    assert error["current"]["status"] == "assigned" and error["current"]["version"] == assigned["version"]
    assert error["current"]["assignee_user"] == users["crew"].id
    now = client.get(f"/api/v1/work-orders/{order['id']}", headers=boss).get_json()
    assert (now["status"], now["version"]) == ("assigned", assigned["version"])


def test_a_move_the_status_does_not_allow_is_a_conflict(client, bearer, well):
    boss = bearer("supervisor")
    order = create(client, boss, well)
    error = error_of(act(client, boss, order, "accept"), 409)
    assert error["current"]["status"] == "new" and "action" in error["fields"]
    assert "action" in error_of(act(client, boss, order, "explode"), 422)["fields"]


def test_a_write_that_loses_a_race_after_the_version_check_is_a_conflict(client, db, users, well):
    # Signed in by session: a token's last-use stamp would hold SQLite's write lock before the race.
    headers = {"X-CSRFToken": sign_in_with_session(client, "supervisor")}
    order = create(client, headers, well)
    raced = []

    def someone_else_saves_first(session, flush_context, instances):
        if not raced and any(isinstance(obj, WorkOrder) for obj in session.dirty):
            raced.append(order["id"])
            with db.engine.begin() as other:
                other.execute(sa.update(WorkOrder).where(WorkOrder.id == order["id"])
                              .values(title="抢先", version=order["version"] + 1))

    sa.event.listen(sa.orm.Session, "before_flush", someone_else_saves_first)
    try:
        response = act(client, headers, order, "cancel", reason="重复")
    finally:
        sa.event.remove(sa.orm.Session, "before_flush", someone_else_saves_first)
    assert raced
    error = error_of(response, 409)
    assert (error["current"]["version"], error["current"]["status"]) == (order["version"] + 1, "new")
    db.session.expire_all()
    assert db.session.get(WorkOrder, order["id"]).status == "new"


def test_anonymous_requests_get_401(app, client, db):
    routes = anonymous_routes(app, {"workorders_api"})
    assert len(routes) == 12
    for method, url in routes:
        for headers in ({}, {"Authorization": "Bearer mun_not-a-token"}):
            assert error_of(client.open(url, method=method, json={}, headers=headers), 401)["code"] == "unauthorized"


def test_a_crew_cannot_reach_another_teams_work(client, db, bearer, crews, well):
    boss = bearer("supervisor")
    theirs = create(client, boss, well, title="别队的活", assignee_team=crews["theirs"].id)
    ours = create(client, boss, well, title="我们的活", assignee_team=crews["ours"].id)
    crew = bearer("crew")

    assert [o["id"] for o in client.get("/api/v1/work-orders", headers=crew).get_json()["items"]] == [ours["id"]]
    # Work that exists but is another team's is refused (403), as on the work order page; a number
    # that does not exist is still a 404.
    assert error_of(client.get(f"/api/v1/work-orders/{theirs['id']}", headers=crew), 403)["code"] == "forbidden"
    error_of(act(client, crew, theirs, "start"), 403)
    error_of(client.post(f"/api/v1/work-orders/{theirs['id']}/comments", json={"body": "我来"}, headers=crew), 403)
    error_of(client.get("/api/v1/work-orders/987654", headers=crew), 404)
    db.session.expire_all()
    assert db.session.get(WorkOrder, theirs["id"]).status == "assigned"
    other = headers_of(db, crews["other"])
    assert act(client, other, theirs, "start").status_code == 200
    assert client.get("/api/v1/work-orders/mine", headers=other).get_json()["today"] == []


def test_a_supervisor_of_another_area_does_not_see_the_work(client, db, bearer, users, area, well):
    elsewhere = Area(code="yuefeng", name="岳峰镇", level="town", parent=area.parent)
    db.session.add(elsewhere)
    db.session.flush()
    elsewhere.path = f"{area.parent.path}{elsewhere.id}/"
    neighbour = auth_services.create_user("sup2", PASSWORD, "supervisor")
    auth_services.set_user_areas(users["admin"], neighbour, ["yuefeng"])
    db.session.commit()
    order = create(client, bearer("supervisor"), well)

    theirs = headers_of(db, neighbour)
    assert client.get("/api/v1/work-orders", headers=theirs).get_json()["items"] == []
    error_of(client.get(f"/api/v1/work-orders/{order['id']}", headers=theirs), 403)
    error = error_of(client.post("/api/v1/work-orders", json={"asset": well.id, "kind": "repair", "title": "x"},
                                 headers=theirs), 403)
    assert error["code"] == "forbidden"


@pytest.mark.parametrize("role", ["viewer", "crew"])
def test_viewers_and_crews_cannot_create_or_make_supervisor_moves(client, bearer, users, role, well):
    boss = bearer("supervisor")
    order = create(client, boss, well, assignee_user=users["crew"].id)
    headers = bearer(role)
    body = {"asset": well.id, "kind": "repair", "title": "x"}
    assert error_of(client.post("/api/v1/work-orders", json=body, headers=headers), 403)["code"] == "forbidden"
    error_of(client.post("/api/v1/work-orders/bulk-assign", json={"ids": [order["id"]],
                                                                  "assignee_user": users["crew"].id},
                         headers=headers), 403)
    error_of(act(client, headers, order, "cancel", reason="不想干"), 403)
    assert client.get(f"/api/v1/work-orders/{order['id']}", headers=boss).get_json()["status"] == "assigned"


def test_a_read_only_token_reads_but_may_not_move(client, bearer, users, well):
    order = create(client, bearer("supervisor"), well, assignee_user=users["crew"].id)
    reader = bearer("crew", scopes=["read"])
    assert client.get(f"/api/v1/work-orders/{order['id']}", headers=reader).status_code == 200
    assert error_of(act(client, reader, order, "start"), 403)["code"] == "forbidden"
    assert act(client, bearer("crew"), order, "start").status_code == 200


def test_session_writes_need_the_csrf_token(client, users, well):
    token = sign_in_with_session(client, "supervisor")
    body = {"asset": well.id, "kind": "repair", "title": "浏览器里建的"}
    error_of(client.post("/api/v1/work-orders", json=body), 400)
    assert client.post("/api/v1/work-orders", json=body, headers={"X-CSRFToken": token}).status_code == 201


BAD_INPUTS = [
    ("no title", {"title": None}, "title"),
    ("an empty title", {"title": "  "}, "title"),
    ("an unknown kind", {"kind": "magic"}, "kind"),
    ("an unknown priority", {"priority": "whenever"}, "priority"),
    ("no such facility", {"asset": 987654}, "asset"),
    ("a facility id too large for any database", {"asset": 2**70}, "asset"),
    ("a code nobody issued", {"asset": "MH-00000-0"}, "asset"),
    ("a due time that is not one", {"due_at": "tomorrow"}, "due_at"),
    ("a due date in the past", {"due_at": "2001-01-01T00:00:00Z"}, "due_at"),
    ("a due date and a due time", {"due_at": "2030-01-01T00:00:00Z", "due_on": "2030-01-01"}, "due_on"),
    ("an assignee that is not a number", {"assignee_user": "crew"}, "assignee_user"),
    ("no such team", {"assignee_team": 999}, "assignee_team"),
    ("a field work orders do not have", {"colour": "red"}, "colour"),
]


@pytest.mark.parametrize("fields, field", [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_is_a_422_naming_the_field_and_saves_nothing(client, db, bearer, well, fields, field):
    body = {"asset": well.id, "kind": "repair", "title": "井盖破损", **fields}
    body = {key: value for key, value in body.items() if value is not None}
    error = error_of(client.post("/api/v1/work-orders", json=body, headers=bearer()), 422)
    assert error["code"] == "validation_error" and error["fields"].get(field), error
    assert db.session.scalar(sa.select(sa.func.count(WorkOrder.id))) == 0


def test_bad_moves_and_queries_are_422s_naming_the_field(client, bearer, well):
    headers = bearer()
    order = create(client, headers, well)
    url = f"/api/v1/work-orders/{order['id']}/actions/start"
    assert "version" in error_of(client.post(url, json={}, headers=headers), 422)["fields"]
    assert "version" in error_of(client.post(url, json={"version": "one"}, headers=headers), 422)["fields"]
    assert "time_spent_min" in error_of(act(client, headers, order, "complete", time_spent_min="long"), 422)["fields"]
    for query, field in (("status=lost", "status"), ("kind=magic", "kind"), ("area=atlantis", "area"),
                         ("after=bm90IGEgY3Vyc29y", "after"), ("after=%25%25", "after"), ("limit=0", "limit"),
                         ("team=abc", "team")):
        assert field in error_of(client.get(f"/api/v1/work-orders?{query}", headers=headers), 422)["fields"], query
    error_of(client.post("/api/v1/work-orders", data="{title:", content_type="application/json", headers=headers), 400)
    error_of(client.get("/api/v1/work-orders/987654", headers=headers), 404)


# --- the board -----------------------------------------------------------------------

def test_board_pages_walk_every_open_work_order_once_overdue_first(client, db, bearer, users, well):
    headers = bearer("supervisor")
    made = []
    for hours in (120, -20, 24, 72, -10, 48, 96):
        order = services.create_work_order(users["supervisor"], asset_id=well.id, kind="repair", title=f"{hours}h",
                                           due_at=utcnow() + timedelta(hours=hours))
        made.append((order.due_at, order.id))
    db.session.commit()
    closed = services.create_work_order(users["supervisor"], asset_id=well.id, kind="repair", title="已取消")
    services.act(users["supervisor"], closed.id, "cancel", version=closed.version, reason="重复")
    db.session.commit()

    seen, after, pages = [], None, 0
    while True:
        query = "limit=3" + (f"&after={after}" if after else "")
        page = client.get(f"/api/v1/work-orders?{query}", headers=headers).get_json()
        pages += 1
        seen += [item["id"] for item in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert seen == [order_id for _due, order_id in sorted(made)]
    assert pages == 3
    cancelled = client.get("/api/v1/work-orders?status=cancelled", headers=headers).get_json()["items"]
    assert [o["id"] for o in cancelled] == [closed.id]


def test_board_filters(client, db, bearer, users, crews, well, make_asset):
    sup = users["supervisor"]
    pipe_work = services.create_work_order(sup, asset_id=well.id, kind="maintenance", title="清淤", priority="low",
                                           assignee_team_id=crews["ours"].id)
    services.create_work_order(sup, asset_id=well.id, kind="repair", title="修井盖", priority="urgent")
    db.session.commit()
    headers = bearer("viewer")

    def ids(query):
        return [o["id"] for o in client.get(f"/api/v1/work-orders?{query}", headers=headers).get_json()["items"]]

    assert ids("kind=maintenance") == ids("priority=low") == ids(f"team={crews['ours'].id}") == [pipe_work.id]
    assert len(ids("area=gushan")) == len(ids("area=350111")) == 2
    assert ids("status=verified") == []
    reservoir = make_asset("reservoir", "登云水库")
    dam_work = services.create_work_order(sup, asset_id=reservoir.id, kind="inspection", title="大坝巡查")
    db.session.commit()
    assert ids("asset_type=reservoir") == ids(f"asset={reservoir.id}") == [dam_work.id]
    assert len(ids("asset_type=manhole")) == len(ids(f"asset={well.id}")) == 2
    assert ids("asset_type=reservoir&priority=low") == [] and ids("asset=987654") == []
    for query, field in (("asset_type=volcano", "asset_type"), ("asset=x", "asset"), ("asset=0", "asset")):
        assert field in error_of(client.get(f"/api/v1/work-orders?{query}", headers=headers), 422)["fields"]


# --- comments and bulk assignment ------------------------------------------------------

def test_comments_from_the_crew_but_not_from_viewers(client, bearer, users, well):
    order = create(client, bearer("supervisor"), well, assignee_user=users["crew"].id)
    url = f"/api/v1/work-orders/{order['id']}/comments"
    made = client.post(url, json={"body": "  井盖已订货 "}, headers=bearer("crew"))
    assert made.status_code == 201
    assert made.get_json()["body"] == "井盖已订货" and made.get_json()["author"]["username"] == "crew"
    assert "body" in error_of(client.post(url, json={"body": " "}, headers=bearer("crew")), 422)["fields"]
    assert "body" in error_of(client.post(url, json={}, headers=bearer("crew")), 422)["fields"]
    error_of(client.post(url, json={"body": "看看"}, headers=bearer("viewer")), 403)
    detail = client.get(f"/api/v1/work-orders/{order['id']}", headers=bearer("viewer")).get_json()
    assert [c["body"] for c in detail["comments"]] == ["井盖已订货"]
    assert detail["history"][0]["action"] == "comment"


def test_bulk_assign_is_all_or_nothing(client, db, bearer, users, crews, well):
    headers = bearer("supervisor")
    first, second = create(client, headers, well, title="一"), create(client, headers, well, title="二")
    body = {"ids": [first["id"], second["id"], 987654], "assignee_team": crews["ours"].id}
    error_of(client.post("/api/v1/work-orders/bulk-assign", json=body, headers=headers), 404)
    assert client.get(f"/api/v1/work-orders/{first['id']}", headers=headers).get_json()["status"] == "new"

    body["ids"] = body["ids"][:2]
    response = client.post("/api/v1/work-orders/bulk-assign", json=body, headers=headers)
    assert response.status_code == 200 and response.get_json() == {"count": 2}
    board = client.get(f"/api/v1/work-orders?team={crews['ours'].id}", headers=headers).get_json()["items"]
    assert {o["id"] for o in board} == {first["id"], second["id"]}
    assert "ids" in error_of(client.post("/api/v1/work-orders/bulk-assign", json={"ids": []}, headers=headers),
                             422)["fields"]
    assert "ids.0" in error_of(client.post("/api/v1/work-orders/bulk-assign", json={"ids": ["x"]}, headers=headers),
                               422)["fields"]


def test_bulk_sets_priority_and_due_date_all_or_nothing_and_audited(client, db, bearer, users, crews, well):
    headers = bearer("supervisor")
    first, second = create(client, headers, well, title="一"), create(client, headers, well, title="二")
    closed = create(client, headers, well, title="三")
    act(client, headers, closed, "cancel", reason="重复")
    url = "/api/v1/work-orders/bulk-assign"

    error = error_of(client.post(url, json={"ids": [first["id"], closed["id"]], "priority": "urgent"},
                                 headers=headers), 409)
    assert "ids" in error["fields"] and error["current"]["id"] == closed["id"]
    assert client.get(f"/api/v1/work-orders/{first['id']}", headers=headers).get_json()["priority"] == "normal"

    body = {"ids": [first["id"], second["id"]], "priority": "high", "due_on": "2030-03-01"}
    assert client.post(url, json=body, headers=headers).get_json() == {"count": 2}
    for order in (first, second):
        now = client.get(f"/api/v1/work-orders/{order['id']}", headers=headers).get_json()
        assert (now["priority"], now["status"], now["due_at"][:10]) == ("high", "new", "2030-03-01")
        assert now["history"][0]["action"] == "update" and now["history"][0]["changes"]["priority"] == ["normal",
                                                                                                      "high"]
    body = {"ids": [first["id"]], "priority": "low", "assignee_team": crews["ours"].id}
    assert client.post(url, json=body, headers=headers).get_json() == {"count": 1}
    now = client.get(f"/api/v1/work-orders/{first['id']}", headers=headers).get_json()
    assert (now["priority"], now["status"], now["assignee_team"]["id"]) == ("low", "assigned", crews["ours"].id)

    for bad, field in (({"priority": "soon"}, "priority"), ({"due_at": "2001-01-01T00:00:00Z"}, "due_at"),
                       ({"due_on": "2030-01-01", "due_at": "2030-01-01T00:00:00Z"}, "due_on"), ({}, "assignee_user")):
        assert field in error_of(client.post(url, json={"ids": [second["id"]], **bad}, headers=headers),
                                 422)["fields"], bad
    error_of(client.post(url, json={"ids": [second["id"]], "priority": "low"}, headers=bearer("crew")), 403)


def test_attachments_listed_and_uploaded_through_the_api(client, db, bearer, users, crews, well):
    from io import BytesIO

    from tests.conftest import jpeg_bytes

    order = create(client, bearer("supervisor"), well, assignee_team=crews["ours"].id)
    url = f"/api/v1/work-orders/{order['id']}/attachments"
    crew = bearer("crew")
    photo = client.post(url, data={"file": (BytesIO(jpeg_bytes((900, 600))), "damage.jpg")}, headers=crew,
                        content_type="multipart/form-data")
    assert photo.status_code == 201, photo.get_json()
    made = photo.get_json()
    assert (made["filename"], made["content_type"], made["uploaded_by"]["username"]) == ("damage.jpg", "image/jpeg",
                                                                                        "crew")
    served = client.get(made["url"], headers=crew)
    assert served.status_code == 200 and served.mimetype == "image/jpeg" and made["thumbnail_url"]
    served.close()
    pdf = client.post(url, data={"file": (BytesIO(b"%PDF-1.4\n%%EOF"), "quote.pdf")}, headers=crew,
                      content_type="multipart/form-data").get_json()
    assert (pdf["content_type"], pdf["thumbnail_url"]) == ("application/pdf", None)
    for data in ({"file": (BytesIO(b"MZ\x90\x00"), "virus.exe")}, {}):
        assert "file" in error_of(client.post(url, data=data, headers=crew, content_type="multipart/form-data"),
                                  422)["fields"]
    listed = client.get(url, headers=bearer("viewer")).get_json()["items"]
    assert [a["filename"] for a in listed] == ["damage.jpg", "quote.pdf"]
    viewer = client.post(url, data={"file": (BytesIO(jpeg_bytes()), "a.jpg")}, headers=bearer("viewer"),
                         content_type="multipart/form-data")
    error_of(viewer, 403)
    other = headers_of(db, crews["other"])
    error_of(client.get(url, headers=other), 403)
    error_of(client.post(url, data={"file": (BytesIO(jpeg_bytes()), "a.jpg")}, headers=other,
                         content_type="multipart/form-data"), 403)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkOrderAttachment)) == 2


def test_a_work_order_names_its_checklist(client, bearer, users, make_asset, checklist):
    order = create(client, bearer("supervisor"), make_asset("manhole"), kind="inspection")
    assert order["checklist_template"] == {"id": checklist.id, "key": "manhole.test_inspection", "version": 1,
                                           "asset_type": "manhole", "name_zh": "检查井巡查",
                                           "name_en": "Manhole inspection"}
    bare = create(client, bearer("supervisor"), make_asset("manhole", "另一口井"), checklist_template="none")
    assert bare["checklist_template"] is None
    board = client.get("/api/v1/work-orders", headers=bearer("viewer")).get_json()["items"]
    assert {o["id"]: o["checklist_template"] and o["checklist_template"]["key"] for o in board} == {
        order["id"]: "manhole.test_inspection", bare["id"]: None}


def test_a_work_orders_and_a_facilitys_audit_trail_page_by_page(client, db, bearer, users, crews, well):
    headers = bearer("supervisor")
    order = create(client, headers, well)
    for number in range(5):
        workorders_notes.add_comment(users["supervisor"], order["id"], f"第{number}条")
    db.session.commit()
    url = f"/api/v1/work-orders/{order['id']}/audit"
    first = client.get(f"{url}?limit=4", headers=headers).get_json()
    second = client.get(f"{url}?limit=4&before={first['next']}", headers=headers).get_json()
    assert [e["action"] for e in first["items"] + second["items"]] == ["comment"] * 5 + ["create"]
    assert second["next"] is None and first["items"][0]["actor"] == "supervisor"
    assert "limit" in error_of(client.get(f"{url}?limit=0", headers=headers), 422)["fields"]
    error_of(client.get(url, headers=headers_of(db, crews["other"])), 403)

    trail = client.get(f"/api/v1/assets/{well.id}/audit", headers=bearer("viewer")).get_json()
    assert [e["action"] for e in trail["items"]] == ["bind", "create"] and trail["next"] is None
    assert trail["items"][-1]["changes"]["name"] == [None, "温泉路3号井"]
    error_of(client.get("/api/v1/assets/987654/audit", headers=headers), 404)
    assert "before" in error_of(client.get(f"/api/v1/assets/{well.id}/audit?before=x", headers=headers),
                                422)["fields"]


# --- the description -------------------------------------------------------------------

def test_openapi_lists_the_work_order_paths(client, db):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/work-orders", "/api/v1/work-orders/mine", "/api/v1/work-orders/{order_id}",
                 "/api/v1/work-orders/{order_id}/actions/{action}", "/api/v1/work-orders/{order_id}/comments",
                 "/api/v1/work-orders/bulk-assign", "/api/v1/work-orders/{order_id}/attachments",
                 "/api/v1/work-orders/{order_id}/audit", "/api/v1/assets/{asset_id}/audit"):
        assert path in spec["paths"], path
    assert set(spec["paths"]["/api/v1/work-orders"]) == {"get", "post"}
    assert {"get", "post"} <= set(spec["paths"]["/api/v1/work-orders/{order_id}/attachments"])
    board_filters = {p["name"] for p in spec["paths"]["/api/v1/work-orders"]["get"]["parameters"]}
    assert {"asset", "asset_type"} <= board_filters
    assert "checklist_template" in spec["components"]["schemas"]["WorkOrder"]["properties"]
    summary = spec["paths"]["/api/v1/work-orders/mine"]["get"]["summary"]
    assert summary == "My work: overdue, due today and in the coming week"
    schemas = set(spec["components"]["schemas"])
    assert {"WorkOrder", "WorkOrderDetail", "WorkOrderCreate", "BoardPage", "MyWork"} <= schemas


def test_docs_page_translates_the_work_order_summaries(client, users):
    sign_in_with_session(client, "viewer")
    html = client.get("/api/docs", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "/api/v1/work-orders/{order_id}/actions/{action}" in html and "Create a work order" in html


def test_two_supervisors_patch_the_same_order_and_the_second_gets_409_with_what_the_first_saved(
        client, db, users, make_asset, bearer):
    order = services.create_work_order(users["supervisor"], asset_id=make_asset().id, kind="repair", title="漏水")
    db.session.commit()
    read = client.get(f"/api/v1/work-orders/{order.id}", headers=bearer("admin")).get_json()
    first = client.patch(f"/api/v1/work-orders/{order.id}", json={"version": read["version"], "priority": "urgent"},
                         headers=bearer("supervisor"))
    assert first.status_code == 200 and first.get_json()["priority"] == "urgent"
    second = client.patch(f"/api/v1/work-orders/{order.id}", json={"version": read["version"], "title": "主阀漏水"},
                          headers=bearer("admin"))
    error = error_of(second, 409)
    assert error["current"]["priority"] == "urgent" and error["current"]["version"] == read["version"] + 1
    db.session.expire_all()
    saved = db.session.get(WorkOrder, order.id)
    assert (saved.title, saved.priority) == ("漏水", "urgent")
    bad = client.patch(f"/api/v1/work-orders/{order.id}", json={"version": saved.version, "priority": "soon"},
                       headers=bearer("supervisor"))
    assert "priority" in error_of(bad, 422)["fields"]


def test_a_supervisor_answering_for_some_facility_types_sees_and_manages_only_those(client, db, bearer, users,
                                                                                      make_asset):
    well, reservoir = make_asset("manhole", "温泉路3号井"), make_asset("reservoir", "登云水库")
    admin = bearer("admin")
    drain, dam = create(client, admin, well, title="清淤"), create(client, admin, reservoir, title="大坝巡查")
    water = auth_services.create_user("water", PASSWORD, "supervisor")
    db.session.commit()
    changed = client.patch(f"/api/v1/users/{water.id}", json={"asset_types": ["reservoir"]}, headers=admin)
    assert changed.status_code == 200 and changed.get_json()["asset_types"] == ["reservoir"]
    assert "asset_types" in error_of(client.patch(f"/api/v1/users/{water.id}", json={"asset_types": ["volcano"]},
                                                  headers=admin), 422)["fields"]
    headers = headers_of(db, water)

    assert [o["id"] for o in client.get("/api/v1/work-orders", headers=headers).get_json()["items"]] == [dam["id"]]
    assert client.get(f"/api/v1/work-orders/{dam['id']}", headers=headers).status_code == 200
    error_of(client.get(f"/api/v1/work-orders/{drain['id']}", headers=headers), 403)
    error_of(act(client, headers, drain, "cancel", reason="不归我管"), 403)
    assert act(client, headers, dam, "cancel", reason="重复").status_code == 200
    refused = client.post("/api/v1/work-orders", json={"asset": well.id, "kind": "repair", "title": "x"},
                          headers=headers)
    assert error_of(refused, 403)["code"] == "forbidden"
    made = client.post("/api/v1/work-orders", json={"asset": reservoir.id, "kind": "repair", "title": "闸门"},
                       headers=headers)
    assert made.status_code == 201

    client.patch(f"/api/v1/users/{water.id}", json={"asset_types": []}, headers=admin)
    assert client.get(f"/api/v1/work-orders/{drain['id']}", headers=headers).status_code == 200


def test_a_viewer_is_refused_as_assignee_naming_the_field(client, users, make_asset, bearer):
    boss = bearer("supervisor")
    asset = make_asset()
    created = client.post("/api/v1/work-orders", json={"asset": asset.id, "kind": "repair", "title": "井盖松动",
                                                       "assignee_user": users["viewer"].id}, headers=boss)
    assert "assignee_user" in error_of(created, 422)["fields"]
    order = client.post("/api/v1/work-orders", json={"asset": asset.id, "kind": "repair", "title": "井盖松动"},
                        headers=boss).get_json()
    assigned = client.post(f"/api/v1/work-orders/{order['id']}/actions/assign",
                           json={"version": order["version"], "assignee_user": users["viewer"].id}, headers=boss)
    assert "assignee_user" in error_of(assigned, 422)["fields"]
