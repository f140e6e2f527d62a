"""Input from the edges of HTTP that used to end in a 500: each is a 4xx that says what is wrong."""
import pytest

from municipal.audit.reading import entries_for
from municipal.auth import teams as auth_teams
from tests.web.api_helpers import bearer, error_of  # noqa: F401

NAMELESS_PART = b"--b\r\nContent-Disposition: form-data\r\n\r\nhello\r\n--b--\r\n"


@pytest.mark.parametrize("path", ["/login", "/report"])
def test_a_form_part_without_a_name_is_a_400(client, db, path):
    response = client.post(path, data=NAMELESS_PART, content_type="multipart/form-data; boundary=b")
    assert response.status_code == 400, response.get_data(as_text=True)


def test_json_nested_too_deeply_is_a_400_naming_the_body(client, bearer):
    deep = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/v1/assets", data=deep, content_type="application/json", headers=bearer())
    assert "body" in error_of(response, 400)["fields"]


def test_json_nested_too_deeply_is_a_400_where_flask_reads_it(client, login):
    login("crew")
    deep = "[" * 100_000 + "]" * 100_000
    response = client.post("/scan/position", data=deep, content_type="application/json")
    assert response.status_code < 500


@pytest.fixture
def patchable(client, db, users, area, make_asset, bearer):
    """Every PATCH of the API, with the `version` its target was read at where it needs one."""
    well = make_asset("manhole", "温泉路3号井")
    team = auth_teams.create_team(users["admin"], "鼓山一队")
    db.session.commit()
    admin, supervisor = bearer("admin"), bearer("supervisor")
    order = client.post("/api/v1/work-orders", json={"asset": well.id, "kind": "repair", "title": "井盖破损"},
                        headers=supervisor).get_json()
    return [
        (f"/api/v1/assets/{well.id}", {"version": well.version}, supervisor, ("asset", well.id)),
        (f"/api/v1/areas/{area.id}", {"version": area.version}, admin, ("area", area.id)),
        (f"/api/v1/users/{users['crew'].id}", {}, admin, ("user", users["crew"].id)),
        (f"/api/v1/teams/{team.id}", {}, admin, ("team", team.id)),
        (f"/api/v1/work-orders/{order['id']}", {"version": order["version"]}, supervisor,
         ("work_order", order["id"])),
    ]


def test_a_patch_with_nothing_to_change_is_a_422_and_writes_nothing(client, db, patchable):
    for url, body, headers, (kind, target) in patchable:
        before = len(entries_for(kind, target))
        for sent in (body, {}):
            error = error_of(client.patch(url, json=sent, headers=headers), 422)
            assert error["fields"], (url, sent, error)
        assert error_of(client.patch(url, headers=headers), 422)["fields"], url
        assert len(entries_for(kind, target)) == before, url
        assert client.get(url, headers=headers).get_json().get("version") == body.get("version"), url


def test_a_patch_of_me_without_the_email_is_a_422(client, bearer):
    assert "email" in error_of(client.patch("/api/v1/me", json={}, headers=bearer()), 422)["fields"]


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer", "beArer"])
def test_the_bearer_scheme_is_read_in_any_case(client, bearer, scheme):
    token = bearer()["Authorization"].split(" ", 1)[1]
    response = client.get("/api/v1/me", headers={"Authorization": f"{scheme} {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)


def test_another_scheme_is_not_a_bearer_token(client, bearer):
    token = bearer()["Authorization"].split(" ", 1)[1]
    error_of(client.get("/api/v1/me", headers={"Authorization": f"Basic {token}"}), 401)


@pytest.mark.parametrize("method, path", [("PUT", "/api/v1/assets"), ("DELETE", "/api/v1/me"), ("PUT", "/login")])
def test_a_405_says_which_methods_are_allowed(client, bearer, method, path):
    response = client.open(path, method=method, headers=bearer())
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert "GET" in allowed and method not in allowed


def test_a_read_with_a_token_notes_its_use_once_a_minute_outside_the_request(client, db, users, clock):
    from datetime import timedelta

    from municipal.auth.models import ApiToken
    from municipal.auth.tokens import create_token

    clock.set(clock.now(), frozen=True)
    token, plain = create_token(users["viewer"], "counter", scopes=["read"])
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}

    def last_used():
        db.session.expire_all()
        return db.session.get(ApiToken, token.id).last_used_at

    assert client.get("/api/v1/assets", headers=headers).status_code == 200
    first = last_used()
    assert first == clock.now()
    clock.set(first + timedelta(seconds=30), frozen=True)
    client.get("/api/v1/assets", headers=headers)
    assert last_used() == first
    clock.set(first + timedelta(minutes=2), frozen=True)
    client.get("/api/v1/assets", headers=headers)
    assert last_used() == first + timedelta(minutes=2)


def test_a_token_name_too_long_is_refused_not_cut(client, db, users, bearer):
    from municipal.auth.models import ApiToken

    headers = bearer("admin")
    before = db.session.query(ApiToken).count()
    response = client.post("/api/v1/tokens", json={"user": users["crew"].id, "name": "x" * 101}, headers=headers)
    assert "name" in error_of(response, 422)["fields"]
    assert db.session.query(ApiToken).count() == before
    made = client.post("/api/v1/tokens", json={"user": users["crew"].id, "name": "x" * 100}, headers=headers)
    assert made.status_code == 201 and made.get_json()["name"] == "x" * 100
