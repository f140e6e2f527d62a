"""A signed-out or re-passworded session is dead even when its cookie is replayed."""
import pytest

from tests.conftest import PASSWORD, csrf_token

NEW_PASSWORD = "a-new-and-long-password-2026"


def sign_in(client, username, password=PASSWORD) -> str:
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client.get_cookie("session").value


def signed_in(client) -> bool:
    response = client.get("/work/mine")
    return response.status_code == 200


@pytest.fixture
def other_client(app):
    return app.test_client()


def test_a_cookie_saved_before_sign_out_is_dead_after_it(app, client, users):
    saved = sign_in(client, "crew")
    assert signed_in(client)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/work/mine")})
    replay = app.test_client()
    replay.set_cookie("session", saved)
    response = replay.get("/work/mine")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_new_password_ends_the_users_other_sessions_but_not_the_one_that_set_it(app, client, users,
                                                                                   other_client):
    sign_in(client, "admin")
    sign_in(other_client, "admin")
    crew = app.test_client()
    sign_in(crew, "crew")
    admin = users["admin"]
    for target in (admin, users["crew"]):
        answer = client.post(f"/admin/users/{target.id}/password", data={
            "password": NEW_PASSWORD, "csrf_token": csrf_token(client, f"/admin/users/{target.id}")})
        assert answer.status_code == 302, answer.get_data(as_text=True)
    assert signed_in(client)
    assert not signed_in(other_client) and not signed_in(crew)
    sign_in(crew, "crew", NEW_PASSWORD)
    assert signed_in(crew)
