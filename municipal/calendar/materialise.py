"""Materialising: each facility's facts in, its due items out and kept as calendar items. Flushes, never commits.

The rule engine is pure; this module gives it each facility's stored facts (attributes, history, the
events of its area) and keeps what it answers as CalendarItems. An item's natural key (facility,
rule, kind, due) is unique in the database, and an item is written with INSERT … ON CONFLICT DO
NOTHING before its work order is made: the job may run twice, or on two machines at once, and each
obligation still gets one work order (made by lifecycle.promote). facility_calendar is the same reading
for a facility's page, kept nowhere.
"""
import logging
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from ..assets.models import Asset
from ..db import conflict_insert
from ..extensions import db
from ..workorders import services as work
from .engine import plans as plan_rules
from .engine.core import DueItem, evaluate
from .models import CalendarEvent, CalendarItem, CalendarState, Plan
from .engine.inputs import PreviewError, parse_request
from .engine.rules import RuleTableError, Settings
from .settings import (IMMEDIATE_SCHEDULES, PREPARED_LEAD_DAYS, district_settings, lead_days, make_on, table,
                       today, zone)
from .history import (Facts, affected_assets, facts_for, engine_request)
from .plans import active_plans, plan_item
from .lifecycle import collapse_standing, promote

log = logging.getLogger(__name__)

# appraisal 180 days after an event; patrol chains look back further through history only).
EVENT_REACH_DAYS = 400
BATCH = 200
# A facility's calendar is re-read when less than PREPARED_LEAD_DAYS of it are known; each reading reaches
# that far and up to this many days more, by facility, so the re-reading is spread over a month.
REFRESH_SPREAD_DAYS = 30


def evaluate_facility(asset: Asset, facts: Facts, start: date, end: date, as_of: date, schedules=None):
    """(items, flags, derived) of one facility; PreviewError when its stored facts do not make sense."""
    parsed = parse_request(engine_request(asset, facts, start, end, as_of), table(), zone())
    return evaluate(parsed, district_settings(), table(), schedules)


def facility_calendar(asset: Asset, start: date, end: date, as_of: date) -> dict:
    """What is due for a facility and why, its flags and derived classes: the facility's calendar page."""
    facts = facts_for([asset], as_of - timedelta(days=EVENT_REACH_DAYS))[asset.id]
    try:
        items, flags, derived = evaluate_facility(asset, facts, start, end, as_of)
        items += [plan_item(plan, day) for plan in active_plans([asset.id]).get(asset.id, [])
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


# --- materialising -----------------------------------------------------------------------


def _insert_ignoring_duplicates(rows: list[dict]) -> list[int]:
    """Insert the items no other run has written; the ids of those this run wrote."""
    if not rows:
        return []
    dialect = db.session.get_bind().dialect.name
    insert = conflict_insert(CalendarItem.__table__, dialect)
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
    counts["missed"] = collapse_standing(day, asset_ids, now)
    counts["work_orders"] = promote(day, asset_ids, now)
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
        items += [plan_item(plan, d) for d in plan_rules.occurrences(plan_rules.spec_of(plan), day, end, settings)]
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


def apply_event(event: CalendarEvent, now: datetime) -> dict:
    """Make at once the work an event sets off (special patrols, SLA steps) for every facility it concerns."""
    return materialise(now, asset_ids=affected_assets(event))
