"""The calendar items a person may see (auth.scope decides which), and the filters every calendar list
shares: the month and list pages, the compliance numbers, the feeds and the API. Plain queries: no request
objects; bad filters are ValidationErrors naming the field."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from .. import clock, datebounds, paging
from ..assets import lookup
from ..assets.models import Area, Asset, find_area
from ..assets.types import TYPES
from ..auth.models import Team
from ..auth.scope import Scope
from ..db import as_id
from ..errors import ValidationError
from ..extensions import db
from ..workorders.models import WorkOrder
from ..workorders.overdue import overdue_clause
from .engine.wording import KIND_GROUPS, STANDINGS, kind_group
from .models import OPEN_STATUSES, CalendarItem

# Counted items: superseded ones were replaced by another item and are nobody's obligation any more.
LIVE = ("scheduled", "planned", "done", "missed")
MAX_PERIOD_DAYS = 3 * 366


@dataclass(frozen=True)
class Filters:
    area: Area | None = None
    asset_type: str = ""
    kind: str = ""
    facility: int | None = None
    team: int | None = None
    standing: str = ""

    def as_args(self, extra: dict | None = None) -> dict:
        """The filters as query-string values, with `extra` ones, for links that keep them."""
        values = {"area": self.area.code if self.area else "", "type": self.asset_type, "kind": self.kind,
                  "facility": self.facility or "", "team": self.team or "", "status": self.standing}
        return {**{name: value for name, value in values.items() if value not in ("", None)}, **(extra or {})}


def parse_filters(args) -> Filters:
    """Filters from text values (a query string): area code or id, type, kind, facility id, team id, status.
    Empty values mean no filter."""
    errors = {}
    text = {name: str(args.get(name) or "").strip() for name in ("area", "type", "kind", "facility", "team", "status")}
    area = None
    if text["area"]:
        area = find_area(text["area"])
        if area is None:
            errors["area"] = _("unknown area %(area)s", area=text["area"])
    if text["type"] and text["type"] not in TYPES:
        errors["type"] = _("unknown facility type")
    if len(text["kind"]) > 40:
        errors["kind"] = _("unknown kind of work")
    facility = None
    if text["facility"]:
        try:
            facility = lookup.find_asset(text["facility"], "facility").id
        except lookup.NO_FACILITY:
            errors["facility"] = _("no such facility")
    team = _number(text["team"], "team", errors)
    if team is not None and db.session.get(Team, team) is None:
        errors["team"] = _("no such team")
    if text["status"] and text["status"] not in STANDINGS:
        errors["status"] = _("must be one of: %(choices)s", choices=", ".join(STANDINGS))
    if errors:
        raise ValidationError(_("The calendar filters are not valid."), errors)
    return Filters(area=area, asset_type=text["type"], kind=text["kind"], facility=facility, team=team,
                   standing=text["status"])


def _number(text: str, field: str, errors: dict) -> int | None:
    if not text:
        return None
    if as_id(text) is None:
        errors[field] = _("must be a number")
        return None
    return int(text)


def parse_day(text, field: str, errors: dict) -> date | None:
    try:
        day = date.fromisoformat(str(text).strip())
        datebounds.check(day, clock.today())
    except datebounds.OutOfRange as problem:
        errors[field] = _(problem.template, **problem.params)
        return None
    except ValueError:
        errors[field] = _("must be a date like 2024-05-01")
        return None
    return day


def parse_period(start_text, end_text, default: tuple[date, date]) -> tuple[date, date]:
    """A period of local dates, both ends included; a missing end takes the default's."""
    errors = {}
    start = parse_day(start_text, "from", errors) if start_text else default[0]
    end = parse_day(end_text, "to", errors) if end_text else default[1]
    if not errors and end < start:
        errors["to"] = _("the end lies before the start")
    elif not errors and (end - start).days > MAX_PERIOD_DAYS:
        errors["to"] = _("a period may span at most three years")
    if errors:
        raise ValidationError(_("The period is not valid."), errors)
    return start, end


def within_area(area: Area):
    """The filter "in this area and below" (who may see what is Scope's to say)."""
    return sa.select(Asset.id).join(Area, Area.id == Asset.area_id).where(Area.path.startswith(area.path))


def assigned_to_user(user):
    """Items whose work order is the user's or one of the user's teams': a person's own calendar."""
    teams = [team.id for team in user.teams]
    orders = sa.select(WorkOrder.id).where(sa.or_(WorkOrder.assignee_user_id == user.id,
                                                  WorkOrder.assignee_team_id.in_(teams)))
    return CalendarItem.work_order_id.in_(orders)


def moment_of(today: date) -> datetime:
    """The moment the numbers of `today` are read at: now on the clock's today; another day, as it began."""
    if today == clock.today():
        return clock.now()
    return datetime.combine(today, time.min, clock.zone()).astimezone(timezone.utc)


def outcome_conditions(now: datetime) -> dict:
    """What became of an item, as conditions on CalendarItem: the one definition the calendar's list, month,
    compliance numbers and reports count by.

      on_time      done on or before its due day (a done item without its day recorded cannot be shown late)
      late         done after its due day
      missed       a calendar-bound item whose day passed undone (lifecycle.mark_missed), or an earlier period
                   of a standing obligation overtaken undone by a later one
      overdue      still open, and overdue as the board says (workorders.overdue.overdue_clause) through its
                   work order; one not made into work yet, when its own due moment has passed
      not_yet_due  still open and not overdue
    """
    item = CalendarItem
    is_open = item.status.in_(OPEN_STATUSES)
    # Each side says its case outright: a NULL work order in IN would make the whole test NULL, and an item
    # not made into work yet would then be neither overdue nor not yet due.
    overdue = sa.or_(sa.and_(item.work_order_id.is_not(None),
                             item.work_order_id.in_(sa.select(WorkOrder.id).where(overdue_clause(now)))),
                     sa.and_(item.work_order_id.is_(None), item.due_at < now))
    return {
        "on_time": sa.and_(item.status == "done", sa.or_(item.closed_on.is_(None), item.closed_on <= item.due_on)),
        "late": sa.and_(item.status == "done", item.closed_on > item.due_on),
        "missed": item.status == "missed",
        "overdue": sa.and_(is_open, overdue),
        "not_yet_due": sa.and_(is_open, sa.not_(overdue)),
    }


def standing_condition(standing: str, today: date):
    """The list's status filter, named as the calendar shows it (engine.wording.STANDINGS)."""
    if standing == "superseded":
        return CalendarItem.status == "superseded"
    outcome = {"planned": "not_yet_due", "done": "on_time", "done_late": "late"}.get(standing, standing)
    return outcome_conditions(moment_of(today))[outcome]


def conditions(filters: Filters, today: date) -> list:
    """The filters as conditions on CalendarItem, each a subquery so the caller's joins stay its own."""
    found = []
    if filters.area is not None:
        found.append(CalendarItem.asset_id.in_(within_area(filters.area)))
    if filters.asset_type:
        found.append(CalendarItem.asset_id.in_(sa.select(Asset.id).where(Asset.type == filters.asset_type)))
    if filters.kind:
        found.append(CalendarItem.kind == filters.kind)
    if filters.facility is not None:
        found.append(CalendarItem.asset_id == filters.facility)
    if filters.team is not None:
        found.append(CalendarItem.work_order_id.in_(
            sa.select(WorkOrder.id).where(WorkOrder.assignee_team_id == filters.team)))
    if filters.standing:
        found.append(standing_condition(filters.standing, today))
    else:
        found.append(CalendarItem.status.in_(LIVE))
    return found


# What every calendar row shows, loaded with the rows: the facility's name and type, the work order's number.
ROW_OPTIONS = (joinedload(CalendarItem.asset).load_only(Asset.name, Asset.type, Asset.area_id),
               joinedload(CalendarItem.work_order).load_only(WorkOrder.id, WorkOrder.status, WorkOrder.created_at,
                                                             WorkOrder.assignee_user_id, WorkOrder.assignee_team_id))


def items_query(actor, filters: Filters, start: date, end: date, today: date) -> sa.Select:
    """The items due from start to end (local dates, both included) that the actor may see."""
    return (sa.select(CalendarItem)
            .where(CalendarItem.due_on >= start, CalendarItem.due_on <= end, Scope.of(actor).clause(CalendarItem),
                   *conditions(filters, today)))


def items_page(actor, filters: Filters, start: date, end: date, today: date, after: tuple[date, int] | None,
               size: int) -> tuple[list[CalendarItem], tuple[date, int] | None]:
    """One page by keyset (due_on, id), and the key of the next page or None on the last."""
    return paging.page(items_query(actor, filters, start, end, today).options(*ROW_OPTIONS),
                       (CalendarItem.due_on, CalendarItem.id), after, size)


@dataclass
class DayCounts:
    """What a month cell says of a day: how many items of each group of kinds, and how many are overdue or
    missed (counted by outcome_conditions, like the compliance page)."""
    by_group: list[tuple[str, int]]
    overdue: int = 0
    missed: int = 0


def month_counts(actor, filters: Filters, first: date, last: date, today: date) -> dict[date, DayCounts]:
    """Each day's counts from first to last: a month of daily patrols across the district is thousands of
    items, and a cell says how many of what, not a handful of them."""
    outcomes = outcome_conditions(moment_of(today))
    outcome = sa.case((outcomes["overdue"], "overdue"), (outcomes["missed"], "missed"), else_="")
    base = items_query(actor, filters, first, last, today)
    rows = db.session.execute(base.with_only_columns(CalendarItem.due_on, CalendarItem.kind, outcome.label("outcome"),
                                                     sa.func.count())
                              .group_by(CalendarItem.due_on, CalendarItem.kind, outcome)).all()
    counted: dict[date, dict] = {}
    for day, kind, state, count in rows:
        entry = counted.setdefault(day, {"groups": {}, "overdue": 0, "missed": 0})
        group = kind_group(kind)
        entry["groups"][group] = entry["groups"].get(group, 0) + count
        if state:
            entry[state] += count
    order = list(KIND_GROUPS)
    return {day: DayCounts(by_group=sorted(entry["groups"].items(), key=lambda pair: order.index(pair[0])),
                           overdue=entry["overdue"], missed=entry["missed"])
            for day, entry in counted.items()}


def weeks(first_of_month: date) -> list[list[date]]:
    """The weeks (Monday first) that show the month, as lists of seven days."""
    start = first_of_month - timedelta(days=first_of_month.weekday())
    following = (first_of_month.replace(day=28) + timedelta(days=4)).replace(day=1)
    rows = []
    while start < following:
        rows.append([start + timedelta(days=offset) for offset in range(7)])
        start += timedelta(days=7)
    return rows
