"""Private calendar feeds: a secret address per feed for a person's, a team's, an area's or a facility's items.

The secret is shown once, when the feed is made; the database keeps only its SHA-256, so a copy of the
database opens no calendar. A feed shows what its owner may see today: an owner who loses a team or an
area, or is deactivated, takes the feed's items with them. Revoked, the address answers 404.
Flushes, never commits.
"""
import hashlib
import secrets
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from ..assets import lookup
from ..assets.models import Asset, find_area
from ..audit.services import record
from ..auth.models import Team
from ..auth.scope import Scope, require_supervisor
from ..db import utcnow
from ..errors import NotFound, PermissionDenied, ValidationError
from ..extensions import db
from ..i18n import SOURCE_LOCALE
from ..workorders.models import WorkOrder
from . import ical, queries
from .engine import why
from .engine.rules import load_table
from .engine.wording import kind_msgid
from .models import CalendarFeed, CalendarItem

SCOPES = ("user", "team", "area", "facility")
MAX_FEEDS_PER_USER = 20
# What a feed holds: enough past to see what was missed, a year ahead; more is noise on a phone.
DAYS_BACK = 60
DAYS_AHEAD = 400
MAX_EVENTS = 5000


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_feed(actor, scope: str, *, team_id=None, area_ref=None, asset_id=None) -> tuple[CalendarFeed, str]:
    """A new feed and its secret, which is not kept and cannot be shown again."""
    errors = {}
    if scope not in SCOPES:
        errors["scope"] = _("must be one of: %(choices)s", choices=", ".join(SCOPES))
    team = area = asset = None
    if scope == "team":
        team = db.session.get(Team, int(team_id)) if str(team_id or "").isdigit() and int(team_id) < 2**31 else None
        if team is None or not team.active:
            errors["team"] = _("no such team")
        elif not Scope.of(actor).follows_team(team):
            errors["team"] = _("you are not a member of this team")
    if scope == "area":
        area = find_area(area_ref)
        if area is None:
            errors["area"] = _("no such area")
        elif actor.role == "crew":
            errors["area"] = _("a crew's calendar follows its work; choose your own or your team's")
        elif not Scope.of(actor).allows(area):
            errors["area"] = _("this area is outside your areas of responsibility")
    if scope == "facility":
        try:
            asset = lookup.find_asset(asset_id)
        except lookup.NO_FACILITY:
            errors["asset"] = _("no such facility")
        else:
            # A facility's calendar is its supervisors' to hand out, as its plans and history are theirs to keep.
            try:
                require_supervisor(actor, asset)
            except PermissionDenied as refused:
                errors["asset"] = refused.message
    active = db.session.scalar(sa.select(sa.func.count()).select_from(CalendarFeed)
                               .where(CalendarFeed.owner_id == actor.id, CalendarFeed.revoked_at.is_(None)))
    if active >= MAX_FEEDS_PER_USER:
        errors["scope"] = _("you have %(count)s feeds already; revoke one first", count=MAX_FEEDS_PER_USER)
    if errors:
        raise ValidationError(_("The calendar feed was not created."), errors)
    secret = secrets.token_urlsafe(32)
    feed = CalendarFeed(token_hash=digest(secret), owner_id=actor.id, scope=scope,
                        team_id=team.id if team else None, area_id=area.id if area else None,
                        asset_id=asset.id if asset else None)
    db.session.add(feed)
    db.session.flush()
    record(actor, "calendar_feed", feed.id, "create", {
        "scope": [None, scope], "team": [None, feed.team_id], "area": [None, feed.area_id],
        "asset": [None, feed.asset_id]})
    return feed, secret


def feeds_of(actor) -> list[CalendarFeed]:
    """The actor's feeds still in use, newest first."""
    return list(db.session.scalars(sa.select(CalendarFeed)
                                   .where(CalendarFeed.owner_id == actor.id, CalendarFeed.revoked_at.is_(None))
                                   .order_by(CalendarFeed.id.desc())))


def revoke_feed(actor, feed_id) -> CalendarFeed:
    """The owner ends a feed (an administrator may end anyone's); a second revoke changes nothing."""
    feed = db.session.get(CalendarFeed, feed_id) if isinstance(feed_id, int) else None
    if feed is None or (feed.owner_id != actor.id and actor.role != "admin"):
        raise NotFound(_("No such calendar feed."))
    if feed.revoked_at is None:
        feed.revoked_at = utcnow()
        db.session.flush()
        record(actor, "calendar_feed", feed.id, "revoke", {"revoked_at": [None, feed.revoked_at.isoformat()]})
    return feed


def feed_for_secret(secret: str) -> CalendarFeed | None:
    """The live feed the secret opens, or None: unknown, revoked, or its owner deactivated."""
    if not secret or len(secret) > 200:
        return None
    feed = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.token_hash == digest(secret)))
    if feed is None or feed.revoked_at is not None or not feed.owner.active:
        return None
    return feed


def feed_items(feed: CalendarFeed, today: date) -> list[CalendarItem]:
    """The items of the feed's scope that its owner may see, from DAYS_BACK ago to DAYS_AHEAD on. Superseded
    ones stay in, cancelled, so clients that showed them take them away."""
    owner = feed.owner
    scope = {"user": lambda: queries.assigned_to_user(owner),
             "team": lambda: CalendarItem.work_order_id.in_(
                 sa.select(WorkOrder.id).where(WorkOrder.assignee_team_id == feed.team_id)),
             "area": lambda: CalendarItem.asset_id.in_(queries.within_area(feed.area)),
             "facility": lambda: CalendarItem.asset_id == feed.asset_id}[feed.scope]()
    seen = Scope.of(owner)
    if feed.scope == "team" and not seen.follows_team(feed.team):
        return []
    query = (sa.select(CalendarItem)
             .where(CalendarItem.due_on >= today - timedelta(days=DAYS_BACK),
                    CalendarItem.due_on <= today + timedelta(days=DAYS_AHEAD), seen.clause(CalendarItem), scope)
             .options(*queries.ROW_OPTIONS).order_by(CalendarItem.due_on, CalendarItem.id).limit(MAX_EVENTS))
    return list(db.session.scalars(query))


@lru_cache(maxsize=1)
def timed_rules() -> frozenset[str]:
    """Rules whose items fall due at a moment, not on a day: the hours after a missing cover was found."""
    return frozenset(rule.id for rule in load_table().rules if rule.schedule == "sla")


def feed_name(feed: CalendarFeed, locale: str) -> str:
    if feed.scope == "team":
        return _("Inspection calendar · %(name)s", name=feed.team.name)
    if feed.scope == "area":
        return _("Inspection calendar · %(name)s", name=feed.area.display_name(locale))
    if feed.scope == "facility":
        return _("Inspection calendar · %(name)s", name=feed.asset.name)
    return _("Inspection calendar · %(name)s", name=feed.owner.display_name or feed.owner.username)


def feed_text(feed: CalendarFeed, items: list[CalendarItem], *, public_url: str, zone: str, now: datetime) -> str:
    """The feed as iCalendar text, in its owner's language."""
    host = public_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "municipal"
    base = public_url.rstrip("/")
    today = now.astimezone(ZoneInfo(zone)).date()
    locale = feed.owner.locale or "zh"
    with force_locale(locale):
        events = [_event(item, host, base, today, ZoneInfo(zone)) for item in items]
        name = feed_name(feed, locale)
    return ical.calendar(events, name=name, zone_name=zone, now=now)


def _event(item: CalendarItem, host: str, base: str, today: date, zone: ZoneInfo) -> ical.Event:
    asset: Asset = item.asset
    summary = f"{_(kind_msgid(item.kind))} · {asset.name}"
    marks = {"missed": _("Missed"), "done": _("Done")}
    if item.status in marks:
        summary = f"[{marks[item.status]}] {summary}"
    elif item.status == "planned" and item.due_on < today:
        summary = f"[{_('Overdue')}] {summary}"
    url = f"{base}/assets/{asset.id}"
    lines = [why.localize(item.why, _, str(get_locale()) == SOURCE_LOCALE)] if item.why else []
    lines.append(_("Facility: %(url)s", url=url))
    if item.work_order_id:
        # The event opens the work, where the crew acts; the facility stays one line below.
        url = f"{base}/work/{item.work_order_id}"
        lines.append(_("Work order: %(url)s", url=url))
    sequence, modified = revision(item, today, zone)
    return ical.Event(uid=f"calendar-item-{item.id}@{host}", summary=summary, description="\n".join(lines),
                      day=item.due_on, at=item.due_at if item.rule in timed_rules() else None,
                      cancelled=item.status == "superseded", url=url, sequence=sequence, modified=modified)


def revision(item: CalendarItem, today: date, zone: ZoneInfo) -> tuple[int, datetime]:
    """The event's SEQUENCE and LAST-MODIFIED, from the item's own history, the same on every reading.

    An item's event changes only as the item moves on: known (0), its work made, which adds the work
    order's address (1), overdue, which marks it so (2), and closed, done, missed or withdrawn (3). Items
    never move back, so the number only rises; the moment is that of the latest step.
    """
    moments = [item.created_at]
    sequence = 0
    if item.work_order_id is not None:
        sequence = 1
        moments.append(item.work_order.created_at)
    if item.status == "planned" and item.due_on < today:
        sequence = 2
        # Overdue from the start of the day after it was due, in the district's clock.
        moments.append(datetime.combine(item.due_on + timedelta(days=1), time(), zone))
    if item.status in ("done", "missed", "superseded"):
        sequence = 3
        moments.append(item.closed_at or item.created_at)
    return sequence, max(moment for moment in moments if moment is not None)
