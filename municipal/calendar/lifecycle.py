"""What becomes of a kept item: its work order made when its lead time comes (promote), earlier periods
of a standing obligation collapsed into the latest, overdue high-risk work escalated, completions recorded
and days passed undone marked missed. Flushes, never commits."""
import logging
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ..assets.models import Asset
from ..db import utcnow
from ..extensions import db
from ..i18n import SOURCE_LOCALE
from ..notify.services import notify, supervisors_for_area
from ..workorders import services as work
from ..workorders import states
from ..workorders.models import WorkOrder
from .engine import desk, why
from .engine.wording import kind_msgid
from .models import OPEN_STATUSES, CalendarItem, CalendarState, FacilityHistory
from .settings import (table,
                       today, zone)
from .history import (forget)
from .plans import active_plans

log = logging.getLogger(__name__)


def promote(day: date, asset_ids: list[int] | None, now: datetime) -> int:
    """Scheduled items within their lead time get their work orders: one insert for all of them.

    The daily run and an event recorded from the web may promote the same items at once. Each item is taken
    by an UPDATE conditioned on its still being scheduled, before its work order is made: of two runs only
    one gets the row. On PostgreSQL the rows are also locked as they are read, and rows another run holds
    are skipped rather than waited for (SQLite has one writer at a time, and ignores the lock clause).
    """
    query = (sa.select(CalendarItem).where(CalendarItem.status == "scheduled", CalendarItem.make_on <= day)
             .options(joinedload(CalendarItem.asset)).order_by(CalendarItem.id)
             .with_for_update(skip_locked=True, of=CalendarItem))
    if asset_ids is not None:
        query = query.where(CalendarItem.asset_id.in_(asset_ids))
    found = list(db.session.scalars(query))
    if not found:
        return 0
    table_ = CalendarItem.__table__
    taken = set()
    for first in range(0, len(found), work.ID_CHUNK):
        chunk = [item.id for item in found[first:first + work.ID_CHUNK]]
        taken.update(db.session.execute(
            sa.update(table_).where(table_.c.id.in_(chunk), table_.c.status == "scheduled")
            .values(status="planned").returning(table_.c.id)).scalars())
    made = [item for item in found if item.id in taken]
    for item in found:
        db.session.expire(item, ["work_order_id", "work_order", "status"])
    if not made:
        return 0
    plans = active_plans(list({item.asset_id for item in made}))
    # Written in the district's language: the supervisors and crews read it there.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        english = current_app.config["BABEL_DEFAULT_LOCALE"] == SOURCE_LOCALE
        texts = {"rules": _("Due by the rules (%(rule)s): %(why)s"),
                 "plan": _("From a supervisor's own plan for this facility."),
                 "whys": {item.id: why.localize(item.why, _, english) for item in made},
                 **{kind: _(kind_msgid(kind)) for kind in {item.kind for item in made}}}
    orders = work.create_many_from_calendar([_work_order_row(item.asset, item, plans, texts) for item in made])
    db.session.execute(sa.update(table_).where(table_.c.id == sa.bindparam("item_id"))
                       .values(work_order_id=sa.bindparam("order_id")),
                       [{"item_id": item.id, "order_id": order_id} for item, order_id in zip(made, orders)])
    return len(orders)


def collapse_standing(day: date, asset_ids: list[int] | None, now: datetime) -> int:
    """One open item per standing obligation. A bridge never inspected since 1966 owes one inspection now,
    not one per period since: of the obligation's overdue periods the latest stays open, and the earlier ones
    are missed, counted so in compliance, their work cancelled unless someone has started it. Work already
    assigned to someone is not taken away: it carries over to the period that stays open."""
    query = (sa.select(CalendarItem.id, CalendarItem.asset_id, CalendarItem.rule, CalendarItem.kind,
                       CalendarItem.due_on, CalendarItem.work_order_id, WorkOrder.status)
             .outerjoin(WorkOrder, WorkOrder.id == CalendarItem.work_order_id)
             .where(CalendarItem.standing.is_(True), CalendarItem.status.in_(OPEN_STATUSES), CalendarItem.due_on < day)
             .order_by(CalendarItem.asset_id, CalendarItem.rule, CalendarItem.kind, CalendarItem.due_on.desc()))
    if asset_ids is not None:
        query = query.where(CalendarItem.asset_id.in_(asset_ids))
    latest, overtaken, carried, receiving = {}, [], [], set()
    for row in db.session.execute(query):
        obligation = (row.asset_id, row.rule, row.kind)
        if obligation not in latest:
            latest[obligation] = row
        elif row.status in (None, "new", "assigned"):
            overtaken.append(row)
            keep = latest[obligation]
            if row.status == "assigned" and keep.status in (None, "new") and keep.id not in receiving:
                carried.append((row, keep))
                receiving.add(keep.id)
    if not overtaken:
        return 0
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        reason = _("Missed: a later period of the same obligation is open and takes its place.")
    kept_orders = {row.work_order_id for row, _keep in carried}
    _close_as_missed([row.id for row in overtaken],
                     [row.work_order_id for row in overtaken if row.work_order_id not in kept_orders]
                     + [keep.work_order_id for _row, keep in carried], reason, now, day)
    table_ = CalendarItem.__table__
    for row, keep in carried:
        db.session.execute(sa.update(table_).where(table_.c.id == row.id).values(work_order_id=None))
        db.session.execute(sa.update(table_).where(table_.c.id == keep.id)
                           .values(work_order_id=row.work_order_id, status="planned"))
    return len(overtaken)


def _close_as_missed(item_ids: list[int], order_ids: list[int | None], reason: str, now: datetime, day: date) -> None:
    """The items are missed, for good; their work orders are cancelled with the reason."""
    for first in range(0, len(item_ids), work.ID_CHUNK):
        db.session.execute(sa.update(CalendarItem).where(CalendarItem.id.in_(item_ids[first:first + work.ID_CHUNK]))
                           .values(status="missed", closed_at=now, closed_on=day)
                           .execution_options(synchronize_session=False))
    work.cancel_many_by_system([order_id for order_id in order_ids if order_id is not None], reason)


def _work_order_row(asset: Asset, item: CalendarItem, plans: dict, texts: dict) -> dict:
    plan = next((p for p in plans.get(asset.id, []) if item.rule == f"PLAN-{p.id}"), None)
    title = plan.title if plan else texts[item.kind]
    description = texts["plan"] if plan else texts["rules"] % {"rule": item.rule, "why": texts["whys"][item.id]}
    sla = item.due_at.astimezone(zone()).time() != work.END_OF_WORKING_DAY
    kind = plan.work_kind if plan else (states.OFFICE if desk.is_office(item.kind) else "inspection")
    return {"asset": asset, "kind": kind, "title": title,
            "description": description, "priority": "urgent" if sla else ("high" if item.standing else "normal"),
            "due_at": item.due_at, "with_checklist": bool(plan) or _patrol_like(item.kind)}


def _patrol_like(kind: str) -> bool:
    """Work done with the facility's inspection checklist; appraisals, plans and tasks have their own papers."""
    return kind.endswith(("patrol", "_check", "_day")) or kind.startswith("annual_") or kind in ("routine_check",)


# --- escalating overdue high-risk work -----------------------------------------------------


def escalate_overdue(now: datetime) -> int:
    """Tell the area's supervisors of each overdue high-risk item, once, and make its work order urgent.

    High-risk: an item of a rule marked `high_risk` in the rule table (a dam's safety appraisals and the
    tasks a 二类/三类 result demands, a missing manhole cover, a dangerous building's recheck), or any
    standing item of a facility the rules flagged risky when its calendar was last read (a 三类 dam, an
    overdue appraisal). Overdue: still open after its due day. Each item is told once (escalated_at; the
    notification's key "escalate:item:<id>" besides, should two runs meet); an appraisal carried in from
    2013 is escalated on the first run, however old. Returns how many notifications were created.
    """
    day = today(now)
    risky = sa.select(CalendarState.asset_id).where(CalendarState.risky.is_(True))
    query = (sa.select(CalendarItem, WorkOrder).join(WorkOrder, WorkOrder.id == CalendarItem.work_order_id)
             .where(CalendarItem.status == "planned", CalendarItem.due_on < day, CalendarItem.escalated_at.is_(None),
                    WorkOrder.status.in_(states.OPEN),
                    sa.or_(CalendarItem.rule.in_(table().high_risk_rules),
                           sa.and_(CalendarItem.standing.is_(True), CalendarItem.asset_id.in_(risky))))
             .options(joinedload(CalendarItem.asset).joinedload(Asset.area)).order_by(CalendarItem.id))
    rows = db.session.execute(query).all()
    if not rows:
        return 0
    raised = set(work.make_urgent_by_system([order.id for _item, order in rows]))
    supervisors, created = {}, 0
    for item, order in rows:
        place = (item.asset.area_id, item.asset.type)
        if place not in supervisors:
            supervisors[place] = supervisors_for_area(*place) if place[0] is not None else []
        if not supervisors[place]:
            log.warning("calendar: nobody supervises the area of facility %s to escalate item %s to",
                        item.asset_id, item.id)
        params = {"number": order.number, "title": order.title, "facility": item.asset.name,
                  "due": item.due_on.isoformat()}
        created += notify(supervisors[place], "escalation", params, f"/work/{order.id}",
                          dedupe_key=f"escalate:item:{item.id}")
        if order.id in raised:
            db.session.expire(order, ["priority", "version", "updated_at"])
    ids = [item.id for item, _order in rows]
    for first in range(0, len(ids), work.ID_CHUNK):
        db.session.execute(sa.update(CalendarItem).where(CalendarItem.id.in_(ids[first:first + work.ID_CHUNK]))
                           .values(escalated_at=now).execution_options(synchronize_session=False))
    for item, _order in rows:
        db.session.expire(item, ["escalated_at"])
    return created


# --- what became of the items ------------------------------------------------------------


def record_completions(now: datetime) -> int:
    """Items whose work order was completed become done, and the completion enters the facility's
    history, which moves the rules' anchors. Safe to repeat: one history entry per work order."""
    rows = db.session.execute(
        sa.select(CalendarItem, WorkOrder).join(WorkOrder, WorkOrder.id == CalendarItem.work_order_id)
        .where(CalendarItem.status == "planned", WorkOrder.status.in_(("completed", "verified")))).all()
    for item, order in rows:
        record_completion(item, order)
    return len(rows)


def record_completion(item: CalendarItem, order: WorkOrder) -> None:
    done_at = order.completed_at or order.closed_at or utcnow()
    item.status, item.closed_at, item.closed_on = "done", done_at, done_at.astimezone(zone()).date()
    if not item.rule.startswith("PLAN-"):
        exists = db.session.scalar(sa.select(FacilityHistory.id).where(FacilityHistory.work_order_id == order.id))
        if exists is None:
            db.session.add(FacilityHistory(asset_id=item.asset_id, kind=item.kind, done_on=item.closed_on,
                                           work_order_id=order.id, recorded_by_id=order.assignee_user_id))
    # The completion may move the facility's anchors: its calendar is read again on the next run.
    forget([item.asset_id])
    db.session.flush()


def completion_of_order(order: WorkOrder) -> None:
    """Called when a work order is completed: its calendar item, if it has one, is done at once."""
    item = db.session.scalar(sa.select(CalendarItem).where(CalendarItem.work_order_id == order.id,
                                                           CalendarItem.status == "planned"))
    if item is not None:
        record_completion(item, order)


def mark_missed(now: datetime) -> int:
    """Calendar-bound items whose day has passed undone are missed: recorded and counted, and their work
    orders cancelled with the reason. Standing obligations are left: they stay overdue until done, those that
    stand only within their year (the three-persons review) until its end."""
    day = today(now)
    passed_year = sa.and_(CalendarItem.kind.in_(table().year_bound_kinds), CalendarItem.due_on < date(day.year, 1, 1))
    rows = db.session.execute(
        sa.select(CalendarItem.id, CalendarItem.work_order_id, WorkOrder.status)
        .outerjoin(WorkOrder, WorkOrder.id == CalendarItem.work_order_id)
        .where(CalendarItem.status == "planned", sa.or_(CalendarItem.standing.is_(False), passed_year),
               CalendarItem.due_on < day)).all()
    # Done in time but not yet recorded as done: that comes first.
    for item_id, order_id, status in rows:
        if status in ("completed", "verified"):
            record_completion(db.session.get(CalendarItem, item_id), db.session.get(WorkOrder, order_id))
    missed = [(item_id, order_id) for item_id, order_id, status in rows if status not in ("completed", "verified")]
    if not missed:
        return 0
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        reason = _("Missed: its day passed without the work being done.")
    _close_as_missed([item_id for item_id, _o in missed], [order_id for _i, order_id in missed], reason, now, day)
    db.session.expire_all()
    return len(missed)
