"""Every answer tells the browser what not to do: run foreign or inline scripts, be framed, sniff types,
leak our paths; and the session cookie keeps to its site and, behind HTTPS, to HTTPS."""
import re

import pytest
from flask import Flask
from werkzeug.test import EnvironBuilder, run_wsgi_app

from municipal import ROOT
from municipal.config import load_config
from tests.web.api_helpers import bearer  # noqa: F401


def assert_secured(headers):
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    policy = {part.split()[0]: part.split()[1:] for part in headers["Content-Security-Policy"].split("; ")}
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_a_page_an_api_answer_a_404_and_a_static_file_carry_the_headers(client, bearer):
    for response in (client.get("/login"), client.get("/api/v1/me", headers=bearer()), client.get("/nowhere"),
                     client.get("/api/v1/nowhere", headers=bearer()), client.get("/static/js/app.js")):
        response.close()
        assert response.status_code in (200, 404), response.request.path
        assert_secured(response.headers)


def test_the_citizens_scan_card_carries_the_headers(client, make_asset):
    response = client.get(f"/A/{make_asset().code.code}")
    assert response.status_code == 200 and b"scan-beacon" in response.data
    assert_secured(response.headers)


def session_cookie(app) -> str:
    response = app.test_client().get("/login")
    return next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))


def test_the_session_cookie_is_http_only_same_site_and_secure_behind_https(app, db, monkeypatch):
    assert "Secure" not in session_cookie(app)
    behind_https = Flask("behind_https")
    load_config(behind_https, {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x",
                               "PUBLIC_URL": "https://municipal.example"})
    assert behind_https.config["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", behind_https.config["SESSION_COOKIE_SECURE"])
    cookie = session_cookie(app)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
# After a space, a quote or a Jinja tag ("{% if … %}onclick="): anywhere an attribute can start.
EVENT_HANDLER = re.compile(r"<[a-z][^>]*[\s\"'}]on[a-z]+\s*=", re.IGNORECASE | re.DOTALL)
JAVASCRIPT_URL = re.compile(r"=\s*[\"']?\s*javascript:", re.IGNORECASE)


@pytest.mark.parametrize("template", sorted((ROOT / "templates").rglob("*.html")),
                         ids=lambda path: str(path.relative_to(ROOT / "templates")))
def test_no_template_has_code_the_policy_would_refuse(template):
    text = template.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), "an inline <script>: move it to static/js/"
    assert not EVENT_HANDLER.search(text), "an on…= handler: bind it in a file under static/js/"
    assert not JAVASCRIPT_URL.search(text), "a javascript: address: bind it in a file under static/js/"


def test_a_pdf_goes_without_the_policy_that_would_blank_the_browsers_viewer():
    from municipal.security_headers import SecurityHeaders

    def pdf(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/pdf")])
        return [b"%PDF-1.7"]

    _, _, headers = run_wsgi_app(SecurityHeaders(pdf), EnvironBuilder(path="/r.pdf").get_environ(), buffered=True)
    assert "Content-Security-Policy" not in headers
    assert headers["X-Content-Type-Options"] == "nosniff"
