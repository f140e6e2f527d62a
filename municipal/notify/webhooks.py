"""Team group robots (企业微信, 钉钉): work news queued with the change, posted after the commit by a job.

Both robots take the same text message, `{"msgtype": "text", "text": {"content": …}}`, at the address the
group's settings give, and answer `{"errcode": 0}` when they took it. Queued rows are posted by the
send-webhooks job, each with a short timeout: a robot that is slow, down or refuses holds up nobody, and
the request that caused the message was answered long before. Flushes, never commits.
"""
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..auth.models import Team
from ..db import utcnow
from ..extensions import db
from .models import WebhookMessage
from .services import message as wording

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5
MAX_ATTEMPTS = 5
# News a day old is noise in a group chat, and a robot set up later must not get the backlog.
MAX_AGE = timedelta(hours=24)


def queue(teams: Iterable[Team | None], kind: str, params: dict, link: str) -> int:
    """A message for each of the teams that has a robot; returns how many were queued."""
    rows = [{"team_id": team.id, "kind": kind, "params": dict(params), "link": link, "created_at": utcnow(),
             "attempts": 0} for team in {t.id: t for t in teams if t is not None}.values()
            if team.active and team.webhook_url]
    if rows:
        db.session.execute(sa.insert(WebhookMessage), rows)
    return len(rows)


def text_of(message: WebhookMessage) -> str:
    """The message in the district's language, with the address to open."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return "%s\n%s" % (wording(message, _), base + message.link)


def post(url: str, text: str, timeout: float = TIMEOUT_SECONDS) -> str | None:
    """Post one text message; None when the robot took it, else why not."""
    body = json.dumps({"msgtype": "text", "text": {"content": text}}, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - an admin's http(s) URL
            answer = response.read(10_000)
    except (urllib.error.URLError, OSError, ValueError) as error:
        return str(error)[:300]
    try:
        code = json.loads(answer or b"{}").get("errcode", 0)
    except (ValueError, AttributeError):
        return None
    return None if code in (0, None) else answer.decode("utf-8", "replace")[:300]


def send_pending(limit: int = 100) -> int:
    """Post what is queued; returns how many were taken. A failure is retried on later runs, up to
    MAX_ATTEMPTS; messages older than MAX_AGE are dropped unsent."""
    now = utcnow()
    rows = db.session.execute(
        sa.select(WebhookMessage, Team.webhook_url).join(Team, Team.id == WebhookMessage.team_id)
        .where(WebhookMessage.sent_at.is_(None), WebhookMessage.attempts < MAX_ATTEMPTS,
               WebhookMessage.created_at >= now - MAX_AGE)
        .order_by(WebhookMessage.id).limit(limit)).all()
    sent = 0
    for message, url in rows:
        problem = post(url, text_of(message)) if url else "no robot address"
        message.attempts += 1
        if problem is None:
            message.sent_at, message.error = utcnow(), None
            sent += 1
        else:
            log.warning("group robot of team %s refused message %s: %s", message.team_id, message.id, problem)
            message.error = problem
    db.session.flush()
    return sent
