"""The numbers and lists of an annual report, read from the year's records. No rendering, no locale.

Inspection counts come from the compliance queries (calendar/compliance.py) with the same filters the
compliance page uses, so a report and that page always agree for the same scope and year. Everything
the district report sums is summed by the database (GROUP BY); Python only reads the grouped rows.
Values are plain: dicts, lists, dates, numbers and compliance Counts; keys (kinds, severities, types)
stay keys, for the page to name in the reader's language.
"""
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased, joinedload, selectinload

from ..assets.models import Area, Asset, IdentityCode
from ..assets.types import derived
from ..auth import scope as visibility
from ..calendar import compliance, queries as calendar_queries
from ..calendar import history as calendar_history
from ..calendar import materialise as calendar_materialise
from ..calendar import settings as calendar_settings
from ..calendar.engine.appraisals import APPRAISAL_KINDS
from ..calendar.engine.inputs import PreviewError
from ..calendar.engine.wording import standing
from ..calendar.models import OPEN_STATUSES, CalendarEvent, CalendarItem, FacilityHistory
from ..extensions import db
from ..inspections.models import Finding, Inspection, InspectionPhoto
from ..workorders.models import WorkOrder
from .scope import Scope

# Work that keeps a facility sound, as opposed to the inspections that check it.
REPAIR_KINDS = ("maintenance", "repair", "rectification")
# A finding is rectified when its follow-up is verified; anything else leaves it open.
RECTIFIED = "verified"
SEVERITIES = ("critical", "high", "medium", "low")
# A periodic appraisal falls due at most 10 years after the last (rules.v1.yaml, RES-APPR-PERIODIC): a
# longer look ahead always finds the next one.
APPRAISAL_HORIZON_DAYS = 12 * 366
# The engine's evaluators of the appraisal rules; the others (daily patrols…) would only cost time here.
APPRAISAL_SCHEDULES = ("appraisal_chain", "event_tasks")
FEN = Decimal("0.01")
# Long lists in a district report stop here; the report says how many more there are.
LIST_LIMIT = 200
# Reservoirs a district report gives a line each (see _reservoir_lines).
RESERVOIR_LINES = 500


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC moments of local midnight at `start` and after `end`: timestamps within the local days."""
    tz = zone()
    return datetime.combine(start, time(), tz), datetime.combine(end + timedelta(days=1), time(), tz)


def facility_start(asset: Asset) -> date:
    """Where a facility's records begin: its day in service, or the day it was registered when that is unknown."""
    return asset.in_service_on or asset.created_at.astimezone(zone()).date()


def _hours(later, earlier):
    """later − earlier in hours, in SQL, on either database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.extract("epoch", later - earlier) / 3600.0
    return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 24.0


# --- one facility ------------------------------------------------------------------------


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
        "findings": findings(asset, start, end) if counted else [],
        "work": repair_work(asset_condition(asset), start, end) if counted else empty_work(),
        "events": events(asset, start, end, today) if counted else [],
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
        "by_month": _months(compliance.compliance(actor, start, end, today, filters, "month"), start.year),
        "patrols_by_month": _months(compliance.compliance(actor, start, end, today, patrols, "month"), start.year),
    }


def _months(report: compliance.Report, year: int) -> list[tuple[int, compliance.Counts]]:
    """Twelve rows, months without items included, so a gap shows as a gap."""
    found = {group.key: group.counts for group in report.groups}
    return [(month, found.get(f"{year:04d}-{month:02d}", compliance.Counts())) for month in range(1, 13)]


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


def _add_cost(target: dict, cost, costed) -> None:
    """Adds a group's summed cost to `target`'s; the cost stays None until some work order has one."""
    if costed:
        target["costed"] += int(costed)
        # SQLite sums Numeric as a float; the report's costs are to the fen.
        target["cost_yuan"] = (target["cost_yuan"] or Decimal(0)) + Decimal(str(cost)).quantize(FEN)


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
                  sa.func.sum(sa.case((done, _hours(WorkOrder.completed_at, WorkOrder.created_at)), else_=None)),
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
        _add_cost(result, cost, costed)
    if result["completed"]:
        result["mean_repair_hours"] = hours / result["completed"]
    result["orders"] = list(db.session.scalars(
        sa.select(WorkOrder).where(base).order_by(WorkOrder.created_at, WorkOrder.id).limit(LIST_LIMIT)))
    return result


def events(asset: Asset, start: date, end: date, today: date) -> list[dict]:
    """The year's events at the facility or in its area, each with the work the rules set off after it."""
    path = asset.area.path if asset.area else "-"
    found = list(db.session.scalars(
        sa.select(CalendarEvent).outerjoin(Area, Area.id == CalendarEvent.area_id)
        .where(sa.or_(CalendarEvent.asset_id == asset.id, sa.literal(path).startswith(Area.path)),
               CalendarEvent.start_on <= end, CalendarEvent.end_on >= start)
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


# --- many facilities -----------------------------------------------------------------------


def scope_filters(scope: Scope) -> calendar_queries.Filters:
    return calendar_queries.Filters(area=scope.area, asset_type=scope.asset_type)


def scope_condition(scope: Scope):
    """The scope as a condition on Asset."""
    if scope.kind == "type":
        return Asset.type == scope.asset_type
    if scope.kind == "area":
        return Asset.area_id.in_(sa.select(Area.id).where(Area.path.startswith(scope.area.path)))
    if scope.kind == "facility":
        return Asset.id == scope.asset.id
    return sa.true()


def district_report(actor, scope: Scope, year: int, cutoff: datetime) -> dict:
    """The summary of many facilities: a line per reservoir, then per type and per area, the month and
    findings charts' numbers, and what is overdue."""
    today = cutoff.astimezone(zone()).date()
    start, end = year_bounds(year)
    filters = scope_filters(scope)
    numbers = {group_by: compliance.compliance(actor, start, end, today, filters, group_by)
               for group_by in ("month", "type", "town")}
    work = _work_by_type_and_area(scope, start, min(end, today))
    found = _findings_by_type_and_area(scope, start, min(end, today))
    return {
        "scope": scope,
        "year": year,
        "today": today,
        "totals": numbers["month"].totals,
        "by_month": _months(numbers["month"], year),
        "reservoirs": _reservoir_lines(actor, scope, start, end, today),
        "by_type": _merge(numbers["type"], work["type"], found["type"]),
        "by_area": _merge(numbers["town"], work["area"], found["area"], names=work["area_names"]),
        "work": work["total"],
        "findings_by_severity": found["by_severity"],
        "findings": found["total"],
        "overdue": overdue(actor, scope, start, end, today),
    }


# The district's area table has a line per town or street, as the compliance numbers' "town" grouping.
_asset_area = aliased(Area, name="asset_area")


def _by_town(query):
    """`query` (over Asset) joined to each facility's town or street (compliance.Town)."""
    return compliance.town_join(query.outerjoin(_asset_area, _asset_area.id == Asset.area_id), _asset_area)


def _work_by_type_and_area(scope: Scope, start: date, end: date) -> dict:
    since, until = utc_bounds(start, end)
    done = WorkOrder.completed_at.is_not(None)
    rows = db.session.execute(
        _by_town(sa.select(Asset.type, compliance.Town.id, sa.func.count(), sa.func.sum(sa.case((done, 1), else_=0)),
                           sa.func.sum(sa.case((done, _hours(WorkOrder.completed_at, WorkOrder.created_at)),
                                               else_=None)),
                           sa.func.sum(WorkOrder.cost_yuan), sa.func.count(WorkOrder.cost_yuan))
                 .select_from(WorkOrder).join(Asset, Asset.id == WorkOrder.asset_id))
        .where(scope_condition(scope), WorkOrder.kind.in_(REPAIR_KINDS),
               WorkOrder.created_at >= since, WorkOrder.created_at < until)
        .group_by(Asset.type, compliance.Town.id)).all()
    result = {"type": {}, "area": {}, "total": _work_sum()}
    for asset_type, area_id, count, completed, hours, cost, costed in rows:
        for target in (result["type"].setdefault(asset_type, _work_sum()),
                       result["area"].setdefault(area_id, _work_sum()), result["total"]):
            target["count"] += int(count)
            target["completed"] += int(completed or 0)
            target["hours"] += float(hours or 0)
            _add_cost(target, cost, costed)
    for entry in (*result["type"].values(), *result["area"].values(), result["total"]):
        entry["mean_repair_hours"] = entry["hours"] / entry["completed"] if entry["completed"] else None
    ids = [key for key in result["area"] if key is not None]
    result["area_names"] = dict(db.session.execute(sa.select(Area.id, Area.name).where(Area.id.in_(ids))).all())
    return result


def _work_sum() -> dict:
    return {"count": 0, "completed": 0, "hours": 0.0, "mean_repair_hours": None, "cost_yuan": None, "costed": 0}


# Findings are joined to their follow-up to read its status: an IN over the verified work orders would
# make the database gather every one of them first.
_follow_up = aliased(WorkOrder, name="follow_up")
_rectified = sa.case((_follow_up.status == RECTIFIED, 1), else_=0)


def _findings_by_type_and_area(scope: Scope, start: date, end: date) -> dict:
    since, until = utc_bounds(start, end)
    rows = db.session.execute(
        _by_town(sa.select(Asset.type, compliance.Town.id, Finding.severity, sa.func.count(), sa.func.sum(_rectified))
                 .select_from(Finding).join(Asset, Asset.id == Finding.asset_id))
        .outerjoin(_follow_up, _follow_up.id == Finding.follow_up_id)
        .where(scope_condition(scope), Finding.found_at >= since, Finding.found_at < until)
        .group_by(Asset.type, compliance.Town.id, Finding.severity)).all()
    result = {"type": {}, "area": {}, "by_severity": {}, "total": {"count": 0, "closed": 0, "open": 0}}
    for asset_type, area_id, severity, count, rectified in rows:
        count, rectified = int(count), int(rectified or 0)
        for target in (result["type"].setdefault(asset_type, {"count": 0, "closed": 0, "open": 0}),
                       result["area"].setdefault(area_id, {"count": 0, "closed": 0, "open": 0}),
                       result["by_severity"].setdefault(severity, {"count": 0, "closed": 0, "open": 0}),
                       result["total"]):
            target["count"] += count
            target["closed"] += rectified
            target["open"] += count - rectified
    return result


def _merge(report: compliance.Report, work: dict, found: dict, names: dict | None = None) -> list[dict]:
    """Compliance groups with the work and findings of the same key; keys with only work or findings too."""
    lines = {}
    for group in report.groups:
        lines[group.key] = {"key": group.key, "name": group.name, "name_en": group.name_en,
                            "counts": group.counts, "group": group}
    for key in set(work) | set(found):
        if key not in lines:
            name = (names or {}).get(key, key or "")
            group = compliance.Group(key=key, name=name)
            lines[key] = {"key": key, "name": name, "name_en": "", "counts": group.counts, "group": group}
    for key, line in lines.items():
        line["work"] = work.get(key, _work_sum())
        line["findings"] = found.get(key, {"count": 0, "closed": 0, "open": 0})
    return sorted(lines.values(), key=lambda line: (line["key"] is None, str(line["name"]), str(line["key"])))


def _reservoir_lines(actor, scope: Scope, start: date, end: date, today: date) -> dict:
    """One line per reservoir in the scope, by name: its compliance numbers, findings and repair work.
    A district has tens of reservoirs; past RESERVOIR_LINES the rest are only counted, in the type and
    area tables, so that a registry with thousands still makes a report that can be printed."""
    empty = {"lines": [], "total": 0, "limit": RESERVOIR_LINES}
    if scope.kind == "type" and scope.asset_type != "reservoir":
        return empty
    chosen = sa.and_(Asset.type == "reservoir", scope_condition(scope))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Asset).where(chosen))
    reservoirs = db.session.execute(
        sa.select(Asset.id, Asset.name, IdentityCode.code, Asset.attributes)
        .outerjoin(IdentityCode, sa.and_(IdentityCode.asset_id == Asset.id, IdentityCode.status == "bound"))
        .where(chosen).order_by(Asset.name, Asset.id).limit(RESERVOIR_LINES)).all()
    if not reservoirs:
        return empty
    filters = calendar_queries.Filters(area=scope.area, asset_type="reservoir")
    numbers = {group.key: group.counts
               for group in compliance.compliance(actor, start, end, today, filters, "facility").groups}
    ids = [row.id for row in reservoirs]
    since, until = utc_bounds(start, min(end, today))
    found = {row[0]: (int(row[1]), int(row[2] or 0)) for row in db.session.execute(
        sa.select(Finding.asset_id, sa.func.count(), sa.func.sum(_rectified))
        .outerjoin(_follow_up, _follow_up.id == Finding.follow_up_id)
        .where(Finding.asset_id.in_(ids), Finding.found_at >= since, Finding.found_at < until)
        .group_by(Finding.asset_id))}
    work = {row[0]: int(row[1]) for row in db.session.execute(
        sa.select(WorkOrder.asset_id, sa.func.count())
        .where(WorkOrder.asset_id.in_(ids), WorkOrder.kind.in_(REPAIR_KINDS),
               WorkOrder.created_at >= since, WorkOrder.created_at < until)
        .group_by(WorkOrder.asset_id))}
    lines = []
    for row in reservoirs:
        count, rectified = found.get(row.id, (0, 0))
        lines.append({"id": row.id, "name": row.name, "code": row.code,
                      "scale_class": derived("reservoir", row.attributes or {}).get("scale_class"),
                      "counts": numbers.get(row.id, compliance.Counts()), "findings": count,
                      "open_findings": count - rectified, "work": work.get(row.id, 0)})
    return {"lines": lines, "total": total, "limit": RESERVOIR_LINES}


def overdue(actor, scope: Scope, start: date, end: date, today: date) -> dict:
    """Obligations still open past their day — the year's, and standing ones from earlier years (an appraisal
    overdue since 2024 is overdue in 2026's report too) — and open findings past their follow-up's
    deadline: the first LIST_LIMIT of each, oldest first, and how many there are in all."""
    items = (sa.select(CalendarItem).where(
        sa.or_(CalendarItem.due_on >= start, CalendarItem.standing.is_(True)),
        CalendarItem.due_on <= end, CalendarItem.due_on < today,
        CalendarItem.status.in_(OPEN_STATUSES), visibility.Scope.of(actor).clause(CalendarItem),
        *calendar_queries.conditions(scope_filters(scope), today)))
    item_count = db.session.scalar(items.with_only_columns(sa.func.count()))
    item_rows = list(db.session.scalars(
        items.options(joinedload(CalendarItem.asset).load_only(Asset.name, Asset.type),
                      joinedload(CalendarItem.work_order).load_only(WorkOrder.id))
        .order_by(CalendarItem.due_on, CalendarItem.id).limit(LIST_LIMIT)))
    now = datetime.combine(today, time(), zone())
    late = (sa.select(Finding).join(WorkOrder, WorkOrder.id == Finding.follow_up_id)
            .join(Asset, Asset.id == Finding.asset_id)
            .where(scope_condition(scope), WorkOrder.status.in_(("new", "assigned", "in_progress", "on_hold")),
                   WorkOrder.due_at < now, Finding.found_at < utc_bounds(end, end)[1]))
    finding_count = db.session.scalar(late.with_only_columns(sa.func.count()))
    finding_rows = list(db.session.scalars(
        late.options(joinedload(Finding.follow_up), selectinload(Finding.inspection).joinedload(Inspection.asset))
        .order_by(WorkOrder.due_at, Finding.id).limit(LIST_LIMIT)))
    return {"obligations": item_rows, "item_count": item_count, "findings": finding_rows,
            "finding_count": finding_count, "limit": LIST_LIMIT}


def type_reservoirs(scope: Scope) -> list[Asset]:
    """The reservoirs whose own chapters follow the summary of an all-reservoirs report."""
    return list(db.session.scalars(
        sa.select(Asset).where(Asset.type == "reservoir", scope_condition(scope))
        .options(selectinload(Asset.persons)).order_by(Asset.name, Asset.id)))


# How many reservoirs an all-reservoirs report gives a chapter each; a district has tens.
CHAPTER_LIMIT = 100


def annual(actor, scope: Scope, year: int, cutoff: datetime) -> dict:
    """The whole report: a facility's own, or a summary of many (with a chapter per reservoir when the
    scope is the reservoirs)."""
    if scope.kind == "facility":
        return {"kind": "facility", "year": year, "scope": scope, "cutoff": cutoff,
                "facilities": [facility_report(actor, scope.asset, year, cutoff)]}
    chapters, total = [], 0
    if scope.kind == "type" and scope.asset_type == "reservoir":
        reservoirs = type_reservoirs(scope)
        total = len(reservoirs)
        chapters = [facility_report(actor, asset, year, cutoff) for asset in reservoirs[:CHAPTER_LIMIT]]
    return {"kind": "summary", "year": year, "scope": scope, "cutoff": cutoff,
            "summary": district_report(actor, scope, year, cutoff), "facilities": chapters,
            "chapters_total": total}
