"""Accounts and API tokens. Flushes, never commits."""
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import utcnow
from ..errors import Conflict, ValidationError
from ..extensions import db
from .models import ROLES, ApiToken, User

MIN_PASSWORD_LENGTH = 8


def create_user(username: str, password: str, role: str, display_name: str = "") -> User:
    username = (username or "").strip()
    errors = {}
    if not username or len(username) > 64:
        errors["username"] = _("A user name of 1 to 64 characters is required.")
    if role not in ROLES:
        errors["role"] = _("Unknown role %(role)s; use one of %(roles)s.", role=role, roles=", ".join(ROLES))
    if len(password or "") < MIN_PASSWORD_LENGTH:
        errors["password"] = _("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
    if errors:
        raise ValidationError(_("The user could not be created."), errors)
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise Conflict(_("The user name %(name)s is taken.", name=username), {"username": _("already taken")})
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=generate_password_hash(password),
        role=role,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(sa.select(User).where(User.username == (username or "").strip()))
    if user is None or not user.active or not check_password_hash(user.password_hash, password or ""):
        return None
    return user


def create_token(user: User, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """A new bearer token; the plain value is returned once and never stored."""
    plain = "mun_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name or "token",
        token_hash=ApiToken.digest(plain),
        prefix=plain[:10],
        expires_at=utcnow() + timedelta(days=days) if days else None,
    )
    db.session.add(token)
    db.session.flush()
    return token, plain


def user_for_token(plain: str, now: datetime | None = None) -> User | None:
    now = now or utcnow()
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == ApiToken.digest(plain)))
    if token is None or token.revoked_at or (token.expires_at and token.expires_at <= now):
        return None
    if not token.user.active:
        return None
    token.last_used_at = now
    return token.user
