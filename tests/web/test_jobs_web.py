"""The scheduler's runs shown to administrators: /admin/jobs, GET /api/v1/jobs/runs and `municipal jobs list`."""
from datetime import timedelta

import pytest

from municipal.db import utcnow
from municipal.jobs import services
from tests.conftest import token_headers

PAGE = "/admin/jobs/"
API = "/api/v1/jobs/runs"


@pytest.fixture
def runs(db):
    """An older successful calendar run, a failed email run and one still running, in that order."""
    now = utcnow()
    ok = services.claim("calendar", "2026-11-24", now=now - timedelta(hours=3))
    services.finish(ok, "ok", count=12, now=now - timedelta(hours=2, minutes=59))
    failed = services.claim("send-email", "2026-11-26T02:15Z", now=now - timedelta(hours=2))
    services.finish(failed, "failed", error="Traceback …\nSMTPAuthenticationError: (535, 'bad password')",
                    now=now - timedelta(hours=2))
    services.claim("notify-overdue", "2026-11-26T03:00Z", now=now - timedelta(minutes=5))
    db.session.commit()


def bearer(db, user):
    return token_headers(db, user, scopes=("read",))


def test_admin_sees_every_run_latest_first_with_its_outcome(client, login, runs):
    login("admin")
    page = client.get(PAGE + "?lang=en").get_data(as_text=True)
    assert page.index("<code>notify-overdue") < page.index("<code>send-email") < page.index("<code>calendar")
    assert "12 work orders made from the calendar" in page
    assert "failed: SMTPAuthenticationError: (535, &#39;bad password&#39;)" in page
    assert "running since" in page
    # Linked from the admin pages' tabs.
    assert 'href="/admin/jobs/"' in client.get("/admin/users").get_data(as_text=True)


def test_the_page_is_paged(app, client, login, db, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    for day in range(1, 6):
        services.finish(services.claim("calendar", f"2026-11-0{day}", now=utcnow() + timedelta(minutes=day)), "ok",
                        count=day)
    db.session.commit()
    login("admin")
    first = client.get(PAGE).get_data(as_text=True)
    assert "2026-11-05" in first and "2026-11-03" not in first and "page=2" in first
    third = client.get(PAGE + "?page=3").get_data(as_text=True)
    assert "2026-11-01" in third and "2026-11-02" not in third


@pytest.mark.parametrize("role", ["supervisor", "crew", "viewer"])
def test_only_admins_see_the_runs(client, db, login, users, runs, role):
    login(role)
    assert client.get(PAGE).status_code == 403
    assert client.get(API, headers=bearer(db, users[role])).status_code == 403


def test_anonymous_is_sent_to_sign_in_or_told_401(client, runs):
    response = client.get(PAGE)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    response = client.get(API)
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"


def test_the_api_lists_the_runs_latest_first(client, db, users, runs):
    response = client.get(API + "?lang=en", headers=bearer(db, users["admin"]))
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 3 and body["page"] == 1
    assert [run["job"] for run in body["items"]] == ["notify-overdue", "send-email", "calendar"]
    running, failed, ok = body["items"]
    assert running["status"] == "running" and running["finished_at"] is None
    assert failed["status"] == "failed" and "SMTPAuthenticationError" in failed["error"]
    assert ok["count"] == 12 and ok["summary"] == "12 work orders made from the calendar"
    assert ok["period"] == "2026-11-24" and ok["started_at"] < ok["finished_at"]


def test_the_api_refuses_a_bad_page_naming_it(client, db, users):
    response = client.get(API + "?page=0&limit=x", headers=bearer(db, users["admin"]))
    assert response.status_code == 422 and set(response.get_json()["error"]["fields"]) == {"page", "limit"}


def test_documented_in_openapi(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "get" in spec["paths"]["/api/v1/jobs/runs"]


def test_the_command_line_lists_them_too(app, runs):
    result = app.test_cli_runner().invoke(args=["jobs", "list"])
    lines = result.output.splitlines()
    assert result.exit_code == 0 and len(lines) == 3
    assert lines[0].startswith("notify-overdue") and "failed" in lines[1] and lines[2].startswith("calendar")


def test_a_run_records_what_it_counted(app, db, monkeypatch):
    from municipal.jobs import runner
    from municipal.jobs.registry import JOBS

    monkeypatch.setattr("municipal.notify.services.send_pending", lambda: 4)
    result = runner.run(JOBS["send-email"], utcnow())
    assert result.status == "ok"
    assert services.list_runs()[0][0].count == 4
