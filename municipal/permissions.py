"""Who may use each endpoint: one declaration per view, enforced in one place.

A view says `@public`, `@signed_in` or `@roles("admin", "supervisor")`. The decorator only records the
declaration on the function; `init_app` installs the guard that enforces it before anything else runs
for the request (CSRF checks, blueprint hooks, the view). Enforcing centrally means the declaration cannot
sit in the wrong place among flask-smorest's decorators, covers endpoints we do not write ourselves
(static files, the OpenAPI document), and lets an endpoint without any declaration be refused rather than
silently left open.
"""
from dataclasses import dataclass

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from .db import utcnow
from .errors import PermissionDenied, Unauthorized, wants_json

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LAST_SEEN_KEY = "_last_seen"
# Writing the session cookie on every request is waste; a minute of slack in a two-hour timeout is not.
LAST_SEEN_RESOLUTION_SECONDS = 60


@dataclass(frozen=True)
class Permission:
    """`roles` is None for "any signed-in user"; `public` lets anonymous visitors in; `reads_only` marks
    a POST that changes nothing (a question sent as a body), which a read-only API token may make."""

    public: bool = False
    roles: tuple[str, ...] | None = None
    reads_only: bool = False
    # An API token scope that opens this endpoint besides read and write ("readings:write": a gauge's token).
    token_scope: str | None = None

    def allows(self, user) -> bool:
        if self.public:
            return True
        if not user.is_authenticated:
            return False
        return self.roles is None or user.role in self.roles

    def describe(self) -> str:
        if self.public:
            return "public"
        return "signed_in" if self.roles is None else "roles(" + ", ".join(self.roles) + ")"


PUBLIC = Permission(public=True)
SIGNED_IN = Permission()


def _declare(view, permission: Permission):
    view.permission = permission
    return view


def public(view):
    """Anyone, signed in or not."""
    return _declare(view, PUBLIC)


def signed_in(view):
    """Any signed-in user, whatever the role."""
    return _declare(view, SIGNED_IN)


def roles(*names: str, reads_only: bool = False, token_scope: str | None = None):
    """Only users with one of these roles; with `token_scope`, tokens of that scope may use it too."""
    from .auth.models import ROLES

    unknown = set(names) - set(ROLES)
    if unknown or not names:
        raise ValueError(f"roles() needs known roles, got {names!r}")
    permission = Permission(roles=tuple(names), reads_only=reads_only, token_scope=token_scope)
    return lambda view: _declare(view, permission)


def declare_endpoint(app, endpoint: str, permission: Permission) -> None:
    """A declaration for an endpoint whose view we cannot decorate (static files, flask-smorest's own)."""
    app.extensions.setdefault("permissions", {})[endpoint] = permission


def declaration(app, endpoint: str) -> Permission | None:
    view = app.view_functions.get(endpoint)
    found = getattr(view, "permission", None)
    if found is None:
        found = app.extensions.get("permissions", {}).get(endpoint)
    return found


def undeclared_endpoints(app) -> list[str]:
    return sorted({rule.endpoint for rule in app.url_map.iter_rules() if declaration(app, rule.endpoint) is None})


def init_app(app) -> None:
    declare_endpoint(app, "static", PUBLIC)
    # First of all hooks: an anonymous POST is told to sign in, not that its CSRF token is missing.
    app.before_request_funcs.setdefault(None, []).insert(0, _guard)


def _idle_expired() -> bool:
    """Whether a browser session has gone unused too long; refreshes its last-seen time otherwise."""
    if "_user_id" not in session or getattr(g, "api_token", None) is not None:
        return False
    now = int(utcnow().timestamp())
    last_seen = session.get(LAST_SEEN_KEY)
    if last_seen is not None and now - last_seen > current_app.config["SESSION_IDLE_MINUTES"] * 60:
        return True
    if last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS:
        session[LAST_SEEN_KEY] = now
    return False


def _json_client() -> bool:
    """API clients get a JSON 401; the browsable /api/docs page sends a browser to sign in."""
    return request.path.startswith(("/api/v1/", "/open311/")) or (request.path != "/api/docs" and wants_json())


def _refuse_anonymous():
    if _json_client():
        raise Unauthorized(_("Please sign in."))
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _guard():
    if request.endpoint is None:  # no route matched: the 404 or 405 follows
        return None
    permission = declaration(current_app, request.endpoint)
    if permission is None:
        current_app.logger.error("endpoint %s declares no permission; refused", request.endpoint)
        raise PermissionDenied(_("You are not allowed to do this."))
    if permission.public:
        # Public pages (the scan card above all) stay free of session work.
        return None
    authenticated = current_user.is_authenticated  # loads a bearer token's user, and its token
    if authenticated and _idle_expired():
        logout_user()
        session.pop(LAST_SEEN_KEY, None)
        if _json_client():
            raise Unauthorized(_("Your session expired; please sign in again."))
        flash(_("Your session expired after a while without use; please sign in again."), "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not authenticated:
        return _refuse_anonymous()
    if not permission.allows(current_user):
        raise PermissionDenied(_("You are not allowed to do this."))
    token = getattr(g, "api_token", None)
    if token is None or (permission.token_scope is not None and token.allows(permission.token_scope)):
        return None
    if not token.allows("read"):  # a device's token is good for its own endpoints, nothing else
        raise PermissionDenied(_("This API token may only send readings."))
    if request.method not in SAFE_METHODS and not permission.reads_only and not token.allows("write"):
        raise PermissionDenied(_("This API token may only read."))
    return None
