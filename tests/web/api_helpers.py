"""What the API tests of every domain share: tokens, the error shape, a browser's session."""
import re

import pytest

from tests.conftest import PASSWORD, csrf_in, token_headers


@pytest.fixture
def bearer(db, users):
    """bearer("viewer", scopes=["read"]) → headers carrying a new API token of that role's user."""

    def _headers(role="supervisor", scopes=("read", "write")):
        return token_headers(db, users[role], scopes)

    return _headers


def error_of(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body["error"]) >= {"code", "message", "fields"}
    assert body["error"]["message"]
    return body["error"]


def sign_in_with_session(client, role) -> str:
    """Sign in through the login form as a browser does; returns the page's CSRF token."""
    token = csrf_in(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": role, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return token


def anonymous_routes(app, blueprint_names) -> list[tuple[str, str]]:
    """(method, url) of every route of these API blueprints, with 1 for each path argument."""
    return [
        (method, re.sub(r"<[^>]+>", "1", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in blueprint_names
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]
