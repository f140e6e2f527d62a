"""One facility's annual report: its identity, inspections by month, findings, repair work, events, and what
falls due next year, read from the year's records. No rendering, no locale."""
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..assets.models import Area, Asset
from ..assets.types import derived
from ..calendar import compliance
from ..calendar import queries as calendar_queries
from ..calendar import history as calendar_history
from ..calendar import materialise as calendar_materialise
from ..calendar import settings as calendar_settings
from ..calendar.engine.appraisals import APPRAISAL_KINDS
from ..calendar.engine.wording import standing
from ..calendar.models import CalendarEvent, CalendarItem, FacilityHistory
from ..calendar.engine.inputs import PreviewError
from ..extensions import db
from ..inspections.models import Finding, Inspection, InspectionPhoto
from ..readings.annual import year_in_water
from ..workorders.models import WorkOrder
from .records import finding_words, inspection_records
from .measures import (
    LIST_LIMIT,
    RECTIFIED,
    REPAIR_KINDS,
    add_cost,
    by_month,
    hours_between,
    utc_bounds,
    year_bounds,
    zone,
)

# A periodic appraisal falls due at most 10 years after the last (rules.v1.yaml, RES-APPR-PERIODIC): a
# longer look ahead always finds the next one.
APPRAISAL_HORIZON_DAYS = 12 * 366
# The engine's evaluators of the appraisal rules; the others (daily patrols…) would only cost time here.
APPRAISAL_SCHEDULES = ("appraisal_chain", "event_tasks")


def facility_start(asset: Asset) -> date:
    """Where a facility's records begin: its day in service, or the day it was registered when that is unknown."""
    return asset.in_service_on or asset.created_at.astimezone(zone()).date()


def facility_report(actor, asset: Asset, year: int, cutoff: datetime) -> dict:
    """Everything a facility's annual report holds. `cutoff` is when the data is read (its "today")."""
    today = cutoff.astimezone(zone()).date()
    year_start, year_end = year_bounds(year)
    start = max(year_start, facility_start(asset))
    end = min(year_end, max(today, year_start))
    counted = start <= year_end
    return {
        "asset": asset,
        "identity": identity(asset, today),
        "year": year,
        "period": (start, year_end) if counted else None,
        "starts_mid_year": counted and start > year_start,
        "today": today,
        "inspections": inspections(actor, asset, start, year_end, today) if counted else None,
        "records": inspection_records(asset.id, start, end) if counted else [],
        "findings": findings(asset, start, end) if counted else [],
        "work": repair_work(asset_condition(asset), start, end) if counted else empty_work(),
        "events": events(asset, start, end, today) if counted else [],
        "water": year_in_water(asset, year) if counted else None,
        "next_year": next_year(asset, year, today),
    }


def identity(asset: Asset, today: date) -> dict:
    """The facility block: code, classes, dam, units, persons, safety category and appraisals."""
    attributes = asset.attributes or {}
    appraisals = list(db.session.scalars(
        sa.select(FacilityHistory).where(FacilityHistory.asset_id == asset.id,
                                         FacilityHistory.kind.in_(APPRAISAL_KINDS))
        .order_by(FacilityHistory.done_on, FacilityHistory.id)))
    category = next((entry.result for entry in reversed(appraisals) if entry.result), None)
    return {
        "code": asset.code.code if asset.code else None,
        "scale_class": derived(asset.type, attributes, asset.persons).get("scale_class"),
        "dam_type": attributes.get("dam_type"),
        "dam_height_m": attributes.get("dam_height_m"),
        "capacity_m3": attributes.get("capacity_m3"),
        "owner_unit": asset.owner_unit,
        "maintenance_unit": asset.maintenance_unit,
        "persons": [{"role": p.role, "level": p.level, "name": p.name, "position": p.position}
                    for p in asset.persons],
        "safety_category": category,
        "appraisals": [{"kind": entry.kind, "done_on": entry.done_on, "result": entry.result,
                        "report_date": entry.report_date} for entry in appraisals],
        "next_appraisal_due": next_appraisal_due(asset, today),
        "key_links": {
            "rain_level_reporting": attributes.get("rain_level_reporting") or None,
            # The registry keeps dates as ISO text (assets/types.py).
            **{link: date.fromisoformat(attributes[link]) if attributes.get(link) else None
               for link in ("dispatch_plan_approved", "emergency_plan_approved")},
        },
    }


def next_appraisal_due(asset: Asset, today: date) -> date | None:
    """The earliest safety appraisal the rules ask of the facility from `today`, an overdue one included
    (the appraisal rules carry theirs in), as the calendar engine works it out from the facility's history.
    The calendar holds only the next months' items, so it cannot answer this."""
    if asset.type != "reservoir":
        return None
    facts = calendar_history.facts_for([asset], today - timedelta(days=calendar_materialise.EVENT_REACH_DAYS))[asset.id]
    try:
        items, _flags, _derived = calendar_materialise.evaluate_facility(
            asset, facts, today, today + timedelta(days=APPRAISAL_HORIZON_DAYS), today,
            schedules=APPRAISAL_SCHEDULES)
    except PreviewError:
        return None
    return min((item.due for item in items if item.kind in APPRAISAL_KINDS and item.status != "window_open"),
               default=None)


def inspections(actor, asset: Asset, start: date, end: date, today: date) -> dict:
    """Planned against done, as the compliance page counts them for this facility and these dates."""
    filters = calendar_queries.Filters(facility=asset.id)
    patrols = calendar_queries.Filters(facility=asset.id, kind="routine_patrol")
    by_kind = compliance.compliance(actor, start, end, today, filters, "kind")
    return {
        "totals": by_kind.totals,
        "by_kind": [(group.key, group.counts) for group in by_kind.groups],
        "by_month": by_month(compliance.compliance(actor, start, end, today, filters, "month"), start.year),
        "patrols_by_month": by_month(compliance.compliance(actor, start, end, today, patrols, "month"), start.year),
    }


def findings(asset: Asset, start: date, end: date) -> list[dict]:
    since, until = utc_bounds(start, end)
    rows = db.session.scalars(
        sa.select(Finding).where(Finding.asset_id == asset.id, Finding.found_at >= since, Finding.found_at < until)
        .options(joinedload(Finding.follow_up), joinedload(Finding.inspection).joinedload(Inspection.template))
        .order_by(Finding.found_at, Finding.id))
    return [_finding(row) for row in rows]


def open_findings(asset: Asset, before: date) -> list[dict]:
    """Findings up to `before` not yet rectified: they carry over into the next year."""
    _since, until = utc_bounds(before, before)
    rectified = sa.select(WorkOrder.id).where(WorkOrder.status == RECTIFIED)
    rows = db.session.scalars(
        sa.select(Finding).where(Finding.asset_id == asset.id, Finding.found_at < until,
                                 sa.or_(Finding.follow_up_id.is_(None), Finding.follow_up_id.not_in(rectified)))
        .options(joinedload(Finding.follow_up), joinedload(Finding.inspection).joinedload(Inspection.template))
        .order_by(Finding.found_at, Finding.id))
    return [_finding(row) for row in rows]


def _finding(row: Finding) -> dict:
    order = row.follow_up
    closed = order is not None and order.status == RECTIFIED
    photo = db.session.scalar(
        sa.select(InspectionPhoto).where(InspectionPhoto.inspection_id == row.inspection_id,
                                         sa.or_(InspectionPhoto.item_key == row.item_key,
                                                InspectionPhoto.item_key.is_(None)))
        .order_by((InspectionPhoto.item_key == row.item_key).desc(), InspectionPhoto.id).limit(1))
    return {
        "id": row.id,
        "found_at": row.found_at,
        "item_key": row.item_key,
        "item": _checklist_item(row.inspection.template, row.item_key),
        "severity": row.severity,
        "value": row.value,
        "value_label": _choice_label(row.inspection.template, row.item_key, row.value),
        "status": "closed" if closed else "open",
        "closed_at": (order.closed_at or order.completed_at) if closed else None,
        "work_order": order.number if order is not None else None,
        "work_order_id": order.id if order is not None else None,
        "deadline": order.due_at if order is not None and not closed else None,
        "photo": photo.thumb_path if photo is not None else None,
        **finding_words(row),
    }


def _checklist_item(template, key: str) -> dict:
    """Where on the facility a finding is: the checklist item's section and label, in both languages."""
    for item in (template.items if template is not None else []):
        if item.get("key") == key:
            section, label = item.get("section") or {}, item.get("label") or {}
            return {"zh": " · ".join(filter(None, (section.get("zh"), label.get("zh")))),
                    "en": " · ".join(filter(None, (section.get("en"), label.get("en"))))}
    return {"zh": key, "en": key}


def _choice_label(template, key: str, value: str) -> dict | None:
    """A choice's name in both languages when the finding's value is one of its item's choices (stored by key)."""
    for item in (template.items if template is not None else []):
        if item.get("key") == key:
            choice = next((c for c in item.get("choices") or [] if c.get("key") == value), None)
            return {"zh": choice["zh"], "en": choice.get("en", choice["zh"])} if choice else None
    return None


def asset_condition(asset: Asset):
    return WorkOrder.asset_id == asset.id


def empty_work() -> dict:
    return {"count": 0, "completed": 0, "open": 0, "mean_repair_hours": None, "by_kind": {}, "orders": [],
            "cost_yuan": None, "costed": 0}


def repair_work(condition, start: date, end: date) -> dict:
    """Maintenance, repair and rectification work orders created in the period: how many, how many done,
    the mean time from creation to completion, and the cost of those whose cost was recorded (`costed` of
    them; cost_yuan None when none was)."""
    since, until = utc_bounds(start, end)
    done = WorkOrder.completed_at.is_not(None)
    base = sa.and_(condition, WorkOrder.kind.in_(REPAIR_KINDS), WorkOrder.created_at >= since,
                   WorkOrder.created_at < until)
    rows = db.session.execute(
        sa.select(WorkOrder.kind, sa.func.count(), sa.func.sum(sa.case((done, 1), else_=0)),
                  sa.func.sum(sa.case((WorkOrder.status.in_(("new", "assigned", "in_progress", "on_hold")), 1),
                                      else_=0)),
                  sa.func.sum(sa.case((done, hours_between(WorkOrder.completed_at, WorkOrder.created_at)), else_=None)),
                  sa.func.sum(WorkOrder.cost_yuan), sa.func.count(WorkOrder.cost_yuan))
        .where(base).group_by(WorkOrder.kind)).all()
    result = empty_work()
    hours = 0.0
    for kind, count, completed, still_open, spent, cost, costed in rows:
        result["by_kind"][kind] = int(count)
        result["count"] += int(count)
        result["completed"] += int(completed or 0)
        result["open"] += int(still_open or 0)
        hours += float(spent or 0)
        add_cost(result, cost, costed)
    if result["completed"]:
        result["mean_repair_hours"] = hours / result["completed"]
    result["orders"] = list(db.session.scalars(
        sa.select(WorkOrder).where(base).order_by(WorkOrder.created_at, WorkOrder.id).limit(LIST_LIMIT)))
    return result


def events(asset: Asset, start: date, end: date, today: date) -> list[dict]:
    """The year's events at the facility or in its area, each with the work the rules set off after it.
    A withdrawn event is left out: a supervisor took it back as wrong (a gauge's bad reading), the rules no
    longer read it and its unstarted work was cancelled, so it did not happen as far as the year goes."""
    path = asset.area.path if asset.area else "-"
    found = list(db.session.scalars(
        sa.select(CalendarEvent).outerjoin(Area, Area.id == CalendarEvent.area_id)
        .where(sa.or_(CalendarEvent.asset_id == asset.id, sa.literal(path).startswith(Area.path)),
               CalendarEvent.start_on <= end, CalendarEvent.end_on >= start, CalendarEvent.withdrawn_at.is_(None))
        .order_by(CalendarEvent.start_on, CalendarEvent.id)))
    event_rules = [rule.id for rule in calendar_settings.table().rules if "on_events" in rule.params]
    items = list(db.session.scalars(
        sa.select(CalendarItem).where(CalendarItem.asset_id == asset.id, CalendarItem.rule.in_(event_rules),
                                      CalendarItem.status.in_(calendar_queries.LIVE),
                                      CalendarItem.due_on >= start, CalendarItem.due_on <= end)
        .options(joinedload(CalendarItem.work_order)).order_by(CalendarItem.due_on, CalendarItem.id)))
    result = [{"event": event, "work": []} for event in found]
    for item in items:
        # An item answers the latest event that began on or before its day.
        owner = next((entry for entry in reversed(result) if entry["event"].start_on <= item.due_on), None)
        if owner is not None:
            owner["work"].append({"kind": item.kind, "due_on": item.due_on, "status": item.status,
                                  "standing": standing(item.status, item.due_on, item.closed_on, today),
                                  "work_order": item.work_order.number if item.work_order else None})
    return result


def next_year(asset: Asset, year: int, today: date) -> dict:
    """What the rules ask of the facility in the following year, the findings it carries over, and the
    appraisal work that falls due."""
    start, end = year_bounds(year + 1)
    calendar = calendar_materialise.facility_calendar(asset, start, end, max(today, start))
    kinds: dict[str, dict] = {}
    for item in calendar["due"]:
        day = item.due.astimezone(zone()).date() if isinstance(item.due, datetime) else item.due
        entry = kinds.setdefault(item.kind, {"kind": item.kind, "count": 0, "first": day, "last": day,
                                             "why": item.why})
        entry["count"] += 1
        entry["last"] = day
    appraisals = [entry for kind, entry in kinds.items() if kind in APPRAISAL_KINDS]
    return {
        "year": year + 1,
        "obligations": sorted(kinds.values(), key=lambda entry: (entry["first"], entry["kind"])),
        "problems": calendar["problems"],
        "carried_over": open_findings(asset, year_bounds(year)[1]),
        "appraisals": appraisals,
    }
