"""Every route × every role and anonymous, against each route's declared permission.

Routes are read from the app's url_map, so routes added later are checked without touching this file.
"""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from municipal import permissions
from municipal.auth import services
from municipal.auth import teams as team_services
from municipal.auth import tokens as token_services
from municipal.db import utcnow

ROLES = ("admin", "supervisor", "crew", "viewer")
WRITES = ("POST", "PUT", "PATCH", "DELETE")


@pytest.fixture
def demo(db, users, make_asset):
    asset = make_asset("reservoir", "登云水库")
    team = team_services.create_team(users["admin"], "鼓山一队")
    token, _ = token_services.create_token(users["crew"], "phone")
    db.session.commit()
    return {"asset_id": asset.id, "text": asset.code.code, "code": asset.code.code, "user_id": users["viewer"].id,
            "team_id": team.id, "token_id": token.id, "name": "missing.jpg"}


def _url(rule, demo) -> str:
    values = {}
    for name in rule.arguments:
        if name in demo:
            values[name] = demo[name]
        else:  # someone else's route: any well-formed value reaches the permission check
            converter = type(rule._converters[name]).__name__
            values[name] = 1 if "Integer" in converter else "x"
    path = rule.build(values, append_unknown=False)[1]
    return path


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        permission = permissions.declaration(app, rule.endpoint)
        if permission is not None:
            yield rule, permission


def _refused(response) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code in (301, 302, 303) and "/login" in response.headers.get("Location", "")


def _row_counts(db) -> dict:
    # One statement for every table: the matrix asks before and after each refused write.
    tables = db.metadata.sorted_tables
    counts = db.session.execute(sa.select(*[sa.select(sa.func.count()).select_from(t).scalar_subquery()
                                            for t in tables])).one()
    return dict(zip([t.name for t in tables], counts))


def test_every_endpoint_declares_who_may_use_it(app):
    assert permissions.undeclared_endpoints(app) == [], "add @public, @signed_in or @roles(...) to these views"


@pytest.mark.parametrize("who", (None, *ROLES))
def test_the_whole_matrix(app, db, client, login, demo, who):
    user = login(who) if who else None
    problems = []
    for rule, permission in _routes(app):
        url = _url(rule, demo)
        allowed = permission.public or (user is not None and permission.allows(user))
        if "GET" in rule.methods:
            response = client.get(url)
            if allowed and (response.status_code >= 500 or _refused(response)):
                problems.append(f"GET {url} ({permission.describe()}) as {who}: {response.status_code}, expected allowed")
            if not allowed and not _refused(response):
                problems.append(f"GET {url} ({permission.describe()}) as {who}: {response.status_code}, expected refused")
        for method in sorted(rule.methods & set(WRITES)):
            if allowed:
                continue  # writes that are allowed are the business of each feature's own tests
            before = _row_counts(db)
            response = client.open(url, method=method, data={}, headers={"Accept": "text/html"})
            if not _refused(response):
                problems.append(f"{method} {url} ({permission.describe()}) as {who}: {response.status_code}, expected refused")
            db.session.expire_all()
            if _row_counts(db) != before:
                problems.append(f"{method} {url} as {who} changed the database although refused")
    assert not problems, "\n".join(problems)


def test_anonymous_api_gets_json_401_and_pages_redirect_to_sign_in(client, demo):
    response = client.get("/api/v1/areas")
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"
    response = client.get(f"/assets/{demo['asset_id']}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/assets/")


def test_wrong_role_gets_403(client, login, demo):
    login("crew")
    assert client.get("/admin/users").status_code == 403
    assert client.post("/api/v1/codes", json={"type": "manhole", "count": 1}).status_code == 403


# --- API tokens --------------------------------------------------------------------

def test_read_token_reads_but_may_not_write(client, db, users, demo):
    _, plain = token_services.create_token(users["supervisor"], "kiosk", scopes=["read"])
    db.session.commit()
    assert client.get("/api/v1/areas", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    response = client.post("/api/v1/codes", json={"type": "manhole", "count": 1}, headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 403 and "只能读取" in response.json["error"]["message"]
    _, writer = token_services.create_token(users["supervisor"], "tablet")
    db.session.commit()
    assert client.post("/api/v1/codes", json={"type": "manhole", "count": 1}, headers={"Authorization": f"Bearer {writer}"}).status_code == 201


def test_revoked_and_expired_tokens_are_refused_at_once(client, db, users, demo):
    token, plain = token_services.create_token(users["crew"], "phone")
    db.session.commit()
    assert client.get("/api/v1/areas", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    token_services.revoke_token(users["admin"], token)
    db.session.commit()
    assert client.get("/api/v1/areas", headers={"Authorization": f"Bearer {plain}"}).status_code == 401
    old, old_plain = token_services.create_token(users["crew"], "old", days=1)
    old.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get("/api/v1/areas", headers={"Authorization": f"Bearer {old_plain}"}).status_code == 401


def test_tokens_of_a_deactivated_user_stop_working(client, db, users, demo):
    _, plain = token_services.create_token(users["crew"], "phone")
    services.deactivate_user(users["admin"], users["crew"])
    db.session.commit()
    assert client.get("/api/v1/areas", headers={"Authorization": f"Bearer {plain}"}).status_code == 401


# --- sessions --------------------------------------------------------------------

def test_an_idle_session_is_signed_out_with_a_message(app, client, login, demo):
    login("viewer")
    assert client.get("/assets").status_code == 200
    with client.session_transaction() as session:
        session[permissions.LAST_SEEN_KEY] -= app.config["SESSION_IDLE_MINUTES"] * 60 + 1
    response = client.get("/assets", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/login"
    assert re.search(r"session expired|会话.*已过期", page)
    assert client.get("/assets").status_code == 302  # signed out for good, not just this once


def test_an_active_session_stays_signed_in(client, login, demo):
    login("viewer")
    for _ in range(3):
        assert client.get("/assets").status_code == 200
