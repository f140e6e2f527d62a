"""REST API v1 for notifications: each user reads and marks only their own."""
import sqlalchemy as sa

from municipal.notify.models import Notification
from municipal.notify.services import notify
from tests.web.api_helpers import anonymous_routes, bearer, error_of, sign_in_with_session  # noqa: F401


def notified(db, user, count: int, kind="assigned") -> None:
    for i in range(count):
        notify([user], kind, {"number": f"WO-{i:06d}", "title": f"第{i}件"}, f"/work/{i}")
    db.session.commit()


def test_my_notifications_newest_first_in_my_language_page_by_page(client, db, bearer, users):
    notified(db, users["crew"], 5)
    notified(db, users["viewer"], 1)
    headers = {**bearer("crew"), "Accept-Language": "en"}

    first = client.get("/api/v1/notifications?limit=3", headers=headers).get_json()
    assert [n["params"]["number"] for n in first["items"]] == ["WO-000004", "WO-000003", "WO-000002"]
    assert first["items"][0]["message"] == "Work order WO-000004 was assigned to you: 第4件"
    assert first["items"][0]["link"] == "/work/4" and first["items"][0]["read_at"] is None
    assert first["unread"] == 5
    rest = client.get(f"/api/v1/notifications?limit=3&before={first['next']}", headers=headers).get_json()
    assert [n["params"]["number"] for n in rest["items"]] == ["WO-000001", "WO-000000"] and rest["next"] is None

    chinese = client.get("/api/v1/notifications", headers={**headers, "Accept-Language": "zh-CN"}).get_json()
    assert chinese["items"][0]["message"] != first["items"][0]["message"]


def test_mark_some_then_all_read_and_never_someone_elses(client, db, bearer, users):
    notified(db, users["crew"], 3)
    notified(db, users["viewer"], 1)
    theirs = db.session.scalar(sa.select(Notification.id).where(Notification.user_id == users["viewer"].id))
    headers = bearer("crew")
    mine = [n["id"] for n in client.get("/api/v1/notifications", headers=headers).get_json()["items"]]

    marked = client.post("/api/v1/notifications/read", json={"ids": [mine[0], theirs]}, headers=headers)
    assert marked.status_code == 200 and marked.get_json() == {"marked": 1, "unread": 2}
    assert client.post("/api/v1/notifications/read", json={"ids": []}, headers=headers).get_json() == {
        "marked": 0, "unread": 2}
    assert client.post("/api/v1/notifications/read", json={}, headers=headers).get_json() == {"marked": 2, "unread": 0}
    items = client.get("/api/v1/notifications", headers=headers).get_json()["items"]
    assert all(n["read_at"] for n in items)
    db.session.expire_all()
    assert db.session.get(Notification, theirs).read_at is None


def test_bad_input_is_a_422_naming_the_field(client, bearer):
    headers = bearer("crew")
    for query, field in (("limit=0", "limit"), ("limit=many", "limit"), ("before=-1", "before")):
        assert field in error_of(client.get(f"/api/v1/notifications?{query}", headers=headers), 422)["fields"]
    assert "ids" in error_of(client.post("/api/v1/notifications/read", json={"ids": "all"}, headers=headers),
                             422)["fields"]
    assert "ids.1" in error_of(client.post("/api/v1/notifications/read", json={"ids": [1, "x"]}, headers=headers),
                               422)["fields"]


def test_anonymous_requests_get_401(app, client, db):
    routes = anonymous_routes(app, {"notify_api"})
    assert len(routes) == 2
    for method, url in routes:
        assert error_of(client.open(url, method=method, json={}), 401)["code"] == "unauthorized"


def test_a_read_only_token_reads_but_does_not_mark(client, db, bearer, users):
    notified(db, users["crew"], 1)
    reader = bearer("crew", scopes=["read"])
    assert client.get("/api/v1/notifications", headers=reader).get_json()["unread"] == 1
    error_of(client.post("/api/v1/notifications/read", json={}, headers=reader), 403)


def test_session_marking_needs_the_csrf_token(client, db, users):
    notified(db, users["crew"], 1)
    token = sign_in_with_session(client, "crew")
    error_of(client.post("/api/v1/notifications/read", json={}), 400)
    assert client.post("/api/v1/notifications/read", json={}, headers={"X-CSRFToken": token}).get_json()["marked"] == 1


def test_openapi_lists_the_notification_paths(client, db):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "get" in paths["/api/v1/notifications"] and "post" in paths["/api/v1/notifications/read"]
