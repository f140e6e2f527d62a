"""The citizen's scan, answered in front of Flask.

An anonymous scan of a label (GET /A/<code>, no session cookie, no credentials, no query string) is the
busiest request there is. Flask's request machinery around it (request context, hooks, session, response
object) cost more than finding and rendering the card: timed inside gunicorn workers under the load of
scripts/bench_scan.py on a 2-core machine, about 650 µs per scan, more than a whole bare Flask request. So this WSGI middleware answers exactly that
request, with the same page (scan.public_page) and the same scan log. Everything else goes on to Flask and is
answered as before: staff, a ?lang= switch, a code that is unknown, mistyped, revoked or unbound, and any
error, whose page only Flask knows how to show.
"""
import logging

from ... import i18n
from ..identity import resolver
from . import views as scan

log = logging.getLogger(__name__)

SCAN_PREFIXES = ("/A/", "/a/")


class PublicScan:
    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.session_cookie = app.config["SESSION_COOKIE_NAME"]

    def __call__(self, environ, start_response):
        text = self._citizen_scan(environ)
        page = self._page(environ, text) if text else None
        if page is None:
            return self.wsgi_app(environ, start_response)
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(page))),
                                  ("Vary", scan.PUBLIC_PAGE_VARY)])
        return [page]

    def _citizen_scan(self, environ) -> str | None:
        """The scanned text when nobody can be signed in and nothing but the card is asked for."""
        path = environ.get("PATH_INFO", "")
        if (environ.get("REQUEST_METHOD") != "GET" or path[:3] not in SCAN_PREFIXES or environ.get("QUERY_STRING")
                or "HTTP_AUTHORIZATION" in environ or self.session_cookie in environ.get("HTTP_COOKIE", "")):
            return None
        text = path[3:]
        # Codes are ASCII; anything else is Flask's to explain (and WSGI paths arrive as latin-1).
        return text if text and text.isascii() and "/" not in text else None

    def _page(self, environ, text: str) -> bytes | None:
        try:
            with self.app.app_context():
                card = resolver.public_card(text)
                if card is None:
                    return None
                locale = i18n.locale_for_header(environ.get("HTTP_ACCEPT_LANGUAGE", ""))
                return scan.public_page(card, text, locale, environ.get("HTTP_USER_AGENT", ""),
                                        environ.get("SCRIPT_NAME", "").rstrip("/"), environ["PATH_INFO"]).encode()
        except Exception:  # Flask answers instead, with its own error page if it fails too
            log.exception("the public scan of %s failed in front of Flask; Flask answers it", text)
            return None


def init_app(app) -> None:
    app.wsgi_app = PublicScan(app, app.wsgi_app)
