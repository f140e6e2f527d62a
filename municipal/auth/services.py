"""Accounts: creating, changing, deactivating, passwords, and the areas and facility types a supervisor answers
for. Flushes, never commits. Teams are teams.py, signing in signin.py, API tokens tokens.py."""
import re
from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import generate_password_hash

from ..audit.services import diff, record, snapshot
from ..errors import Conflict, NotFound, ValidationError
from ..extensions import db
from .checks import clean_asset_types, find_areas, require_admin
from .models import ROLES, User
from .scope import may_do_work

MIN_PASSWORD_LENGTH = 8


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
        require_admin(actor)
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
    require_admin(actor)
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
    was_worker = may_do_work(user)
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
    if was_worker and not may_do_work(user):
        # Domains above this one (the work orders) give the person's open work back: registered at app start.
        for hook in current_app.extensions.get("user_stops_working", ()):
            hook(actor, user)
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
    require_admin(actor)
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


def set_user_areas(actor: User, user: User, area_codes: Iterable[str]) -> User:
    """The areas a supervisor answers for (codes, ids or names); an empty list means the whole district."""
    require_admin(actor)
    before = [a.code for a in user.areas]
    user.areas = find_areas([c for c in area_codes if str(c).strip()], "areas")
    db.session.flush()
    after = [a.code for a in user.areas]
    if after != before:
        record(actor, "user", user.id, "areas", {"areas": [before, after]})
    return user


def set_user_asset_types(actor: User, user: User, asset_types: Iterable[str]) -> User:
    """The facility types a supervisor answers for within their areas; an empty list means every type."""
    require_admin(actor)
    errors = {}
    cleaned = clean_asset_types(list(asset_types), errors)
    if errors:
        raise ValidationError(_("The user could not be saved."), errors)
    before = user.asset_type_list
    user.asset_types = cleaned
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
