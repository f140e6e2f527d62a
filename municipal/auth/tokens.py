"""API tokens: creating them (the plain value shown once), finding the token a request bears and noting its
use, revoking. Flushes, never commits; the note of a token's use is its own short transaction (`_note_use`)."""
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ..audit.services import record
from ..db import SQLITE_BUSY_TIMEOUT_MS, utcnow
from ..errors import Conflict, NotFound, ValidationError
from ..extensions import db
from .checks import require_admin
from .models import ApiToken, User

SCOPES = ("read", "write", "readings:write")
# A gauge's token: it may post readings for its facilities, and do nothing else.
DEVICE_SCOPE = "readings:write"


def _clean_scopes(scopes: Iterable[str]) -> str:
    wanted = set(scopes)
    if not wanted or wanted - set(SCOPES) or (DEVICE_SCOPE in wanted and len(wanted) > 1):
        raise ValidationError(_("Scopes must be read, or read and write, or readings:write alone."),
                              {"scopes": _("use read or write, or readings:write alone")})
    if "write" in wanted:  # a token that may change something may also read it
        wanted.add("read")
    return " ".join(s for s in SCOPES if s in wanted)


def _clean_facilities(scopes: str, facilities) -> list[int] | None:
    """The facility ids a device token is limited to: required for it, refused for any other token."""
    if DEVICE_SCOPE not in scopes.split():
        if facilities:
            raise ValidationError(_("The token was not created."),
                                  {"facilities": _("only a readings:write token is limited to facilities")})
        return None
    ids = sorted({int(f) for f in facilities or []})
    if not ids:
        raise ValidationError(_("The token was not created."),
                              {"facilities": _("a readings:write token needs the facilities it reports for")})
    return ids


def may_report_for(token: ApiToken | None, asset_id: int) -> bool:
    """Whether a request's token (None: a browser session) may post readings for the facility."""
    return token is None or not token.allows(DEVICE_SCOPE) or asset_id in (token.facility_ids or [])


TOKEN_MAX_DAYS = 3650


TOKEN_NAME_MAX_LENGTH = 100


def create_token(user: User, name: str, days: int | None = None,
                 scopes: Iterable[str] = ("read", "write"), actor: User | None = None,
                 facilities: Iterable[int] | None = None) -> tuple[ApiToken, str]:
    """A new bearer token; the plain value is returned once and never stored. `actor` is the administrator
    doing it; None for the command line. Written to the trail either way: a token acts as its user."""
    if actor is not None:
        require_admin(actor)
    errors = {}
    if not user.active:
        errors["user"] = _("this account is disabled")
    if days is not None and not 1 <= days <= TOKEN_MAX_DAYS:
        errors["days"] = _("between 1 and %(n)s days", n=TOKEN_MAX_DAYS)
    # Said, not cut: a name shortened in silence is not the name the administrator will look for.
    if len(name or "") > TOKEN_NAME_MAX_LENGTH:
        errors["name"] = _("at most %(n)s characters", n=TOKEN_NAME_MAX_LENGTH)
    if errors:
        raise ValidationError(_("The token was not created."), errors)
    scopes = _clean_scopes(scopes)
    facility_ids = _clean_facilities(scopes, facilities)
    plain = "mun_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name or "token",
        token_hash=ApiToken.digest(plain),
        prefix=plain[:10],
        expires_at=utcnow() + timedelta(days=days) if days else None,
        scopes=scopes, facility_ids=facility_ids,
    )
    db.session.add(token)
    db.session.flush()
    record(actor, "api_token", token.id, "create", {
        "token": [None, token.prefix], "name": [None, token.name], "username": [None, user.username],
        "scopes": [None, token.scopes], "expires_at": [None, token.expires_at],
        **({"facilities": [None, facility_ids]} if facility_ids else {})})
    return token, plain


# A token's last use is noted at most this often: a write on every read locks SQLite under load.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)
TOKEN_USE_WAIT_MS = 100


def token_for(plain: str, now: datetime | None = None) -> ApiToken | None:
    """The usable token with this value, whose user is active; notes when it was used."""
    now = now or utcnow()
    # The user in the same statement: every API request asks, and a query of its own cost about 0.2 ms of the
    # 2 ms of a one-row API read.
    token = db.session.scalar(sa.select(ApiToken).options(joinedload(ApiToken.user))
                              .where(ApiToken.token_hash == ApiToken.digest(plain)))
    if token is None or not token.usable(now) or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_RESOLUTION:
        _note_use(token.id, now)
    return token


def _note_use(token_id: int, now: datetime) -> None:
    """Note a token's use in a short transaction of its own, outside the request's, waiting at most
    TOKEN_USE_WAIT_MS for a lock: a busy database skips the note (a later use writes it) rather than make
    the read wait or fail."""
    dialect = db.engine.dialect.name
    try:
        with db.engine.connect() as connection:
            if dialect == "sqlite":
                connection.exec_driver_sql(f"PRAGMA busy_timeout={TOKEN_USE_WAIT_MS}")
                connection.commit()
            try:
                with connection.begin():
                    if dialect == "postgresql":
                        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{TOKEN_USE_WAIT_MS}ms'")
                    connection.execute(sa.update(ApiToken).where(ApiToken.id == token_id, sa.or_(
                        ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - TOKEN_USE_RESOLUTION))
                        .values(last_used_at=now))
            finally:
                if dialect == "sqlite":
                    connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
                    connection.commit()
    except sa.exc.OperationalError:
        current_app.logger.info("token %s: use not noted, the database was busy", token_id)


def user_for_token(plain: str, now: datetime | None = None) -> User | None:
    token = token_for(plain, now)
    return token.user if token else None


def list_tokens() -> list[ApiToken]:
    return list(db.session.scalars(sa.select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def get_token(token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(_("There is no such token."))
    return token


def revoke_token(actor: User | None, token: ApiToken) -> ApiToken:
    """Refused from the next request on. `actor` None is the command line."""
    if actor is not None:
        require_admin(actor)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        record(actor, "api_token", token.id, "revoke", {"token": [token.prefix, None]})
    return token


def find_token_by_prefix(prefix: str) -> ApiToken:
    """The one token whose shown prefix (e.g. `mun_AbCdEf`) starts with `prefix`."""
    prefix = (prefix or "").strip()
    if len(prefix) < 5:
        raise ValidationError(_("Give at least %(n)s characters of the token.", n=5), {"prefix": _("too short")})
    found = list(db.session.scalars(sa.select(ApiToken).where(ApiToken.prefix.startswith(prefix[:10], autoescape=True))))
    if not found:
        raise NotFound(_("No token starts with %(prefix)s.", prefix=prefix))
    if len(found) > 1:
        raise Conflict(_("%(n)s tokens start with %(prefix)s; give more of it.", n=len(found), prefix=prefix),
                       {"prefix": _("ambiguous")})
    return found[0]
