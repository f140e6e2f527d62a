"""REST API v1 for citizen reports: the public's report and lookup, and the supervisors' triage."""
import pytest
import sqlalchemy as sa

from municipal.assets.models import Area
from municipal.auth import services as auth_services
from municipal.auth.tokens import create_token
from municipal.intake.models import CitizenReport
from municipal.workorders import access as workorders_access
from tests.conftest import PASSWORD, csrf_token
from tests.web.api_helpers import anonymous_routes, bearer, error_of, sign_in_with_session  # noqa: F401

PHONE = {"User-Agent": "Mozilla/5.0 (iPhone) MicroMessenger/8.0"}
REPORT = {"category": "damaged", "description": "井盖破损，有行人踩空的危险"}


def send(client, **fields):
    return client.post("/api/v1/public/reports", json={**REPORT, **fields}, headers=PHONE)


def sent(client, **fields) -> dict:
    response = send(client, **fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def report_id(db, number: str) -> int:
    return db.session.scalar(sa.select(CitizenReport.id).where(CitizenReport.number == number))


# --- the public --------------------------------------------------------------------

def test_a_citizen_reports_by_the_label_code_and_follows_it_without_contact_leaking(client, db, make_asset):
    well = make_asset(name="鼓山路3号井")
    spelled = well.code.code.lower().replace("-", "")
    answer = sent(client, code=spelled, contact_name="陈女士", contact_phone="13905910002", lon=119.31, lat=26.09)
    assert answer["number"].startswith("R-") and answer["status"] == "new" and answer["facility"] == "鼓山路3号井"
    assert set(answer) == {"number", "category", "category_label", "facility", "status", "status_label", "reply",
                           "created_at", "accepted_at", "done_at", "closed_at"}
    stored = db.session.scalar(sa.select(CitizenReport).where(CitizenReport.number == answer["number"]))
    assert (stored.asset_id, stored.contact_phone, stored.lon) == (well.id, "13905910002", 119.31)

    looked_up = client.get(f"/api/v1/public/reports/{answer['number'].lower().replace('-', '')}")
    assert looked_up.status_code == 200
    assert looked_up.get_json() == answer
    text = looked_up.get_data(as_text=True)
    assert "13905910002" not in text and "陈女士" not in text and "119.31" not in text


def test_a_report_without_a_code(client, db):
    answer = sent(client, category="blocked", description="路口雨水井堵塞，积水很深")
    assert answer["facility"] == "" and answer["category"] == "blocked"


@pytest.mark.parametrize("fields, field", [
    ({"category": "ufo"}, "category"),
    ({"description": "坏"}, "description"),
    ({"description": None}, "description"),
    ({"contact_phone": "call me"}, "contact_phone"),
    ({"lon": 119.3}, "position"),
    ({"lon": "east", "lat": 26.1}, "lon"),
    ({"code": "MH-00000-0"}, "code"),
    ({"code": "nonsense!"}, "code"),
    ({"asset_id": 1}, "asset_id"),
], ids=["category", "short", "missing", "phone", "half a position", "lon text", "unknown code", "malformed code",
        "unknown field"])
def test_a_bad_report_is_a_422_naming_the_field_and_saves_nothing(client, db, fields, field):
    body = {key: value for key, value in {**REPORT, **fields}.items() if value is not None}
    error = error_of(client.post("/api/v1/public/reports", json=body, headers=PHONE), 422)
    assert error["fields"].get(field), error
    assert db.session.scalar(sa.select(sa.func.count(CitizenReport.id))) == 0


def test_too_many_reports_from_one_client_answer_429(app, client, db):
    for _ in range(app.config["REPORT_RATE_LIMIT"]):
        sent(client)
    error = error_of(send(client), 429)
    assert error["code"] == "rate_limited"
    assert db.session.scalar(sa.select(sa.func.count(CitizenReport.id))) == app.config["REPORT_RATE_LIMIT"]


def test_an_unknown_number_is_a_404(client, db):
    assert error_of(client.get("/api/v1/public/reports/R-ZZZZZZZZ"), 404)["code"] == "not_found"
    error_of(client.get("/api/v1/public/reports/whatever"), 404)


def test_a_signed_in_browser_reports_without_a_csrf_token(client, users):
    # The endpoint borrows nobody's rights, so a forged request gains nothing a citizen could not do.
    sign_in_with_session(client, "crew")
    assert send(client).status_code == 201


# --- triage --------------------------------------------------------------------------

def test_triage_shows_contact_details_to_supervisors_newest_first(client, db, bearer, make_asset):
    well = make_asset(name="鼓山路3号井")
    first = sent(client, code=well.code.code, contact_phone="13905910002")
    second = sent(client, category="leaking", description="水管漏水，路面都湿了")
    headers = bearer("supervisor")

    page = client.get("/api/v1/reports", headers=headers).get_json()
    assert [r["number"] for r in page["items"]] == [second["number"], first["number"]] and page["next"] is None
    assert page["items"][1]["contact_phone"] == "13905910002"
    assert page["items"][1]["asset"] == {"id": well.id, "name": "鼓山路3号井"}
    assert page["items"][1]["photo_url"] is None

    first_page = client.get("/api/v1/reports?limit=1", headers=headers).get_json()
    rest = client.get(f"/api/v1/reports?limit=1&after={first_page['next']}", headers=headers).get_json()
    assert [r["number"] for r in first_page["items"] + rest["items"]] == [second["number"], first["number"]]
    in_gushan = client.get("/api/v1/reports?area=gushan", headers=headers).get_json()["items"]
    assert [r["number"] for r in in_gushan] == [first["number"]]

    one = client.get(f"/api/v1/reports/{report_id(db, first['number'])}", headers=headers).get_json()
    assert one["description"] == REPORT["description"] and one["status"] == "new"


def test_close_with_a_reply_the_citizen_reads(client, db, bearer):
    number = sent(client)["number"]
    url = f"/api/v1/reports/{report_id(db, number)}/close"
    headers = bearer("supervisor")
    assert "reply" in error_of(client.post(url, json={"reply": " "}, headers=headers), 422)["fields"]
    assert "reply" in error_of(client.post(url, json={}, headers=headers), 422)["fields"]
    closed = client.post(url, json={"reply": "已派人处理，谢谢"}, headers=headers)
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    assert client.get(f"/api/v1/public/reports/{number}").get_json()["reply"] == "已派人处理，谢谢"
    assert error_of(client.post(url, json={"reply": "再关一次"}, headers=headers), 409)["code"] == "conflict"
    assert client.get("/api/v1/reports?status=new", headers=headers).get_json()["items"] == []


def test_accept_makes_a_work_order_once(client, db, bearer, make_asset):
    well = make_asset(name="鼓山路3号井")
    number = sent(client, code=well.code.code)["number"]
    url = f"/api/v1/reports/{report_id(db, number)}/accept"
    headers = bearer("supervisor")
    accepted = client.post(url, headers=headers)
    assert accepted.status_code == 200, accepted.get_json()
    work_order_id = accepted.get_json()["work_order_id"]
    order = client.get(f"/api/v1/work-orders/{work_order_id}", headers=headers).get_json()
    assert (order["kind"], order["source"], order["asset"]["id"]) == ("citizen_report", "citizen", well.id)
    assert client.get(f"/api/v1/public/reports/{number}").get_json()["status"] == "accepted"
    error_of(client.post(url, headers=headers), 409)

    no_facility = sent(client)["number"]
    error = error_of(client.post(f"/api/v1/reports/{report_id(db, no_facility)}/accept", headers=headers), 422)
    assert "asset" in error["fields"]


def test_accept_sets_priority_and_assignee(client, db, bearer, users, make_asset):
    well = make_asset(name="鼓山路3号井")
    number = sent(client, code=well.code.code)["number"]
    url = f"/api/v1/reports/{report_id(db, number)}/accept"
    headers = bearer("supervisor")
    error_of(client.post(url, json={"priority": "someday"}, headers=headers), 422)
    accepted = client.post(url, json={"priority": "high", "assignee_user_id": users["crew"].id}, headers=headers)
    assert accepted.status_code == 200 and accepted.get_json()["priority"] == "high"
    order = client.get(f"/api/v1/work-orders/{accepted.get_json()['work_order_id']}", headers=headers).get_json()
    assert (order["priority"], order["status"]) == ("high", "assigned")


def test_anonymous_requests_to_triage_get_401(app, client, db):
    routes = [(m, u) for m, u in anonymous_routes(app, {"intake_api"}) if "/public/" not in u]
    assert len(routes) == 4
    for method, url in routes:
        for headers in ({}, {"Authorization": "Bearer mun_not-a-token"}):
            assert error_of(client.open(url, method=method, json={}, headers=headers), 401)["code"] == "unauthorized"


@pytest.mark.parametrize("role", ["crew", "viewer"])
def test_crews_and_viewers_cannot_triage(client, db, bearer, role):
    report = report_id(db, sent(client, contact_phone="13905910002")["number"])
    headers = bearer(role)
    for method, url, body in (("GET", "/api/v1/reports", None), ("GET", f"/api/v1/reports/{report}", None),
                              ("POST", f"/api/v1/reports/{report}/close", {"reply": "不管"}),
                              ("POST", f"/api/v1/reports/{report}/accept", {})):
        response = client.open(url, method=method, json=body, headers=headers)
        assert error_of(response, 403)["code"] == "forbidden", url
        assert "13905910002" not in response.get_data(as_text=True)
    assert client.get(f"/api/v1/reports/{report}", headers=bearer("supervisor")).get_json()["status"] == "new"


def test_a_supervisor_of_another_area_does_not_see_the_report(client, db, users, area, make_asset):
    elsewhere = Area(code="yuefeng", name="岳峰镇", level="town", parent=area.parent)
    db.session.add(elsewhere)
    db.session.flush()
    elsewhere.path = f"{area.parent.path}{elsewhere.id}/"
    neighbour = auth_services.create_user("sup2", PASSWORD, "supervisor")
    auth_services.set_user_areas(users["admin"], neighbour, ["yuefeng"])
    _, plain = create_token(neighbour, "test")
    db.session.commit()
    well = make_asset(name="鼓山路3号井")
    report = report_id(db, sent(client, code=well.code.code)["number"])
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/reports", headers=headers).get_json()["items"] == []
    error_of(client.get(f"/api/v1/reports/{report}", headers=headers), 404)
    error_of(client.post(f"/api/v1/reports/{report}/close", json={"reply": "不归我管"}, headers=headers), 404)


def test_a_read_only_token_may_triage_but_not_close(client, db, bearer):
    report = report_id(db, sent(client)["number"])
    reader = bearer("supervisor", scopes=["read"])
    assert client.get(f"/api/v1/reports/{report}", headers=reader).status_code == 200
    error_of(client.post(f"/api/v1/reports/{report}/close", json={"reply": "好的"}, headers=reader), 403)


def test_bad_triage_queries_are_422s(client, bearer):
    headers = bearer("supervisor")
    for query, field in (("status=lost", "status"), ("area=atlantis", "area"), ("after=x", "after"),
                         ("limit=1000", "limit")):
        assert field in error_of(client.get(f"/api/v1/reports?{query}", headers=headers), 422)["fields"], query


def test_openapi_lists_the_report_paths_and_the_public_ones_need_no_sign_in(client, db):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/reports", "/api/v1/reports/{report_id}", "/api/v1/reports/{report_id}/close",
                 "/api/v1/reports/{report_id}/accept", "/api/v1/public/reports", "/api/v1/public/reports/{number}"):
        assert path in spec["paths"], path
    assert spec["paths"]["/api/v1/public/reports"]["post"]["security"] == []
    assert spec["paths"]["/api/v1/public/reports/{number}"]["get"]["security"] == []
    assert "security" not in spec["paths"]["/api/v1/reports"]["get"]
    public = spec["components"]["schemas"]["PublicReport"]["properties"]
    assert not {"contact_name", "contact_phone", "lon", "lat"} & set(public)


def test_the_public_status_follows_the_work_order_in_the_page_and_the_api(client, db, users, make_asset):
    from municipal.intake import services as intake
    from municipal.workorders import services as work

    answer = sent(client, code=make_asset(name="鼓山路3号井").code.code)
    intake.accept_report(users["supervisor"], report_id(db, answer["number"]))
    report = db.session.get(CitizenReport, report_id(db, answer["number"]))
    order = workorders_access.get_work_order(users["supervisor"], report.work_order_id)
    work.act(users["supervisor"], order.id, "assign", version=order.version, assignee_user_id=users["crew"].id)
    work.act(users["crew"], order.id, "start", version=order.version)
    db.session.commit()
    url = f"/api/v1/public/reports/{answer['number']}"
    assert client.get(url).get_json()["status"] == "in_progress"
    page = client.get(f"/report/status?number={answer['number']}&lang=en").get_data(as_text=True)
    assert "Being worked on" in page
    work.act(users["crew"], order.id, "complete", version=order.version)
    db.session.commit()
    looked_up = client.get(url).get_json()
    assert looked_up["status"] == "done" and looked_up["done_at"] and looked_up["closed_at"] is None
    page = client.get(f"/report/status?number={answer['number']}&lang=en").get_data(as_text=True)
    assert "crew" not in page


def test_a_new_user_agent_does_not_reset_the_count(app, client, db):
    for n in range(app.config["REPORT_RATE_LIMIT"]):
        response = client.post("/api/v1/public/reports", json=REPORT, headers={**PHONE, "User-Agent": f"Phone/{n}"})
        assert response.status_code == 201
    again = client.post("/api/v1/public/reports", json=REPORT, headers={**PHONE, "User-Agent": "Another/1.0"})
    assert error_of(again, 429)["code"] == "rate_limited"


def test_the_device_cookie_counts_like_the_forms_across_addresses(app, client, db):
    limit = app.config["REPORT_RATE_LIMIT"]
    for _ in range(limit):
        assert send(client).status_code == 201
    cookie = client.get_cookie("report_device")
    assert cookie is not None and cookie.http_only
    # The same phone on another network: its cookie still counts.
    moved = client.post("/api/v1/public/reports", json=REPORT, headers=PHONE,
                        environ_overrides={"REMOTE_ADDR": "10.1.2.3"})
    assert error_of(moved, 429)["code"] == "rate_limited"
    # A new cookie on the first network: the address still counts.
    client.delete_cookie("report_device")
    assert error_of(send(client), 429)["code"] == "rate_limited"
    # A new phone on the other network is another reporter.
    client.delete_cookie("report_device")
    fresh = client.post("/api/v1/public/reports", json=REPORT, headers=PHONE,
                        environ_overrides={"REMOTE_ADDR": "10.1.2.3"})
    assert fresh.status_code == 201
    assert db.session.scalar(sa.select(sa.func.count(CitizenReport.id))) == limit + 1


def test_a_phone_counted_by_the_api_is_counted_by_the_form_too(app, client, db):
    for _ in range(app.config["REPORT_RATE_LIMIT"]):
        assert send(client).status_code == 201
    data = {"category": "damaged", "description": "井盖破损", "csrf_token": csrf_token(client, "/report")}
    refused = client.post("/report", data=data, headers=PHONE, content_type="multipart/form-data",
                          environ_overrides={"REMOTE_ADDR": "10.1.2.3"})
    assert refused.status_code == 429
