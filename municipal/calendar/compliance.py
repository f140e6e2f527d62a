"""How well the calendar was kept: for a period, the items that fell due and what became of them.

Each item due in the period (superseded ones aside: another item took their place) counts once, as one of
  on_time      done on or before its due day
  late         done after its due day
  missed       a calendar-bound item whose day passed undone; it stays missed even if the work was done later.
               Also an earlier period of a standing obligation overtaken, undone, by a later period
  overdue      still open and overdue as the board counts it (queries.outcome_conditions: through its work
               order, by workorders.overdue)
  not_yet_due  still open and not overdue
The completion rate is (on_time + late) / due so far, where due so far leaves out the not yet due.
Plain queries on the calendar tables: no request objects, no locale; the caller labels the groups.
"""
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from ..assets.models import Area, Asset
from ..assets.types import TYPES
from ..auth.models import Team
from ..auth.scope import Scope
from ..errors import ValidationError
from ..extensions import db
from ..workorders.models import WorkOrder
from . import queries
from .engine.wording import kind_msgid
from .models import OPEN_STATUSES, CalendarItem

GROUPS = ("month", "facility", "type", "area", "team", "kind")
OUTCOMES = ("on_time", "late", "missed", "overdue", "not_yet_due")


@dataclass
class Counts:
    on_time: int = 0
    late: int = 0
    missed: int = 0
    overdue: int = 0
    not_yet_due: int = 0

    @property
    def total(self) -> int:
        return self.on_time + self.late + self.missed + self.overdue + self.not_yet_due

    @property
    def done(self) -> int:
        return self.on_time + self.late

    @property
    def due_so_far(self) -> int:
        return self.total - self.not_yet_due

    @property
    def completion_rate(self) -> float | None:
        """Done over due so far; None when nothing has fallen due yet (0 % would be a false alarm)."""
        return self.done / self.due_so_far if self.due_so_far else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.due_so_far if self.due_so_far else None

    def add(self, other: "Counts") -> None:
        for name in OUTCOMES:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict:
        return {"total": self.total, **{name: getattr(self, name) for name in OUTCOMES}, "done": self.done,
                "due_so_far": self.due_so_far, "completion_rate": _rounded(self.completion_rate),
                "on_time_rate": _rounded(self.on_time_rate)}


def _rounded(rate: float | None) -> float | None:
    return None if rate is None else round(rate, 4)


@dataclass
class Group:
    """One row of the table. `key` is the facility, area or team id, the type or kind key, or "2025-03";
    None for items without an area or a team. `name`/`name_en` are what the database knows to call it."""
    key: object
    name: str
    name_en: str = ""
    counts: Counts = field(default_factory=Counts)


@dataclass
class Report:
    start: date
    end: date
    today: date
    group_by: str
    totals: Counts
    groups: list[Group]


def parse_group(value) -> str:
    value = (value or "month").strip()
    if value not in GROUPS:
        raise ValidationError(_("The grouping is not valid."),
                              {"group_by": _("must be one of: %(choices)s", choices=", ".join(GROUPS))})
    return value


def _outcome_sums(today: date) -> list:
    cases = queries.outcome_conditions(queries.moment_of(today))
    return [sa.func.coalesce(sa.func.sum(sa.case((cases[name], 1), else_=0)), 0).label(name) for name in OUTCOMES]


# A facility's town or street: the area of level "town" whose path its own area's path starts with (a
# facility registered at town level is its own town's). The annual report's district table rolls villages
# up into these; the compliance page keeps its line per registered area.
Town = aliased(Area, name="town")


def town_join(query, area=Area):
    """`query` (with `area` the facility's area, joined) joined to the facility's town, as Town."""
    return query.outerjoin(Town, sa.and_(Town.level == "town", area.path.startswith(Town.path)))


def _grouping(group_by: str):
    """(key columns, name column, English name column, joins) of a grouping."""
    month_year = sa.extract("year", CalendarItem.due_on)
    month = sa.extract("month", CalendarItem.due_on)
    return {
        "month": ((month_year, month), None, None, ()),
        "facility": ((Asset.id,), Asset.name, None, ()),
        "type": ((Asset.type,), None, None, ()),
        "area": ((Asset.area_id,), Area.name, Area.name_en, ("area",)),
        "town": ((Town.id,), Town.name, Town.name_en, ("area", "town")),
        "team": ((WorkOrder.assignee_team_id,), Team.name, None, ("work_order", "team")),
        "kind": ((CalendarItem.kind,), None, None, ()),
    }[group_by]


def compliance(actor, start: date, end: date, today: date, filters: queries.Filters,
               group_by: str = "month", carry_in: bool = False) -> Report:
    """The numbers for items due from start to end (both included) that the actor may see, grouped.

    With `carry_in`, the work still open that fell due before the period counts too (as overdue, the way the
    board shows it): the compliance page's view of what is owed now."""
    keys, name, name_en, joins = _grouping(group_by)
    columns = [*keys, *(column for column in (name, name_en) if column is not None)]
    query = (sa.select(*columns, *_outcome_sums(today))
             .select_from(CalendarItem).join(Asset, Asset.id == CalendarItem.asset_id))
    if "area" in joins:
        query = query.outerjoin(Area, Area.id == Asset.area_id)
    if "town" in joins:
        query = town_join(query)
    if "work_order" in joins:
        query = query.outerjoin(WorkOrder, WorkOrder.id == CalendarItem.work_order_id)
    if "team" in joins:
        query = query.outerjoin(Team, Team.id == WorkOrder.assignee_team_id)
    # A standing filter would change what is counted: the table always counts every live item.
    plain = queries.Filters(area=filters.area, asset_type=filters.asset_type, kind=filters.kind,
                            facility=filters.facility, team=filters.team)
    in_period = CalendarItem.due_on >= start
    if carry_in:
        in_period = sa.or_(in_period, CalendarItem.status.in_(OPEN_STATUSES))
    query = query.where(in_period, CalendarItem.due_on <= end, Scope.of(actor).clause(CalendarItem),
                        *queries.conditions(plain, today)).group_by(*columns)
    groups, totals = [], Counts()
    for row in db.session.execute(query):
        values = row._mapping
        counts = Counts(**{outcome: int(values[outcome]) for outcome in OUTCOMES})
        totals.add(counts)
        groups.append(_group(group_by, row, len(keys), counts, name is not None, name_en is not None))
    groups.sort(key=_order(group_by))
    return Report(start=start, end=end, today=today, group_by=group_by, totals=totals, groups=groups)


def _group(group_by: str, row, key_count: int, counts: Counts, named: bool, named_en: bool) -> Group:
    if group_by == "month":
        key = f"{int(row[0]):04d}-{int(row[1]):02d}"
        return Group(key=key, name=key, counts=counts)
    key = row[0]
    name = row[key_count] if named else (key or "")
    name_en = row[key_count + 1] if named_en else ""
    return Group(key=key, name=name or "", name_en=name_en or "", counts=counts)


def _order(group_by: str):
    if group_by == "month":
        return lambda group: group.key
    # Groups without an area or team last; the rest by name, then key for a stable order.
    return lambda group: (group.key is None, group.name, str(group.key))


def group_label(group: Group, group_by: str, locale: str) -> str:
    """What a row of the table is called, in the reader's language."""
    if group.key is None:
        return _("No area") if group_by == "area" else _("No team")
    if group_by == "type":
        return _(TYPES[group.key].label) if group.key in TYPES else str(group.key)
    if group_by == "kind":
        return _(kind_msgid(group.key))
    if group_by == "area" and locale == "en" and group.name_en:
        return group.name_en
    return group.name
