"""Notifications: create, count, list, mark read, and send by email. Flushes, never commits."""
import logging
import smtplib
from collections.abc import Callable, Iterable
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import i18n, paging
from ..assets.models import Area
from ..auth.models import User
from ..auth.scope import answering_for, answering_for_district
from ..db import conflict_insert, utcnow
from ..errors import NotFound, ValidationError
from ..extensions import db
from . import mail
from .models import KINDS, Notification

log = logging.getLogger(__name__)

MAX_PAGE = 200
# Mail about a day-old event is noise, and switching SMTP on must not send the whole backlog at once.
EMAIL_MAX_AGE = timedelta(hours=48)
# The values each kind's message needs.
PARAMS = {
    "assigned": ("number", "title"),
    "sent_back": ("number", "reason"),
    "overdue": ("number", "title", "due"),
    "citizen_report": ("number", "area", "title"),
    "finding": ("number", "title"),
    "escalation": ("number", "title", "facility", "due"),
    "assigned_many": ("count",),
    "submitted": ("number", "title"),
    "report_overdue": ("number", "title", "due"),
}


def message(notification: Notification, gettext: Callable[[str], str]) -> str:
    """The notification's text in the language of `gettext`."""
    kind, params = notification.kind, notification.params
    if kind == "assigned":
        text = gettext("Work order %(number)s was assigned to you: %(title)s")
    elif kind == "sent_back":
        text = gettext("Work order %(number)s was sent back to you: %(reason)s")
    elif kind == "overdue":
        text = gettext("Work order %(number)s is overdue since %(due)s: %(title)s")
    elif kind == "escalation":
        text = gettext("High-risk work overdue since %(due)s at %(facility)s, now urgent: work order %(number)s, "
                       "%(title)s")
    elif kind == "assigned_many":
        text = gettext("%(count)s work orders were assigned to you")
    elif kind == "submitted":
        text = gettext("Work order %(number)s was completed and waits for your review: %(title)s")
    elif kind == "report_overdue":
        text = gettext("Citizen report %(number)s passed its deadline of %(due)s: %(title)s")
    elif kind == "finding":
        text = gettext("A finding needs rectification, work order %(number)s: %(title)s")
    else:
        text = gettext("New citizen report %(number)s in %(area)s: %(title)s")
    return text % params


def notify(users: Iterable[User], kind: str, params: dict, link: str, dedupe_key: str | None = None) -> int:
    """Notify each active user once per dedupe_key; returns how many notifications were created."""
    errors = {}
    if kind not in KINDS:
        errors["kind"] = _("Unknown kind %(kind)s; use one of %(kinds)s.", kind=kind, kinds=", ".join(KINDS))
    elif not isinstance(params, dict):
        errors["params"] = _("Missing values: %(names)s.", names=", ".join(PARAMS[kind]))
    else:
        missing = [name for name in PARAMS[kind] if name not in params]
        if missing:
            errors["params"] = _("Missing values: %(names)s.", names=", ".join(missing))
        elif not all(isinstance(value, (str, int, float)) for value in params.values()):
            errors["params"] = _("Values must be text or numbers.")
    # Only a path on this site: a notification must never send its reader elsewhere.
    if not isinstance(link, str) or not link.startswith("/") or link.startswith("//") or len(link) > 500:
        errors["link"] = _("The link must be a path on this site.")
    if dedupe_key is not None and not 0 < len(dedupe_key) <= 200:
        errors["dedupe_key"] = _("The key must have 1 to 200 characters.")
    if errors:
        raise ValidationError(_("The notification could not be created."), errors)
    recipients = sorted({user.id for user in users if user.active})
    if not recipients:
        return 0
    now = utcnow()
    rows = [{"user_id": user_id, "kind": kind, "params": dict(params), "link": link, "dedupe_key": dedupe_key,
             "created_at": now} for user_id in recipients]
    # INSERT … ON CONFLICT DO NOTHING: two jobs notifying at once cannot create doubles or fail.
    insert = conflict_insert(Notification.__table__, db.session.get_bind().dialect.name)
    insert = insert.on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
    created = db.session.execute(insert.returning(Notification.id), rows).all()
    db.session.flush()
    return len(created)


def unread_count(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.user_id == user.id, Notification.read_at.is_(None)))


def recent(user: User, limit: int = 50, before_id: int | None = None) -> list[Notification]:
    """The user's notifications, newest first; pass the last id seen as before_id for the next page."""
    return page(user, before_id, limit)[0]


def page(user: User, before_id: int | None, size: int) -> tuple[list[Notification], int | None]:
    """A page of the user's notifications, newest first, and the id to pass as `before` for the next."""
    query = sa.select(Notification).where(Notification.user_id == user.id)
    return paging.page(query, (Notification.id,), before_id, max(1, min(int(size), MAX_PAGE)), descending=True)


def mark_read(user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the given notifications (all when ids is None) read; others' notifications are left alone."""
    query = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if ids is not None:
        ids = list(ids)
        if not ids:
            return 0
        query = query.where(Notification.id.in_(ids))
    result = db.session.execute(query.values(read_at=utcnow()).execution_options(synchronize_session="fetch"))
    db.session.flush()
    return result.rowcount


def supervisors_for_area(area_id: int, asset_type: str | None = None) -> list[User]:
    """Active supervisors and admins who answer for the area (and, when given, for this type of facility):
    see auth.scope.answering_for."""
    area = db.session.get(Area, area_id)
    if area is None:
        raise NotFound(_("No such area."))
    return list(db.session.scalars(sa.select(User).where(answering_for(area, asset_type)).order_by(User.username)))


def email_text(notification: Notification) -> tuple[str, str]:
    """Subject and body in the current locale."""
    text = message(notification, _)
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    subject = "[%s] %s" % (_("Jin'an municipal facilities"), text)
    body = "\n\n".join([
        text,
        _("Open: %(url)s", url=base + notification.link),
        "-- \n" + _("All your notifications: %(url)s", url=base + "/notifications"),
    ]) + "\n"
    return subject, body


def send_pending(limit: int = 100) -> int:
    """Email recent unread notifications not yet sent to users with an address; returns how many were sent.

    Does nothing while SMTP_HOST is empty. A message the server refuses for good is logged and not
    retried; a dropped connection or a temporary refusal leaves the rest for the next run.
    """
    smtp = mail.settings(current_app.config)
    if smtp is None:
        return 0
    rows = db.session.execute(
        sa.select(Notification, User).join(User, User.id == Notification.user_id)
        .where(Notification.emailed_at.is_(None), Notification.read_at.is_(None),
               Notification.created_at >= utcnow() - EMAIL_MAX_AGE,
               User.active.is_(True), User.email.is_not(None), User.email != "")
        .order_by(Notification.id).limit(limit)).all()
    if not rows:
        return 0
    try:
        connection = mail.connect(smtp)
    except (OSError, smtplib.SMTPException):
        log.exception("cannot reach the mail server %s:%s", smtp.host, smtp.port)
        return 0
    sent = 0
    with connection:
        for notification, user in rows:
            with force_locale(user.locale if user.locale in i18n.LOCALES else i18n.DEFAULT_LOCALE):
                subject, body = email_text(notification)
            try:
                connection.send_message(mail.compose(smtp.sender, user.display_name or user.username,
                                                     user.email, subject, body))
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException, ValueError) as error:
                if _temporary(error):
                    log.warning("mail server deferred notification %s: %s", notification.id, error)
                    continue
                log.warning("mail server refused notification %s to %s: %s", notification.id, user.email, error)
                notification.emailed_at = utcnow()
                notification.email_error = str(error)[:300]
            except OSError:
                log.exception("mail server connection lost after %s messages", sent)
                break
            else:
                notification.emailed_at = utcnow()
                sent += 1
    db.session.flush()
    return sent


def _temporary(error: Exception) -> bool:
    """4xx SMTP replies mean "try again later"."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _reply in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and 400 <= error.smtp_code < 500


def district_supervisors() -> list[User]:
    """Active admins, and supervisors who answer for the whole district (no areas of their own, or the
    district itself): those who take what belongs to no area, like a citizen report naming no facility."""
    return list(db.session.scalars(sa.select(User).where(answering_for_district()).order_by(User.username)))
