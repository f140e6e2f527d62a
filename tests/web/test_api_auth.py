"""REST API v1 for the current user, and the administrator's users and teams."""
import pytest
import sqlalchemy as sa

from municipal.audit.models import AuditEntry
from municipal.auth.models import User
from municipal.auth.signin import authenticate
from tests.conftest import PASSWORD
from tests.web.api_helpers import anonymous_routes, bearer, error_of, sign_in_with_session  # noqa: F401


def made(response, status=201) -> dict:
    assert response.status_code == status, response.get_json()
    return response.get_json()


# --- who am I --------------------------------------------------------------------

def test_me_by_token_and_by_session(client, db, bearer, users):
    me = client.get("/api/v1/me", headers=bearer("crew", scopes=["read"])).get_json()
    assert (me["username"], me["role"], me["active"], me["token_scopes"]) == ("crew", "crew", True, ["read"])
    assert me["areas"] == [] and me["teams"] == []
    assert "password_hash" not in me and "password" not in me

    sign_in_with_session(client, "viewer")
    me = client.get("/api/v1/me").get_json()
    assert (me["username"], me["token_scopes"]) == ("viewer", None)


def test_anyone_sets_their_own_email_for_notifications(client, db, bearer, users):
    crew = bearer("crew")
    assert made(client.patch("/api/v1/me", json={"email": "crew@example.org"}, headers=crew), 200)["email"] == \
        "crew@example.org"
    assert "email" in error_of(client.patch("/api/v1/me", json={"email": "crew at example"}, headers=crew),
                               422)["fields"]
    assert "role" in error_of(client.patch("/api/v1/me", json={"email": None, "role": "admin"}, headers=crew),
                              422)["fields"]
    error_of(client.patch("/api/v1/me", json={"email": None}, headers=bearer("crew", scopes=["read"])), 403)
    assert made(client.patch("/api/v1/me", json={"email": ""}, headers=crew), 200)["email"] is None
    db.session.expire_all()
    assert (users["crew"].email, users["crew"].role) == (None, "crew")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity_type == "user",
                                                          AuditEntry.entity_id == str(users["crew"].id))
                              .order_by(AuditEntry.id.desc()))
    assert (entry.actor_name, entry.changes) == ("crew", {"email": ["crew@example.org", None]})


# --- users ---------------------------------------------------------------------------

def test_an_administrator_creates_changes_and_deactivates_a_user(client, db, bearer, users, area):
    headers = bearer("admin")
    user = made(client.post("/api/v1/users", json={"username": "linjh", "password": "long enough 1", "role": "crew",
                                                    "display_name": "林建华", "areas": ["gushan"]}, headers=headers))
    assert (user["username"], user["display_name"], user["role"]) == ("linjh", "林建华", "crew")
    assert [a["code"] for a in user["areas"]] == ["gushan"]
    assert "password" not in user

    url = f"/api/v1/users/{user['id']}"
    changed = made(client.patch(url, json={"role": "supervisor", "areas": [], "password": "another long one"},
                                headers=headers), 200)
    assert (changed["role"], changed["areas"]) == ("supervisor", [])
    assert authenticate("linjh", "another long one") is not None

    def updates():
        return db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.entity_type == "user", AuditEntry.entity_id == str(user["id"]), AuditEntry.action == "update"))

    before = updates()
    made(client.patch(url, json={"areas": ["gushan"]}, headers=headers), 200)
    assert updates() == before  # only the areas changed, and they have an entry of their own

    off = made(client.patch(url, json={"active": False}, headers=headers), 200)
    assert off["active"] is False
    assert made(client.patch(url, json={"active": True}, headers=headers), 200)["active"] is True
    assert made(client.get(url, headers=headers), 200)["username"] == "linjh"

    listed = made(client.get("/api/v1/users", headers=headers), 200)
    assert [u["username"] for u in listed["items"]] == ["admin", "crew", "linjh", "supervisor", "viewer"]
    assert (listed["total"], listed["page"], listed["pages"]) == (5, 1, 1)
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.entity_type == "user",
                                                                    AuditEntry.entity_id == str(user["id"])))
    assert "password_reset" in list(actions)


def test_the_rules_of_accounts_are_409s_and_422s(client, db, bearer, users):
    headers = bearer("admin")
    taken = client.post("/api/v1/users", json={"username": "crew", "password": PASSWORD, "role": "crew"},
                        headers=headers)
    assert "username" in error_of(taken, 409)["fields"]
    for body, field in (({"username": "x", "password": "short", "role": "crew"}, "password"),
                        ({"username": "x", "password": PASSWORD, "role": "king"}, "role"),
                        ({"username": "x", "password": PASSWORD}, "role"),
                        ({"username": "x", "password": PASSWORD, "role": "crew", "areas": ["atlantis"]}, "areas"),
                        ({"username": "x", "password": PASSWORD, "role": "crew", "admin": True}, "admin")):
        assert field in error_of(client.post("/api/v1/users", json=body, headers=headers), 422)["fields"], body
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.username == "x")) == 0

    me = f"/api/v1/users/{users['admin'].id}"
    assert "active" in error_of(client.patch(me, json={"active": False}, headers=headers), 409)["fields"]
    assert "role" in error_of(client.patch(me, json={"role": "crew"}, headers=headers), 409)["fields"]
    assert "display_name" in error_of(client.patch(me, json={"display_name": " "}, headers=headers), 422)["fields"]
    assert "active" in error_of(client.patch(me, json={"active": "maybe"}, headers=headers), 422)["fields"]
    error_of(client.get("/api/v1/users/987654", headers=headers), 404)
    error_of(client.patch("/api/v1/users/987654", json={"role": "crew"}, headers=headers), 404)
    assert "page" in error_of(client.get("/api/v1/users?page=0", headers=headers), 422)["fields"]


# --- teams -----------------------------------------------------------------------------

def test_an_administrator_creates_and_changes_a_team(client, db, bearer, users, area):
    headers = bearer("admin")
    team = made(client.post("/api/v1/teams", json={"name": "鼓山一队", "area": "gushan",
                                                    "asset_types": ["manhole", "reservoir"],
                                                    "members": [users["crew"].id]}, headers=headers))
    assert team["area"]["code"] == "gushan" and team["asset_types"] == ["manhole", "reservoir"]
    assert [m["username"] for m in team["members"]] == ["crew"] and team["active"] is True

    url = f"/api/v1/teams/{team['id']}"
    changed = made(client.patch(url, json={"name": "鼓山二队", "area": None, "members": []}, headers=headers), 200)
    assert (changed["name"], changed["area"], changed["members"]) == ("鼓山二队", None, [])
    assert changed["asset_types"] == ["manhole", "reservoir"]
    assert made(client.patch(url, json={"active": False}, headers=headers), 200)["active"] is False
    assert [t["name"] for t in made(client.get("/api/v1/teams", headers=headers), 200)["items"]] == ["鼓山二队"]
    assert made(client.get(url, headers=headers), 200)["name"] == "鼓山二队"


def test_the_rules_of_teams_are_409s_and_422s(client, db, bearer, users):
    headers = bearer("admin")
    made(client.post("/api/v1/teams", json={"name": "鼓山一队"}, headers=headers))
    assert "name" in error_of(client.post("/api/v1/teams", json={"name": "鼓山一队"}, headers=headers), 409)["fields"]
    for body, field in (({"name": " "}, "name"), ({}, "name"), ({"name": "甲", "area": "atlantis"}, "area"),
                        ({"name": "甲", "asset_types": ["castle"]}, "asset_types"),
                        ({"name": "甲", "members": [987654]}, "members"),
                        ({"name": "甲", "members": ["x"]}, "members.0")):
        assert field in error_of(client.post("/api/v1/teams", json=body, headers=headers), 422)["fields"], body
    assert [t["name"] for t in client.get("/api/v1/teams", headers=headers).get_json()["items"]] == ["鼓山一队"]
    error_of(client.patch("/api/v1/teams/987654", json={"name": "乙"}, headers=headers), 404)


# --- who may ---------------------------------------------------------------------------

def test_anonymous_requests_get_401(app, client, db):
    routes = anonymous_routes(app, {"me_api", "users_api", "teams_api", "tokens_api"})
    assert len(routes) == 13
    for method, url in routes:
        for headers in ({}, {"Authorization": "Bearer mun_not-a-token"}):
            assert error_of(client.open(url, method=method, json={}, headers=headers), 401)["code"] == "unauthorized"


@pytest.mark.parametrize("role", ["supervisor", "crew", "viewer"])
def test_only_administrators_manage_users_and_teams(client, db, bearer, users, role):
    headers = bearer(role)
    for method, url, body in (
        ("GET", "/api/v1/users", None), ("GET", f"/api/v1/users/{users['crew'].id}", None),
        ("POST", "/api/v1/users", {"username": "x", "password": PASSWORD, "role": "admin"}),
        ("PATCH", f"/api/v1/users/{users[role].id}", {"role": "admin"}),
        ("GET", "/api/v1/teams", None), ("POST", "/api/v1/teams", {"name": "甲"}),
        ("GET", "/api/v1/tokens", None), ("POST", "/api/v1/tokens", {"user": users[role].id, "name": "x"}),
        ("POST", "/api/v1/tokens/1/revoke", None),
    ):
        assert error_of(client.open(url, method=method, json=body, headers=headers), 403)["code"] == "forbidden", url
    db.session.expire_all()
    assert users[role].role == role
    assert made(client.get("/api/v1/me", headers=headers), 200)["role"] == role


def test_a_read_only_admin_token_may_not_change_anyone(client, db, bearer, users):
    reader = bearer("admin", scopes=["read"])
    assert client.get("/api/v1/users", headers=reader).status_code == 200
    error_of(client.patch(f"/api/v1/users/{users['crew'].id}", json={"role": "admin"}, headers=reader), 403)


def test_openapi_lists_the_account_paths(client, db):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/users"]) and {"get", "patch"} <= set(paths["/api/v1/users/{user_id}"])
    assert {"get", "post"} <= set(paths["/api/v1/teams"]) and {"get", "patch"} <= set(paths["/api/v1/teams/{team_id}"])
    assert "get" in paths["/api/v1/me"]
    assert {"get", "post"} <= set(paths["/api/v1/tokens"]) and "post" in paths["/api/v1/tokens/{token_id}/revoke"]


def test_an_administrator_sets_a_users_email_and_a_bad_one_is_a_422_naming_it(client, db, bearer, users):
    headers = bearer("admin")
    body = {"username": "linjh", "password": "long enough 1", "role": "crew"}
    error = error_of(client.post("/api/v1/users", json={**body, "email": "linjh"}, headers=headers), 422)
    assert set(error["fields"]) == {"email"}
    assert db.session.scalar(sa.select(User).where(User.username == "linjh")) is None
    user = made(client.post("/api/v1/users", json={**body, "email": "linjh@example.org"}, headers=headers))
    assert user["email"] == "linjh@example.org"

    url = f"/api/v1/users/{user['id']}"
    assert "email" in error_of(client.patch(url, json={"email": "a@b"}, headers=headers), 422)["fields"]
    assert made(client.patch(url, json={"email": "jh@example.org"}, headers=headers), 200)["email"] == "jh@example.org"
    assert made(client.patch(url, json={"email": None}, headers=headers), 200)["email"] is None
    changes = db.session.scalars(sa.select(AuditEntry.changes).where(
        AuditEntry.entity_type == "user", AuditEntry.entity_id == str(user["id"]), AuditEntry.action == "update"))
    assert {"email": ["linjh@example.org", "jh@example.org"]} in list(changes)



def test_an_administrator_creates_lists_and_revokes_api_tokens_audited(client, db, bearer, users):
    headers = bearer("admin")
    body = {"user": users["crew"].id, "name": "巡检手机", "days": 30, "scopes": ["read"]}
    created = made(client.post("/api/v1/tokens", json=body, headers=headers))
    plain = created["token"]
    assert plain.startswith(created["prefix"]) and created["scopes"] == ["read"] and created["expires_at"]
    assert created["user"]["username"] == "crew" and created["revoked_at"] is None
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).get_json()["username"] == "crew"
    listed = made(client.get("/api/v1/tokens", headers=headers), 200)["items"]
    assert listed[0]["id"] == created["id"] and all("token" not in t for t in listed)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity_type == "api_token",
                                                          AuditEntry.entity_id == str(created["id"])))
    assert (entry.action, entry.actor_name, entry.changes["username"]) == ("create", "admin", [None, "crew"])
    assert plain not in str(entry.changes)

    revoked = made(client.post(f"/api/v1/tokens/{created['id']}/revoke", headers=headers), 200)
    assert revoked["revoked_at"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 401
    assert made(client.post(f"/api/v1/tokens/{created['id']}/revoke", headers=headers), 200)["revoked_at"]
    error_of(client.post("/api/v1/tokens/987654/revoke", headers=headers), 404)

    for bad, field in (({"user": 987654}, "user"), ({"scopes": ["admin"]}, "scopes.0"), ({"days": 0}, "days"),
                       ({"name": None}, "name")):
        assert field in error_of(client.post("/api/v1/tokens", json={**body, **bad}, headers=headers),
                                 422)["fields"], bad
    client.patch(f"/api/v1/users/{users['viewer'].id}", json={"active": False}, headers=headers)
    assert "user" in error_of(client.post("/api/v1/tokens", json={**body, "user": users["viewer"].id},
                                          headers=headers), 422)["fields"]
