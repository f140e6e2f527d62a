"""The report of many facilities (a type, an area, the district): a line per reservoir, then per type and per
town, the month and findings numbers, and what is overdue. Everything it sums is summed by the database
(GROUP BY); Python only reads the grouped rows."""
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload, selectinload

from ..assets.models import Area, Asset, IdentityCode
from ..assets.types import derived
from ..auth import scope as visibility
from ..calendar import compliance
from ..calendar import queries as calendar_queries
from ..calendar.models import OPEN_STATUSES, CalendarItem
from ..extensions import db
from ..inspections.models import Finding, Inspection
from ..workorders.models import WorkOrder
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
from .scope import Scope

# Reservoirs a district report gives a line each (see _reservoir_lines).
RESERVOIR_LINES = 500


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
        "by_month": by_month(numbers["month"], year),
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
                           sa.func.sum(sa.case((done, hours_between(WorkOrder.completed_at, WorkOrder.created_at)),
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
            add_cost(target, cost, costed)
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
