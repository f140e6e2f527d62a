"""The calendar at work: facts in, due items out, and those made into work orders. Flushes, never commits.

The rule engine is pure; this module gives it each facility's stored facts (attributes, history, the
events of its area) and keeps what it answers as CalendarItems. An item's natural key (facility,
rule, kind, due) is unique in the database, and an item is written with INSERT … ON CONFLICT DO
NOTHING before its work order is made: the job may run twice, or on two machines at once, and each
obligation still gets one work order.
"""
import logging
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload, selectinload

from .. import clock, datebounds
from ..assets.models import Area, Asset
from ..assets.types import derived as derived_values
from ..audit.services import record
from ..auth.scope import require_supervisor
from ..errors import NotFound, ValidationError
from ..db import as_id, utcnow
from ..extensions import db
from ..i18n import SOURCE_LOCALE
from ..notify.services import notify, supervisors_for_area
from ..workorders import services as work
from ..workorders import states
from ..workorders.models import WorkOrder
from . import plans as plan_rules
from . import why
from .engine import DueItem, evaluate
from .labels import kind_msgid
from .models import OPEN_STATUSES, CalendarEvent, CalendarItem, CalendarState, FacilityHistory, Plan
from .request import ATTRIBUTES, PreviewError, parse_request
from .rules import RuleTable, RuleTableError, Settings, build_settings, load_table

log = logging.getLogger(__name__)

# How far ahead work is made: a week for patrols and checks, two months for what needs preparing.
PATROL_LEAD_DAYS = 7
PREPARED_LEAD_DAYS = 60
PREPARED_KINDS_PREFIX = ("annual_",)
PREPARED_KINDS = {"three_persons_review", "pre_flood_check", "winter_overhaul"}
# Work set off by something that happened (an event, an appraisal's result, a missing cover) is made the
# day it becomes known, whatever its due date: the people who must act learn of it at once, and a special
# appraisal due in 180 days still needs commissioning now.
IMMEDIATE_SCHEDULES = {"event_tasks", "event_patrols", "sla", "appraisal_result_tasks", "registration_change"}
# Events and history older than this no longer change what is due (the longest reach is a special
# appraisal 180 days after an event; patrol chains look back further through history only).
EVENT_REACH_DAYS = 400
BATCH = 200
# A facility's calendar is re-read when less than PREPARED_LEAD_DAYS of it are known; each reading reaches
# that far and up to this many days more, by facility, so the re-reading is spread over a month.
REFRESH_SPREAD_DAYS = 30


def table() -> RuleTable:
    """The rule table, loaded and checked once per process."""
    cache = current_app.extensions.setdefault("calendar_table", {})
    if "table" not in cache:
        cache["table"] = load_table()
    return cache["table"]


def district_settings() -> Settings:
    """The table's policy values and seasons with the district's overrides, built once per process."""
    cache = current_app.extensions.setdefault("calendar_table", {})
    if "settings" not in cache:
        config = current_app.config
        cache["settings"] = build_settings(table(), {"timezone": config["TIMEZONE"],
                                                     **config.get("CALENDAR_SETTINGS", {})})
    return cache["settings"]


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def today(now: datetime) -> date:
    return now.astimezone(zone()).date()


def lead_days(rule_id: str, kind: str, standing: bool) -> int | None:
    """Days before its due date an item becomes work; None for work made at once (IMMEDIATE_SCHEDULES)."""
    if not rule_id.startswith("PLAN-") and table().rule(rule_id).schedule in IMMEDIATE_SCHEDULES:
        return None
    if standing or kind.startswith(PREPARED_KINDS_PREFIX) or kind in PREPARED_KINDS:
        return PREPARED_LEAD_DAYS
    return PATROL_LEAD_DAYS


def make_on(due_on: date, day: date, lead: int | None) -> date:
    """The day an item due on `due_on`, known on `day`, becomes a work order."""
    return min(due_on, day) if lead is None else due_on - timedelta(days=lead)


# --- a facility's facts, as the engine reads them ----------------------------------------


@dataclass
class Facts:
    history: list
    events: list


def _history_dicts(rows) -> list[dict]:
    entries = []
    for row in rows:
        entry = {"kind": row.kind, "done_on": row.done_on.isoformat()}
        for name in ("result", "finding_class", "quick_rating", "grade"):
            if getattr(row, name) is not None:
                entry[name] = getattr(row, name)
        if row.report_date is not None:
            entry["report_date"] = row.report_date.isoformat()
        entries.append(entry)
    return entries


def _event_dict(event: CalendarEvent) -> dict:
    if event.start_at is not None:  # a timed event: the SLA runs from its moment
        moment = event.start_at.astimezone(zone()).isoformat()
        return {"kind": event.kind, "start": moment, "end": moment, **event.measurements}
    return {"kind": event.kind, "start": event.start_on.isoformat(), "end": event.end_on.isoformat(),
            **event.measurements}


def facts_for(assets: list[Asset], since: date) -> dict[int, Facts]:
    """History and events of many facilities, in two queries."""
    ids = [asset.id for asset in assets]
    facts = {asset_id: Facts([], []) for asset_id in ids}
    history = db.session.scalars(sa.select(FacilityHistory).where(FacilityHistory.asset_id.in_(ids))
                                 .order_by(FacilityHistory.done_on, FacilityHistory.id))
    for row in history:
        facts[row.asset_id].history.append(row)
    events = list(db.session.scalars(
        sa.select(CalendarEvent).options(joinedload(CalendarEvent.area)).where(CalendarEvent.end_on >= since)))
    for asset in assets:
        path = asset.area.path if asset.area else None
        facts[asset.id].events = [e for e in events if e.asset_id == asset.id or (
            e.area is not None and path is not None and path.startswith(e.area.path))]
    return facts


def engine_request(asset: Asset, facts: Facts, start: date, end: date, as_of: date) -> dict:
    """The preview request for a stored facility: the engine's own input shape."""
    return {
        "profile": current_app.config.get("CALENDAR_PROFILE", "fujian"),
        "as_of": as_of.isoformat(), "from": start.isoformat(), "to": end.isoformat(),
        "asset": {"type": asset.type, "attributes": _engine_attributes(asset)},
        "history": _history_dicts(facts.history), "events": [_event_dict(e) for e in facts.events],
    }


def _engine_attributes(asset: Asset) -> dict:
    """The facility's attributes that the rules read, under the engine's names."""
    known = ATTRIBUTES.get(asset.type, {})
    attributes = {name: value for name, value in (asset.attributes or {}).items()
                  if name in known and value not in (None, "")}
    if "chiefs" in known:
        chiefs = derived_values(asset.type, asset.attributes or {}, asset.persons).get("chiefs", [])
        # Road chiefs have no river-chief day: the rules refuse the flag on them.
        attributes["chiefs"] = chiefs if asset.type == "river_segment" else [{"level": c["level"]} for c in chiefs]
    return attributes


def evaluate_facility(asset: Asset, facts: Facts, start: date, end: date, as_of: date, schedules=None):
    """(items, flags, derived) of one facility; PreviewError when its stored facts do not make sense."""
    parsed = parse_request(engine_request(asset, facts, start, end, as_of), table(), zone())
    return evaluate(parsed, district_settings(), table(), schedules)


def facility_calendar(asset: Asset, start: date, end: date, as_of: date) -> dict:
    """What is due for a facility and why, its flags and derived classes: the facility's calendar page."""
    facts = facts_for([asset], as_of - timedelta(days=EVENT_REACH_DAYS))[asset.id]
    try:
        items, flags, derived = evaluate_facility(asset, facts, start, end, as_of)
        items += [_plan_item(plan, day) for plan in active_plans([asset.id]).get(asset.id, [])
                  for day in plan_rules.occurrences(plan_rules.spec_of(plan), start, end, district_settings())]
    except PreviewError as error:
        return {"due": [], "flags": [], "derived": {}, "problems": error.fields}
    except RuleTableError:
        raise
    except (ValueError, OverflowError):
        # A date stored before dates were bounded can run past the last date there is: say so, not 500.
        log.exception("calendar: facility %s (%s) cannot be read", asset.id, _code_of(asset))
        return {"due": [], "flags": [], "derived": {},
                "problems": {"attributes": _("a date of this facility lies outside the range the rules can read")}}
    items.sort(key=lambda item: (_due_day(item.due), item.kind))
    return {"due": items, "flags": flags, "derived": derived, "problems": {}}


def _due_day(due) -> date:
    return due.astimezone(zone()).date() if isinstance(due, datetime) else due


# --- supervisors' own plans ------------------------------------------------------------


def active_plans(asset_ids: list[int]) -> dict[int, list[Plan]]:
    plans: dict[int, list[Plan]] = {}
    for plan in db.session.scalars(sa.select(Plan).where(Plan.active, Plan.asset_id.in_(asset_ids))):
        plans.setdefault(plan.asset_id, []).append(plan)
    return plans


def _plan_item(plan: Plan, day: date) -> DueItem:
    return DueItem(kind=f"plan:{plan.id}", due=day, status="due", rule=f"PLAN-{plan.id}",
                   why=plan_rules.describe(plan_rules.spec_of(plan)), key=f"PLAN-{plan.id}/{day.isoformat()}")


def create_plan(actor, asset_id, *, title: str, every, unit: str, weekdays: str = "", month_days: str = "",
                season: str = "", starts_on: date | None = None, ends_on: date | None = None,
                work_kind: str = "inspection") -> Plan:
    asset = _asset_for_supervisor(actor, asset_id)
    errors = {}
    title = (title or "").strip()
    if not title or len(title) > 200:
        errors["title"] = _("a title of 1 to 200 characters is required")
    if work_kind not in states.KINDS:
        errors["work_kind"] = _("unknown kind of work")
    try:
        spec = plan_rules.PlanSpec.parse(every=every, unit=unit, weekdays=weekdays, month_days=month_days,
                                         season=season, starts_on=starts_on, ends_on=ends_on)
    except plan_rules.PlanError as error:
        errors.update({name: _(message) for name, message in error.fields.items()})
        spec = None
    errors.update(_dates_out_of_range({"starts_on": starts_on, "ends_on": ends_on}))
    if errors:
        raise ValidationError(_("The plan was not saved."), errors)
    plan = Plan(asset_id=asset.id, title=title, work_kind=work_kind, every=spec.every, unit=spec.unit,
                weekdays=",".join(map(str, spec.weekdays)), month_days=",".join(map(str, spec.month_days)),
                season=spec.season, starts_on=spec.starts_on, ends_on=spec.ends_on,
                created_by_id=actor.id)
    db.session.add(plan)
    db.session.flush()
    record(actor, "asset", asset.id, "plan", {"plan": [None, f"{title}: {plan_rules.describe(spec)}"]})
    forget([asset.id])
    return plan


def stop_plan(actor, plan_id) -> Plan:
    plan = db.session.get(Plan, as_id(plan_id)) if as_id(plan_id) else None
    if plan is None:
        raise NotFound(_("There is no such plan."))
    _asset_for_supervisor(actor, plan.asset_id)
    plan.active = False
    db.session.flush()
    record(actor, "asset", plan.asset_id, "plan_stopped", {"plan": [plan.title, None]})
    forget([plan.asset_id])
    return plan


# --- materialising -----------------------------------------------------------------------


def _insert_ignoring_duplicates(rows: list[dict]) -> list[int]:
    """Insert the items no other run has written; the ids of those this run wrote."""
    if not rows:
        return []
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CalendarItem.__table__)
    statement = insert.on_conflict_do_nothing(index_elements=["asset_id", "key"]).returning(
        CalendarItem.__table__.c.id)
    # Executed as "many": one compiled statement, sent in batches; rows another run wrote return nothing.
    return list(db.session.connection().execute(statement, rows).scalars())


def _standing(rule_id: str) -> bool:
    """Whether the rule's obligations stand until met; a supervisor's plan is calendar-bound."""
    if rule_id.startswith("PLAN-"):
        return False
    return bool(table().rule(rule_id).carry_in)


def _item_row(asset: Asset, item: DueItem, now: datetime, lead: int | None) -> dict:
    standing = _standing(item.rule)
    if isinstance(item.due, datetime):
        due_on, due_at = item.due.astimezone(zone()).date(), item.due.astimezone(timezone.utc)
    else:
        due_on, due_at = item.due, work.due_on_day(item.due, zone())
    return {"asset_id": asset.id, "key": item.key[:200], "rule": item.rule, "kind": item.kind[:40], "due_on": due_on,
            "due_at": due_at, "make_on": make_on(due_on, today(now), lead), "why": item.why[:300], "standing": standing, "status": "scheduled", "created_at": now}


def materialise(now: datetime, asset_ids: list[int] | None = None, progress=None) -> dict:
    """Bring the calendar up to date and make the work that has come within its lead time. Returns counts.

    Without `asset_ids` (the daily run) the rules are read again only for facilities whose known stretch
    runs short — staggered over a month, so no day carries the whole district — or that have never been
    read; with `asset_ids` (a new event, history or plan) for those facilities at once. Then every
    scheduled item within its lead time gets its work order, in bulk.
    """
    day = today(now)
    counts = {"facilities": 0, "items": 0, "work_orders": 0, "skipped": 0}
    query = (sa.select(Asset).where(Asset.status.in_(("in_service", "under_repair")))
             .options(joinedload(Asset.area), selectinload(Asset.persons)).order_by(Asset.id))
    if asset_ids is not None:
        query = query.where(Asset.id.in_(asset_ids))
    else:
        # NOT EXISTS, never NOT IN (subquery): PostgreSQL checks a NOT IN row by row against the whole list once
        # the list outgrows work_mem (a few hundred thousand facilities), and the day's run never ends.
        known = sa.exists().where(CalendarState.asset_id == Asset.id,
                                  CalendarState.covered_until >= day + timedelta(days=PREPARED_LEAD_DAYS))
        query = query.where(Asset.type.in_(current_app.config["CALENDAR_TYPES"]), ~known)
    batch: list[Asset] = []
    for asset in db.session.scalars(query.execution_options(yield_per=BATCH)):
        batch.append(asset)
        if len(batch) == BATCH:
            _evaluate_batch(batch, now, day, counts)
            batch = []
            if progress:
                progress(counts)
    if batch:
        _evaluate_batch(batch, now, day, counts)
    counts["missed"] = _collapse_standing(day, asset_ids, now)
    counts["work_orders"] = _promote(day, asset_ids, now)
    return counts


def _cover_until(asset_id: int, day: date) -> date:
    # Known 60 days ahead at least, and up to a month more, by facility: the re-reading spreads over the month.
    return day + timedelta(days=PREPARED_LEAD_DAYS + REFRESH_SPREAD_DAYS - asset_id % REFRESH_SPREAD_DAYS)


def _evaluate_batch(assets: list[Asset], now: datetime, day: date, counts: dict) -> None:
    facts = facts_for(assets, day - timedelta(days=EVENT_REACH_DAYS))
    plans = active_plans([a.id for a in assets])
    settings = district_settings()
    rows, current, evaluated, states_rows, standing = [], set(), [], [], {}
    for asset in assets:
        counts["facilities"] += 1
        end = _cover_until(asset.id, day)
        try:
            items, flags = _facility_items(asset, facts[asset.id], plans.get(asset.id, []), settings, day, end)
            made = _rows_to_keep(asset, items, day, end, now, standing)
        except PreviewError as error:
            log.warning("calendar: facility %s (%s) skipped: %s", asset.id, _code_of(asset), error.fields)
            counts["skipped"] += 1
            continue
        except (RuleTableError, sa.exc.SQLAlchemyError):
            # The district's rules or settings, or the database, not this facility: the run fails, with the reason.
            raise
        except Exception:
            # One facility whatever its stored facts must never stop the district's calendar: it is logged
            # with its code, for someone to correct, and the run goes on with the others.
            log.exception("calendar: facility %s (%s) failed and was skipped", asset.id, _code_of(asset))
            counts["skipped"] += 1
            continue
        evaluated.append(asset.id)
        states_rows.append({"asset_id": asset.id, "evaluated_on": day, "covered_until": end, "risky": "risky" in flags})
        current.update((asset.id, key) for key, _row in made)
        rows += [row for _key, row in made if row is not None]
    _supersede(evaluated, current, day, now)
    counts["items"] += len(_insert_ignoring_duplicates(rows))
    _save_states(states_rows)


def _facility_items(asset: Asset, facts: Facts, plans: list[Plan], settings: Settings, day: date,
                    end: date) -> tuple[list[DueItem], list]:
    """What the rules and the facility's plans make due from `day` to `end`, and the facility's flags."""
    items, flags, _derived = evaluate_facility(asset, facts, day, end, day)
    if facts.events or any(entry.result for entry in facts.history):
        # Work set off by a fact (an event, an appraisal's result) is made at once however far off it is
        # due (a special appraisal within 180 days of an earthquake): those rules alone are read on, to
        # the longest reach of a fact, and only for facilities with such facts.
        items += [item for item in evaluate_facility(asset, facts, day, day + timedelta(
            days=EVENT_REACH_DAYS), day, IMMEDIATE_SCHEDULES)[0] if _due_day(item.due) > end]
    for plan in plans:
        items += [_plan_item(plan, d) for d in plan_rules.occurrences(plan_rules.spec_of(plan), day, end, settings)]
    return items, flags


def _rows_to_keep(asset: Asset, items: list[DueItem], day: date, end: date, now: datetime,
                  standing: dict) -> list[tuple[str, dict | None]]:
    """(item key, its calendar row or None) for each scheduled item: a row for what must become work
    before this facility is read again; the rest comes with that reading."""
    last_make = end - timedelta(days=PREPARED_LEAD_DAYS)
    made = []
    for item in items:
        if item.status == "window_open":
            continue
        if standing.get(item.rule) is None:
            standing[item.rule] = _standing(item.rule)
        lead = lead_days(item.rule, item.kind, standing[item.rule])
        keep = make_on(_due_day(item.due), day, lead) <= last_make
        made.append((item.key[:200], _item_row(asset, item, now, lead) if keep else None))
    return made


def _code_of(asset: Asset) -> str:
    return asset.code.code if asset.code is not None else "-"


def _save_states(rows: list[dict]) -> None:
    if not rows:
        return
    table_ = CalendarState.__table__
    db.session.execute(sa.delete(table_).where(table_.c.asset_id.in_([row["asset_id"] for row in rows])))
    db.session.execute(sa.insert(table_), rows)


def _promote(day: date, asset_ids: list[int] | None, now: datetime) -> int:
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


def _collapse_standing(day: date, asset_ids: list[int] | None, now: datetime) -> int:
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


def _supersede(asset_ids: list[int], current: set, day: date, now: datetime) -> None:
    """Items the rules no longer give (a patrol done early moved the weekly chain, a plan was stopped)
    are withdrawn, and their work cancelled unless someone has started it."""
    if not asset_ids:
        return
    stale = [item for item in db.session.scalars(
        sa.select(CalendarItem).where(CalendarItem.asset_id.in_(asset_ids),
                                      CalendarItem.status.in_(("scheduled", "planned")), CalendarItem.due_on >= day)
        .options(joinedload(CalendarItem.work_order)))
        if (item.asset_id, item.key) not in current]
    if not stale:
        return
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        reason = _("No longer due: the calendar moved (work done earlier, or a plan stopped).")
    for item in stale:
        order = item.work_order
        if order is not None and order.status not in ("new", "assigned"):
            continue
        item.status, item.closed_at = "superseded", now
        if order is not None:
            work.cancel_by_system(order, reason)
    db.session.flush()


def _work_order_row(asset: Asset, item: CalendarItem, plans: dict, texts: dict) -> dict:
    plan = next((p for p in plans.get(asset.id, []) if item.rule == f"PLAN-{p.id}"), None)
    title = plan.title if plan else texts[item.kind]
    description = texts["plan"] if plan else texts["rules"] % {"rule": item.rule, "why": texts["whys"][item.id]}
    sla = item.due_at.astimezone(zone()).time() != work.END_OF_WORKING_DAY
    return {"asset": asset, "kind": plan.work_kind if plan else "inspection", "title": title,
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


def forget(asset_ids: list[int]) -> None:
    """The facilities' facts changed: their calendars are read again on the next run."""
    db.session.execute(sa.delete(CalendarState).where(CalendarState.asset_id.in_(asset_ids)))


def completion_of_order(order: WorkOrder) -> None:
    """Called when a work order is completed: its calendar item, if it has one, is done at once."""
    item = db.session.scalar(sa.select(CalendarItem).where(CalendarItem.work_order_id == order.id,
                                                           CalendarItem.status == "planned"))
    if item is not None:
        record_completion(item, order)


def mark_missed(now: datetime) -> int:
    """Calendar-bound items whose day has passed undone are missed: recorded and counted, and their work
    orders cancelled with the reason. Standing obligations are left: they stay overdue until done."""
    day = today(now)
    rows = db.session.execute(
        sa.select(CalendarItem.id, CalendarItem.work_order_id, WorkOrder.status)
        .outerjoin(WorkOrder, WorkOrder.id == CalendarItem.work_order_id)
        .where(CalendarItem.status == "planned", CalendarItem.standing.is_(False), CalendarItem.due_on < day)).all()
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


# --- recording facts ---------------------------------------------------------------------


def _dates_out_of_range(days: dict, *, past: bool = False) -> dict:
    """{field: message} for the given dates (date, aware date-time or None) outside the accepted range."""
    problems = {}
    for name, value in days.items():
        if isinstance(value, date):
            try:
                datebounds.check(value, clock.today(), past=past, zone=zone())
            except datebounds.OutOfRange as problem:
                problems[name] = _(problem.template, **problem.params)
    return problems


def _asset_for_supervisor(actor, asset_id) -> Asset:
    asset = db.session.get(Asset, as_id(asset_id)) if as_id(asset_id) else None
    if asset is None:
        raise NotFound(_("There is no facility %(id)s.", id=asset_id))
    require_supervisor(actor, asset)
    return asset


def _parse_facts(asset: Asset | None, history: list | None = None, events: list | None = None):
    """The recorded facts as the engine's own parser reads them, so they are exactly what the rules can use;
    ValidationError names each field it refuses. Read with the facility's own attributes (a bridge's rules
    need its regime); an event for an area is read as a reservoir's."""
    day = date(2000, 1, 1).isoformat()
    subject = ({"type": asset.type, "attributes": _engine_attributes(asset)} if asset is not None
               else {"type": "reservoir", "attributes": {}})
    probe = {"from": day, "to": day, "asset": subject,
             "history": history or [], "events": events or []}
    try:
        return parse_request(probe, table(), zone())
    except PreviewError as error:
        fields = {name.split(".", 2)[-1]: message for name, message in error.fields.items()
                  if name.startswith(("history", "events"))}
        raise ValidationError(_("Some fields are not valid."), fields or error.fields) from None


def record_history(actor, asset_id, *, kind: str, done_on: str, result=None, report_date=None,
                   finding_class=None, quick_rating=None, grade=None, note: str = "") -> FacilityHistory:
    """Record something done at a facility (an appraisal and its result, an inspection done outside the
    platform); the facility's calendar follows from it at once."""
    asset = _asset_for_supervisor(actor, asset_id)
    entry = {"kind": kind, "done_on": done_on}
    optional = {"result": result, "report_date": report_date, "finding_class": finding_class,
                "quick_rating": quick_rating, "grade": grade}
    entry.update({name: value for name, value in optional.items() if value not in (None, "")})
    if entry.get("finding_class") is not None and str(entry["finding_class"]).isdigit():
        entry["finding_class"] = int(entry["finding_class"])
    _parse_facts(asset, history=[entry])
    # What was done and reported lies in the past; the parser has made sure these are dates.
    problems = _dates_out_of_range({"done_on": date.fromisoformat(done_on),
                                    "report_date": date.fromisoformat(report_date) if report_date else None},
                                   past=True)
    if problems:
        raise ValidationError(_("Some fields are not valid."), problems)
    row = FacilityHistory(asset_id=asset.id, kind=kind, done_on=date.fromisoformat(done_on),
                          result=entry.get("result"), report_date=date.fromisoformat(report_date) if report_date else None,
                          finding_class=entry.get("finding_class"), quick_rating=entry.get("quick_rating"),
                          grade=entry.get("grade"), note=(note or "").strip()[:500], recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    record(actor, "asset", asset.id, "history", {"kind": [None, kind], "done_on": [None, done_on],
                                                  "result": [None, entry.get("result")]})
    forget([asset.id])
    return row


def record_event(actor, *, kind: str, start: str, end: str | None = None, area: str | None = None,
                 asset_id=None, note: str = "", **measurements) -> CalendarEvent:
    """Record what happened, for an area (and everything in it) or one facility."""
    scope = require_supervisor(actor)
    errors = {}
    target_area = target_asset = None
    if asset_id not in (None, ""):
        if not as_id(asset_id) or db.session.get(Asset, as_id(asset_id)) is None:
            raise ValidationError(_("The event was not recorded."), {"asset": _("no such facility")})
        target_asset = _asset_for_supervisor(actor, asset_id)
    elif area:
        target_area = db.session.scalar(sa.select(Area).where(Area.code == area)) or (
            db.session.get(Area, as_id(area)) if as_id(area) else None)
        if target_area is None:
            errors["area"] = _("unknown area")
        else:
            scope.require(target_area)
    else:
        errors["area"] = _("give an area or a facility")
    measurements = {name: value for name, value in measurements.items() if value not in (None, "")}
    for name, value in list(measurements.items()):
        try:
            measurements[name] = float(value)
        except (TypeError, ValueError):
            errors[name] = _("must be a number")
            continue
        if not math.isfinite(measurements[name]):
            errors[name] = _("must be a number")
        elif name.startswith("rain") and measurements[name] < 0:
            errors[name] = _("must not be negative")
    if errors:
        raise ValidationError(_("The event was not recorded."), errors)
    event = {"kind": kind, "start": start, **({"end": end} if end else {}), **measurements}
    parsed = _parse_facts(target_asset, events=[event]).events[0]
    problems = _dates_out_of_range({"start": parsed.start_at or parsed.start, "end": parsed.end})
    if problems:
        raise ValidationError(_("The event was not recorded."), problems)
    row = CalendarEvent(kind=kind, area_id=target_area.id if target_area else None,
                        asset_id=target_asset.id if target_asset else None, start_on=parsed.start, end_on=parsed.end,
                        start_at=parsed.start_at.astimezone(timezone.utc) if parsed.start_at else None,
                        measurements=measurements, note=(note or "").strip()[:500], recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    record(actor, "calendar_event", row.id, "create", {"kind": [None, kind], "start": [None, start],
                                                        "area": [None, target_area.code if target_area else None]})
    return row


def apply_event(event: CalendarEvent, now: datetime) -> dict:
    """Make at once the work an event sets off (special patrols, SLA steps) for every facility it concerns."""
    return materialise(now, asset_ids=affected_assets(event))


def affected_assets(event: CalendarEvent) -> list[int]:
    """The facilities an event concerns: the one named, or every facility in its area and below."""
    if event.asset_id is not None:
        return [event.asset_id]
    area = event.area
    query = (sa.select(Asset.id).join(Area, Area.id == Asset.area_id)
             .where(Area.path.startswith(area.path), Asset.type.in_(current_app.config["CALENDAR_TYPES"])))
    return list(db.session.scalars(query))


def history_of(asset_id: int, limit: int = 50) -> list[FacilityHistory]:
    return list(db.session.scalars(sa.select(FacilityHistory).where(FacilityHistory.asset_id == asset_id)
                                   .order_by(FacilityHistory.done_on.desc(), FacilityHistory.id.desc()).limit(limit)))


def items_of(asset_id: int, limit: int = 50) -> list[CalendarItem]:
    return list(db.session.scalars(sa.select(CalendarItem).where(CalendarItem.asset_id == asset_id)
                                   .options(joinedload(CalendarItem.work_order))
                                   .order_by(CalendarItem.due_on.desc(), CalendarItem.id.desc()).limit(limit)))


def events_of(asset: Asset, limit: int = 20) -> list[CalendarEvent]:
    path = asset.area.path if asset.area else "-"
    query = (sa.select(CalendarEvent).outerjoin(Area, Area.id == CalendarEvent.area_id)
             .where(sa.or_(CalendarEvent.asset_id == asset.id, sa.literal(path).startswith(Area.path)))
             .order_by(CalendarEvent.start_on.desc(), CalendarEvent.id.desc()).limit(limit))
    return list(db.session.scalars(query))
