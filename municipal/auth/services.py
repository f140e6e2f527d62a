"""Accounts, teams, areas of responsibility, sign-in throttling and API tokens. Flushes, never commits."""
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from ..audit.services import diff, record, snapshot
from ..db import SQLITE_BUSY_TIMEOUT_MS, utcnow
from ..errors import Conflict, DomainError, NotFound, PermissionDenied, Unauthorized, ValidationError
from ..extensions import db
from .models import ROLES, ApiToken, LoginAttempt, Team, User

MIN_PASSWORD_LENGTH = 8
SCOPES = ("read", "write")


class TooManyAttempts(DomainError):
    """Sign-in refused for a while after repeated failures, even with the right password."""

    status = 429
    code = "too_many_attempts"


# --- permissions -----------------------------------------------------------------

def _require_admin(actor: User | None) -> None:
    if actor is None or not actor.is_authenticated:
        raise Unauthorized(_("Please sign in."))
    if actor.role != "admin":
        raise PermissionDenied(_("Only administrators may manage users, teams and tokens."))


def is_member(user: User, team: Team) -> bool:
    """A crew sees the work of its own teams."""
    return any(t.id == team.id for t in user.teams)


# --- users -----------------------------------------------------------------------

def _password_error(password: str) -> str | None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return _("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
    return None


def _role_error(role: str) -> str | None:
    if role not in ROLES:
        return _("Unknown role %(role)s; use one of %(roles)s.", role=role, roles=", ".join(ROLES))
    return None


# Enough to catch a typing slip (a missing @ or domain); whether mail arrives is for the mail server to say.
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
EMAIL_MAX_LENGTH = 200


def _clean_email(email: str | None, errors: dict) -> str | None:
    """The address as stored: trimmed, None when empty (no email notifications)."""
    email = (email or "").strip()
    if not email:
        return None
    if len(email) > EMAIL_MAX_LENGTH or not EMAIL_PATTERN.fullmatch(email):
        errors["email"] = _("Not a valid email address, e.g. name@example.org.")
    return email


def hash_password(password: str) -> str:
    """The stored form of a password, by the configured method (PASSWORD_HASH_METHOD)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def create_user(username: str, password: str, role: str, display_name: str = "", actor: User | None = None,
                email: str | None = None) -> User:
    """`actor` is the administrator doing it; None for the command line and the demo seed. `email` is
    where notifications are sent when a mail server is configured."""
    if actor is not None:
        _require_admin(actor)
    username = (username or "").strip()
    errors = {}
    if not username or len(username) > 64:
        errors["username"] = _("A user name of 1 to 64 characters is required.")
    if problem := _role_error(role):
        errors["role"] = problem
    if problem := _password_error(password):
        errors["password"] = problem
    if len(display_name or "") > 100:
        errors["display_name"] = _("At most %(n)s characters.", n=100)
    email = _clean_email(email, errors)
    if errors:
        raise ValidationError(_("The user could not be created."), errors)
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise Conflict(_("The user name %(name)s is taken.", name=username), {"username": _("already taken")})
    user = User(
        username=username,
        display_name=(display_name or "").strip() or username,
        password_hash=hash_password(password),
        role=role,
        email=email,
    )
    db.session.add(user)
    db.session.flush()
    record(actor, "user", user.id, "create", diff({}, _audited(user)))
    return user


def _audited(user: User) -> dict:
    # A password hash has no place in a trail that is kept for good.
    return snapshot(user, exclude=("password_hash",))


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("There is no such user."))
    return user


def _other_active_admins(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count(User.id)).where(
        User.role == "admin", User.active.is_(True), User.id != user.id))


def update_user(actor: User, user: User, *, role: str | None = None, display_name: str | None = None,
                active: bool | None = None, email: str | None = None) -> User:
    """Change what is given (an empty `email` removes the address); the district is never left without
    an active administrator."""
    _require_admin(actor)
    errors = {}
    new_email = _clean_email(email, errors) if email is not None else None
    if role is not None and (problem := _role_error(role)):
        errors["role"] = problem
    if display_name is not None and not (0 < len(display_name.strip()) <= 100):
        errors["display_name"] = _("A name of 1 to 100 characters is required.")
    if errors:
        raise ValidationError(_("The user could not be saved."), errors)
    stops_being_admin = user.role == "admin" and user.active and (
        (role is not None and role != "admin") or active is False)
    if stops_being_admin and not _other_active_admins(user):
        field = "role" if role is not None and role != "admin" else "active"
        raise Conflict(_("At least one active administrator must remain."),
                       {field: _("the last active administrator")})
    before = _audited(user)
    if role is not None:
        user.role = role
    if display_name is not None:
        user.display_name = display_name.strip()
    if email is not None:
        user.email = new_email
    if active is not None:
        user.active = active
    db.session.flush()
    record(actor, "user", user.id, "update", diff(before, _audited(user)))
    return user


def set_own_email(user: User, email: str | None) -> User:
    """A user's own address for notifications; empty or None removes it."""
    errors = {}
    cleaned = _clean_email(email, errors)
    if errors:
        raise ValidationError(_("The user could not be saved."), errors)
    if cleaned != user.email:
        record(user, "user", user.id, "update", {"email": [user.email, cleaned]})
        user.email = cleaned
        db.session.flush()
    return user


def deactivate_user(actor: User, user: User) -> User:
    """The user can no longer sign in, and their API tokens stop working; the account and its history stay."""
    if actor.id == user.id:
        raise Conflict(_("You cannot deactivate your own account."), {"active": _("your own account")})
    return update_user(actor, user, active=False)


def reset_password(actor: User, user: User, password: str) -> User:
    _require_admin(actor)
    if problem := _password_error(password):
        raise ValidationError(_("The password was not changed."), {"password": problem})
    user.password_hash = hash_password(password)
    end_sessions(user)
    record(actor, "user", user.id, "password_reset")
    return user


def end_sessions(user: User) -> None:
    """Every browser session of the user signed in until now stops working (API tokens are not sessions).
    A person changing their own password keeps the session they did it in (views.keep_session)."""
    user.session_epoch = (user.session_epoch or 0) + 1
    db.session.flush()


def _areas(codes: Iterable[str], field: str) -> list:
    from ..assets.areas import find_area

    found, unknown = [], []
    for code in codes:
        area = find_area(code)
        (found if area is not None else unknown).append(area if area is not None else code)
    if unknown:
        raise ValidationError(_("Unknown area %(area)s.", area=", ".join(map(str, unknown))),
                              {field: _("unknown area %(area)s", area=", ".join(map(str, unknown)))})
    return found


def set_user_areas(actor: User, user: User, area_codes: Iterable[str]) -> User:
    """The areas a supervisor answers for (codes, ids or names); an empty list means the whole district."""
    _require_admin(actor)
    before = [a.code for a in user.areas]
    user.areas = _areas([c for c in area_codes if str(c).strip()], "areas")
    db.session.flush()
    after = [a.code for a in user.areas]
    if after != before:
        record(actor, "user", user.id, "areas", {"areas": [before, after]})
    return user


def set_user_asset_types(actor: User, user: User, asset_types: Iterable[str]) -> User:
    """The facility types a supervisor answers for within their areas; an empty list means every type."""
    _require_admin(actor)
    values, errors = _clean_team(None, None, list(asset_types))
    if errors:
        raise ValidationError(_("The user could not be saved."), errors)
    before = user.asset_type_list
    user.asset_types = values["asset_types"]
    db.session.flush()
    if user.asset_type_list != before:
        record(actor, "user", user.id, "asset_types", {"asset_types": [before, user.asset_type_list]})
    return user


def list_users(page: int = 1, per_page: int = 50) -> tuple[list[User], int]:
    """One page of users by user name, and how many there are in all."""
    total = db.session.scalar(sa.select(sa.func.count(User.id)))
    page = max(page, 1)
    rows = db.session.scalars(sa.select(User).order_by(User.username).limit(per_page).offset((page - 1) * per_page))
    return list(rows), total


# --- teams -----------------------------------------------------------------------

def get_team(team_id: int) -> Team:
    team = db.session.get(Team, team_id)
    if team is None:
        raise NotFound(_("There is no such team."))
    return team


def _clean_team(name, area_code, asset_types) -> tuple[dict, dict]:
    from ..assets.types import TYPES

    errors, values = {}, {}
    if name is not None:
        values["name"] = name.strip()
        if not 0 < len(values["name"]) <= 100:
            errors["name"] = _("A name of 1 to 100 characters is required.")
    if area_code is not None:
        values["area"] = None
        if str(area_code).strip():
            try:
                values["area"] = _areas([area_code], "area")[0]
            except ValidationError as error:
                errors.update(error.fields)
    if asset_types is not None:
        types = [t for t in asset_types if t]
        unknown = [t for t in types if t not in TYPES]
        if unknown:
            errors["asset_types"] = _("Unknown facility type %(type)s.", type=", ".join(unknown))
        values["asset_types"] = ",".join(dict.fromkeys(types))
    return values, errors


def _check_team_name(name: str, team: Team | None) -> None:
    query = sa.select(Team.id).where(Team.name == name)
    if team is not None:
        query = query.where(Team.id != team.id)
    if db.session.scalar(query):
        raise Conflict(_("There is already a team named %(name)s.", name=name), {"name": _("already taken")})


def create_team(actor: User, name: str, area_code: str = "", asset_types: Iterable[str] = ()) -> Team:
    """`asset_types` empty means the team looks after every type."""
    _require_admin(actor)
    values, errors = _clean_team(name or "", area_code, list(asset_types))
    if errors:
        raise ValidationError(_("The team could not be created."), errors)
    _check_team_name(values["name"], None)
    team = Team(name=values["name"], area=values["area"], asset_types=values["asset_types"])
    db.session.add(team)
    db.session.flush()
    record(actor, "team", team.id, "create", diff({}, snapshot(team)))
    return team


def update_team(actor: User, team: Team, *, name: str | None = None, area_code: str | None = None,
                asset_types: Iterable[str] | None = None, active: bool | None = None) -> Team:
    _require_admin(actor)
    values, errors = _clean_team(name, area_code, None if asset_types is None else list(asset_types))
    if errors:
        raise ValidationError(_("The team could not be saved."), errors)
    before = snapshot(team)
    if "name" in values:
        _check_team_name(values["name"], team)
        team.name = values["name"]
    if "area" in values:
        team.area = values["area"]
    if "asset_types" in values:
        team.asset_types = values["asset_types"]
    if active is not None:
        team.active = active
    db.session.flush()
    record(actor, "team", team.id, "update", diff(before, snapshot(team)))
    return team


def set_members(actor: User, team: Team, user_ids: Iterable[int]) -> Team:
    _require_admin(actor)
    ids = sorted({int(i) for i in user_ids})
    members = list(db.session.scalars(sa.select(User).where(User.id.in_(ids)))) if ids else []
    missing = set(ids) - {u.id for u in members}
    if missing:
        raise ValidationError(_("The members could not be saved."),
                              {"members": _("unknown user %(id)s", id=", ".join(map(str, sorted(missing))))})
    before = [u.username for u in team.members]
    team.members = members
    db.session.flush()
    after = [u.username for u in team.members]
    if after != before:
        record(actor, "team", team.id, "members", {"members": [before, after]})
    return team


def list_teams() -> list[Team]:
    return list(db.session.scalars(sa.select(Team).order_by(Team.name)))


# --- signing in ------------------------------------------------------------------

def authenticate(username: str, password: str) -> User | None:
    """The user these credentials name, or None. Not throttled: sign-in forms use `sign_in`."""
    user = db.session.scalar(sa.select(User).where(User.username == (username or "").strip()))
    if user is None or not user.active or not check_password_hash(user.password_hash, password or ""):
        return None
    return user


def _locked_until(column, value: str, max_failures: int, now: datetime, reset_by_success: bool) -> datetime | None:
    window = timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])
    lock = timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
    query = sa.select(LoginAttempt.created_at).where(
        column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.created_at > now - window - lock)
    if reset_by_success:
        last_success = sa.select(sa.func.max(LoginAttempt.created_at)).where(
            column == value, LoginAttempt.succeeded.is_(True)).scalar_subquery()
        query = query.where(sa.or_(last_success.is_(None), LoginAttempt.created_at > last_success))
    recent = list(db.session.scalars(query.order_by(LoginAttempt.created_at.desc()).limit(max_failures)))
    # Locked from the failure that made `max_failures` within one window, for the lock period.
    if len(recent) == max_failures and recent[0] - recent[-1] <= window and recent[0] + lock > now:
        return recent[0] + lock
    return None


def sign_in(username: str, password: str, ip: str, now: datetime | None = None) -> User:
    """The user, or Unauthorized for wrong credentials, or TooManyAttempts while locked.

    Every attempt is recorded; the caller commits even on failure, or the count would not grow.
    """
    now = now or utcnow()
    username = (username or "").strip()[:64]
    ip = (ip or "")[:45]
    config = current_app.config
    until = max(filter(None, (
        _locked_until(LoginAttempt.username, username, config["LOGIN_MAX_FAILURES"], now, True),
        # A success from an address does not clear it: an attacker could sign in to their own account.
        _locked_until(LoginAttempt.ip, ip, config["LOGIN_MAX_FAILURES_PER_IP"], now, False),
    )), default=None)
    if until is not None:
        minutes = max(1, -(-int((until - now).total_seconds()) // 60))
        raise TooManyAttempts(_("Too many failed sign-ins. Try again in %(minutes)s minutes.", minutes=minutes))
    user = authenticate(username, password)
    db.session.add(LoginAttempt(username=username, ip=ip, succeeded=user is not None, created_at=now))
    db.session.flush()
    if user is None:
        raise Unauthorized(_("Wrong user name or password."))
    return user


# --- API tokens ------------------------------------------------------------------

def _clean_scopes(scopes: Iterable[str]) -> str:
    wanted = set(scopes)
    if not wanted or wanted - set(SCOPES):
        raise ValidationError(_("Scopes must be read, or read and write."),
                              {"scopes": _("use read or write")})
    if "write" in wanted:  # a token that may change something may also read it
        wanted.add("read")
    return " ".join(s for s in SCOPES if s in wanted)


TOKEN_MAX_DAYS = 3650


TOKEN_NAME_MAX_LENGTH = 100


def create_token(user: User, name: str, days: int | None = None,
                 scopes: Iterable[str] = ("read", "write"), actor: User | None = None) -> tuple[ApiToken, str]:
    """A new bearer token; the plain value is returned once and never stored. `actor` is the administrator
    doing it; None for the command line. Written to the trail either way: a token acts as its user."""
    if actor is not None:
        _require_admin(actor)
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
    plain = "mun_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name or "token",
        token_hash=ApiToken.digest(plain),
        prefix=plain[:10],
        expires_at=utcnow() + timedelta(days=days) if days else None,
        scopes=_clean_scopes(scopes),
    )
    db.session.add(token)
    db.session.flush()
    record(actor, "api_token", token.id, "create", {
        "token": [None, token.prefix], "name": [None, token.name], "username": [None, user.username],
        "scopes": [None, token.scopes], "expires_at": [None, token.expires_at]})
    return token, plain


# A token's last use is noted at most this often: a write on every read locks SQLite under load.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)
TOKEN_USE_WAIT_MS = 100


def token_for(plain: str, now: datetime | None = None) -> ApiToken | None:
    """The usable token with this value, whose user is active; notes when it was used."""
    now = now or utcnow()
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == ApiToken.digest(plain)))
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
        _require_admin(actor)
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
