"""Signing in: checking a user name and password, and refusing for a while after repeated failures from one
account or one address. Every attempt is recorded (flushed; the caller commits even a failed one)."""
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash

from ..db import utcnow
from ..errors import DomainError, Unauthorized
from ..extensions import db
from .models import LoginAttempt, User


class TooManyAttempts(DomainError):
    """Sign-in refused for a while after repeated failures, even with the right password."""

    status = 429
    code = "too_many_attempts"


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
