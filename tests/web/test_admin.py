"""The administrator's pages for users, teams and tokens, and the throttled sign-in form."""
import re

import sqlalchemy as sa

from municipal.auth import signin
from municipal.auth import tokens as token_services
from municipal.auth.models import ApiToken, Team, User
from tests.conftest import PASSWORD, csrf_token


def _user(db, name):
    return db.session.scalar(sa.select(User).where(User.username == name))


def test_sign_in_is_refused_for_a_while_after_repeated_failures(app, client, users):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        response = client.post("/login", data={"username": "crew", "password": "nope",
                                               "csrf_token": csrf_token(client)})
        assert response.status_code == 401
    response = client.post("/login", data={"username": "crew", "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 429
    assert re.search(r"Too many failed sign-ins|登录失败次数过多", response.get_data(as_text=True))
    assert client.get("/assets").status_code == 302  # still not signed in


def test_admin_creates_a_user_and_sees_field_errors(client, db, login):
    login("admin")
    token = csrf_token(client, "/admin/users")
    response = client.post("/admin/users", data={"username": "linwei", "display_name": "林伟", "role": "crew",
                                                 "password": "short", "csrf_token": token})
    assert response.status_code == 422 and 'aria-invalid="true"' in response.get_data(as_text=True)
    assert _user(db, "linwei") is None
    response = client.post("/admin/users", data={"username": "linwei", "display_name": "林伟", "role": "crew",
                                                 "password": "long enough pw", "csrf_token": token})
    assert response.status_code == 302
    assert "林伟" in client.get("/admin/users").get_data(as_text=True)
    assert signin.authenticate("linwei", "long enough pw") is not None


def test_a_required_field_left_empty_is_named_in_the_page_language(client, db, login):
    # WTForms' own message, from its catalogue (kept per process by the request class): each language in
    # turn, and back, so that neither is kept for the other.
    login("admin")
    token = csrf_token(client, "/admin/users")
    for language, message in (("zh", "该字段是必填字段。"), ("en", "This field is required."), ("zh", "该字段是必填字段。")):
        response = client.post(f"/admin/users?lang={language}", data={
            "username": "", "display_name": "林伟", "role": "crew", "password": "long enough pw", "csrf_token": token})
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.display_name == "林伟")) == 0


def test_admin_edits_role_areas_and_password(client, db, login, users, area):
    login("admin")
    target = users["supervisor"]
    token = csrf_token(client, f"/admin/users/{target.id}")
    response = client.post(f"/admin/users/{target.id}", data={"display_name": "陈主管", "role": "supervisor",
                                                             "areas": [area.code], "csrf_token": token})
    assert response.status_code == 302
    response = client.post(f"/admin/users/{target.id}/password", data={"password": "new password 1",
                                                                      "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    target = _user(db, "supervisor")
    assert (target.display_name, [a.code for a in target.areas]) == ("陈主管", [area.code])
    assert signin.authenticate("supervisor", "new password 1") is not None
    response = client.post(f"/admin/users/{target.id}", data={"display_name": "x", "role": "king",
                                                             "csrf_token": token})
    assert response.status_code == 422 and _user(db, "supervisor").role == "supervisor"


def test_deactivation_asks_first(client, db, login, users):
    login("admin")
    crew = users["crew"]
    page = client.get(f"/admin/users/{crew.id}/deactivate")
    assert page.status_code == 200 and _user(db, "crew").active
    token = csrf_token(client, f"/admin/users/{crew.id}/deactivate")
    assert client.post(f"/admin/users/{crew.id}/deactivate", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert not _user(db, "crew").active
    assert client.post(f"/admin/users/{crew.id}/activate", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert _user(db, "crew").active


def test_admin_manages_teams(client, db, login, users, area):
    login("admin")
    token = csrf_token(client, "/admin/teams")
    response = client.post("/admin/teams", data={"name": "鼓山一队", "area": area.code, "asset_types": ["manhole"],
                                                 "members": [str(users["crew"].id)], "csrf_token": token})
    assert response.status_code == 302
    team = db.session.scalar(sa.select(Team))
    assert (team.area_id, team.asset_types, [m.username for m in team.members]) == (area.id, "manhole", ["crew"])
    response = client.post(f"/admin/teams/{team.id}", data={"name": "", "csrf_token": token})
    assert response.status_code == 422
    response = client.post(f"/admin/teams/{team.id}", data={"name": "鼓山二队", "area": "", "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert (team.name, team.area_id, team.members) == ("鼓山二队", None, [])


def test_admin_lists_and_revokes_tokens(client, db, login, users):
    token, plain = token_services.create_token(users["crew"], "巡检手机")
    db.session.commit()
    login("admin")
    page = client.get("/admin/tokens").get_data(as_text=True)
    assert token.prefix in page and "巡检手机" in page and plain not in page
    response = client.post(f"/admin/tokens/{token.id}/revoke", data={"csrf_token": csrf_token(client, "/admin/tokens")})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is not None


def test_admin_link_only_for_admins(client, login):
    login("supervisor")
    assert "/admin/users" not in client.get("/assets").get_data(as_text=True)
    login("admin")
    assert "/admin/users" in client.get("/assets").get_data(as_text=True)


def test_revoke_token_command(app, db, users):
    token, plain = token_services.create_token(users["crew"], "phone")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["revoke-token", plain[:8]])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    assert app.test_cli_runner().invoke(args=["revoke-token", "mun_zzzzzz"]).exit_code == 2


def test_admin_sets_and_clears_a_users_email_and_a_bad_address_names_the_field(client, db, login, users):
    login("admin")
    token = csrf_token(client, "/admin/users")
    response = client.post("/admin/users", data={"username": "linwei", "display_name": "林伟", "role": "crew",
                                                 "email": "linwei.example.org", "password": "long enough pw",
                                                 "csrf_token": token}, headers={"Accept-Language": "en"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Not a valid email address" in page and _user(db, "linwei") is None
    response = client.post("/admin/users", data={"username": "linwei", "display_name": "林伟", "role": "crew",
                                                 "email": " linwei@example.org ", "password": "long enough pw",
                                                 "csrf_token": token})
    assert response.status_code == 302
    linwei = _user(db, "linwei")
    assert linwei.email == "linwei@example.org"
    page = client.get(f"/admin/users/{linwei.id}").get_data(as_text=True)
    assert 'value="linwei@example.org"' in page

    edit = {"display_name": "林伟", "role": "crew", "csrf_token": token}
    response = client.post(f"/admin/users/{linwei.id}", data={**edit, "email": "lin@wei@example"})
    assert response.status_code == 422 and 'aria-invalid="true"' in response.get_data(as_text=True)
    assert client.post(f"/admin/users/{linwei.id}", data={**edit, "email": "lw@example.org"}).status_code == 302
    db.session.expire_all()
    assert _user(db, "linwei").email == "lw@example.org"
    assert client.post(f"/admin/users/{linwei.id}", data={**edit, "email": ""}).status_code == 302
    db.session.expire_all()
    assert _user(db, "linwei").email is None


def test_admin_sets_the_facility_types_a_supervisor_answers_for(client, db, login, users):
    login("admin")
    target = users["supervisor"]
    token = csrf_token(client, f"/admin/users/{target.id}")
    edit = {"display_name": "陈主管", "role": "supervisor", "csrf_token": token}
    response = client.post(f"/admin/users/{target.id}", data={**edit, "asset_types": ["reservoir", "bridge"]})
    assert response.status_code == 302
    db.session.expire_all()
    assert _user(db, "supervisor").asset_type_list == ["reservoir", "bridge"]
    page = client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert '<option selected value="reservoir">' in page or 'value="reservoir" selected' in page
    response = client.post(f"/admin/users/{target.id}", data={**edit, "asset_types": ["volcano"]})
    assert response.status_code == 422 and _user(db, "supervisor").asset_type_list == ["reservoir", "bridge"]
    assert client.post(f"/admin/users/{target.id}", data=edit).status_code == 302
    db.session.expire_all()
    assert _user(db, "supervisor").asset_type_list == []
