"""The notifications page and the bell: each user sees only their own."""
import re

from municipal.notify import services
from municipal.notify.models import Notification
from tests.conftest import csrf_token

ASSIGNED = {"number": "WO-2026-0001", "title": "鼓山水库大坝巡查"}


def _badge(page: str) -> str | None:
    found = re.search(r'class="badge"[^>]*>([^<]+)<', page)
    return found.group(1) if found else None


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/notifications/read").status_code in (302, 400)


def test_a_user_sees_own_notifications_and_the_bell_counts_them(client, db, users, login):
    services.notify([users["crew"]], "assigned", ASSIGNED, "/workorders/7")
    services.notify([users["supervisor"]], "citizen_report",
                    {"number": "R-3", "area": "鼓山镇", "title": "supervisor-only secret"}, "/intake/3")
    db.session.commit()

    login("crew")
    page = client.get("/notifications?lang=en").get_data(as_text=True)
    assert "Work order WO-2026-0001 was assigned to you: 鼓山水库大坝巡查" in page
    assert 'href="/workorders/7"' in page
    assert "supervisor-only secret" not in page and "/intake/3" not in page
    assert _badge(page) == "1"

    login("viewer")
    page = client.get("/notifications").get_data(as_text=True)
    assert "WO-2026-0001" not in page and "supervisor-only secret" not in page
    assert _badge(page) is None
    assert 'class="bell"' in page


def test_marking_one_read_cannot_touch_another_users_notification(client, db, users, login):
    services.notify([users["crew"], users["supervisor"]], "assigned", ASSIGNED, "/workorders/7")
    db.session.commit()
    supervisors = services.recent(users["supervisor"], 1)[0].id

    login("crew")
    token = csrf_token(client, "/notifications")
    response = client.post("/notifications/read", data={"id": supervisors, "csrf_token": token})
    assert response.status_code == 302
    assert services.unread_count(users["supervisor"]) == 1
    assert services.unread_count(users["crew"]) == 1

    own = services.recent(users["crew"], 1)[0].id
    client.post("/notifications/read", data={"id": own, "csrf_token": token})
    assert services.unread_count(users["crew"]) == 0
    assert _badge(client.get("/notifications").get_data(as_text=True)) is None


def test_mark_all_read(client, db, users, login):
    for number in range(3):
        services.notify([users["crew"]], "assigned", {**ASSIGNED, "number": number}, "/workorders/7")
    db.session.commit()
    login("crew")
    page = client.get("/notifications").get_data(as_text=True)
    assert _badge(page) == "3" and page.count('name="id"') == 3
    client.post("/notifications/read", data={"csrf_token": csrf_token(client, "/notifications")})
    page = client.get("/notifications").get_data(as_text=True)
    assert _badge(page) is None and 'name="id"' not in page
    assert db.session.query(Notification).filter(Notification.read_at.is_(None)).count() == 0


def test_bad_input_is_a_clear_4xx(client, db, users, login):
    login("crew")
    response = client.post("/notifications/read", data={"id": "abc", "csrf_token": csrf_token(client, "/notifications")},
                           headers={"Accept": "application/json"})
    assert response.status_code == 422 and "id" in response.get_json()["error"]["fields"]
    assert client.post("/notifications/read", data={"id": "1"}).status_code == 400
    response = client.get("/notifications?before=x", headers={"Accept": "application/json"})
    assert response.status_code == 422 and "before" in response.get_json()["error"]["fields"]


def test_the_list_pages_newest_first(app, client, db, users, login, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    for number in range(3):
        services.notify([users["crew"]], "assigned", {**ASSIGNED, "number": f"WO-{number}"}, "/workorders/7")
    db.session.commit()
    login("crew")
    first = client.get("/notifications").get_data(as_text=True)
    assert first.index("WO-2") < first.index("WO-1") and "WO-0" not in first
    older = re.search(r'href="(/notifications\?before=\d+)"', first).group(1)
    second = client.get(older).get_data(as_text=True)
    assert "WO-0" in second and "WO-1" not in second
    assert not re.search(r'href="/notifications\?before=', second)
