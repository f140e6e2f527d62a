"""Changing many work orders at once: those ticked on the board, or every one the board's filters select.
Flushes, never commits.

Set-based: the selection is read once as rows of plain values, checked as a whole (each order in the
actor's scope, open, and within reach of the assignee), and changed with a few UPDATEs by id, with one
audit entry per order appended in one statement. Ten thousand work orders change in the time a handful
took one by one. All or nothing: the first problem found is raised before anything is written.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from flask_babel import gettext as _

from ..assets.models import Area, Asset
from ..audit.services import record_many
from ..auth.models import Team, User
from ..auth.scope import Scope
from ..db import as_id, utcnow
from ..errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..extensions import db
from ..notify import webhooks
from ..notify.services import notify
from . import lists, states
from .access import assignee, is_supervisor
from .models import WorkOrder
from .services import due_problem, robot_teams

# Ids per IN list: well under the bound parameters SQLite and PostgreSQL take in one statement.
ID_CHUNK = 5000
# How many offending work orders a refusal names: enough to find them, not a page of numbers.
NAMED = 5


@dataclass
class Selection:
    """Either the ticked `ids`, or (`all_matching`) every work order the board's `filters` select."""
    ids: list = field(default_factory=list)
    filters: lists.BoardFilters | None = None

    @property
    def all_matching(self) -> bool:
        return self.filters is not None


@dataclass
class Change:
    assignee_user_id: object = None
    assignee_team_id: object = None
    priority: str | None = None
    due_at: datetime | None = None

    @property
    def assigning(self) -> bool:
        return self.assignee_user_id not in (None, "") or self.assignee_team_id not in (None, "")


def _rows(actor, selection: Selection) -> list:
    columns = (WorkOrder.id, WorkOrder.status, WorkOrder.priority, WorkOrder.due_at, WorkOrder.assignee_user_id,
               WorkOrder.assignee_team_id, Asset.type, Area.path)
    if selection.all_matching:
        # Read straight from the board's own query (its join to the facility included), not by id again.
        place = aliased(Area)
        columns = columns[:-1] + (place.path,)
        query = lists.board_query(actor, selection.filters).with_only_columns(*columns).outerjoin(
            place, place.id == Asset.area_id)
        return db.session.execute(query).all()
    wanted = list(dict.fromkeys(map(str, selection.ids)))
    numbers = [as_id(value) for value in wanted]
    if None in numbers:
        raise NotFound(_("There is no work order %(id)s.", id=wanted[numbers.index(None)]))
    rows = []
    for first in range(0, len(numbers), ID_CHUNK):
        rows += db.session.execute(sa.select(*columns).join(Asset, Asset.id == WorkOrder.asset_id).outerjoin(
            Area, Area.id == Asset.area_id).where(WorkOrder.id.in_(numbers[first:first + ID_CHUNK]))).all()
    missing = set(numbers) - {row.id for row in rows}
    if missing:
        raise NotFound(_("There is no work order %(id)s.", id=min(missing)))
    return rows


def _numbers(ids) -> str:
    ids = sorted(ids)
    named = ", ".join(f"WO-{order_id:06d}" for order_id in ids[:NAMED])
    return named + ("…" if len(ids) > NAMED else "")


def _check_scope(actor, rows) -> None:
    """Every order in the actor's reach, as Scope decides it: its condition read for these ids at once."""
    ids = [row.id for row in rows]
    allowed = set()
    condition = Scope.of(actor).clause(WorkOrder)
    for first in range(0, len(ids), ID_CHUNK):
        allowed.update(db.session.scalars(sa.select(WorkOrder.id).where(
            WorkOrder.id.in_(ids[first:first + ID_CHUNK]), condition)))
    refused = [order_id for order_id in ids if order_id not in allowed]
    if refused:
        raise PermissionDenied(_("%(count)s of the selected work orders are outside your areas of responsibility "
                                 "(%(numbers)s); none was changed.", count=len(refused), numbers=_numbers(refused)))


def _check_change(change: Change) -> None:
    errors = {}
    if change.priority is not None and change.priority not in states.PRIORITIES:
        errors["priority"] = _("unknown priority")
    if problem := due_problem(change.due_at):
        errors["due_at"] = problem
    elif change.due_at is not None and change.due_at < utcnow() - timedelta(days=1):
        errors["due_at"] = _("the due date lies in the past")
    if not (change.assigning or change.priority or change.due_at or errors):
        errors["assignee_user"] = _("choose an assignee, a priority or a due date")
    if errors:
        raise ValidationError(_("The selected work orders were not changed."), errors)


def _assignee_for(rows, change: Change):
    """The person or team, checked as for one work order (exists, active, may be given work, works where
    the facility is) once for each area and type the selection spans."""
    user = team = None
    for path, asset_type in sorted({(row.path or "", row.type) for row in rows}):
        place = SimpleNamespace(area=SimpleNamespace(path=path) if path else None, type=asset_type)
        try:
            user, team = assignee(change.assignee_user_id, change.assignee_team_id, place)
        except ValidationError as error:
            raise ValidationError(_("The selected work orders were not changed."), error.fields) from None
    return user, team


def _check_open(rows, assigning: bool) -> None:
    movable = states.ACTIONS["assign"].source if assigning else states.OPEN
    stuck = [row for row in rows if row.status not in movable]
    if stuck:
        first = db.session.get(WorkOrder, stuck[0].id)
        raise Conflict(_("%(count)s of the selected work orders cannot be changed now (%(numbers)s: "
                         "%(status)s); none was.", count=len(stuck), numbers=_numbers(row.id for row in stuck),
                         status=_(states.STATUSES[stuck[0].status])),
                       {"ids": _("not possible now")}, current=first.conflict_state())


def preview(actor, selection: Selection, change: Change) -> int:
    """How many work orders the change would touch, after every check the change itself makes."""
    return len(_checked(actor, selection, change)[0])


def _checked(actor, selection: Selection, change: Change):
    if not is_supervisor(actor):
        raise PermissionDenied(_("Only supervisors and administrators may do this."))
    if not selection.all_matching and not selection.ids:
        raise ValidationError(_("Select at least one work order."), {"ids": _("required")})
    _check_change(change)
    rows = _rows(actor, selection)
    if not rows:
        raise ValidationError(_("Select at least one work order."), {"ids": _("no work order matches")})
    if not selection.all_matching:
        # Every order the board's filters select is in reach already: board_query holds Scope's clause.
        _check_scope(actor, rows)
    _check_open(rows, change.assigning)
    user, team = _assignee_for(rows, change) if change.assigning else (None, None)
    return rows, user, team


def apply(actor, selection: Selection, change: Change) -> int:
    """Make the change to every selected work order, or to none; returns how many."""
    rows, user, team = _checked(actor, selection, change)
    now, entries, table = utcnow(), [], WorkOrder.__table__
    # On the table, not the mapped class: the ORM's bulk update would look for the rows in the session.
    values = {"updated_at": now, "version": table.c.version + 1}
    if change.priority:
        values["priority"] = change.priority
    if change.due_at:
        values["due_at"] = change.due_at
    if change.assigning:
        values.update(assignee_user_id=user.id if user else None, assignee_team_id=team.id if team else None,
                      status="assigned")
    names = _current_labels(rows) if change.assigning else {}
    label = (user.display_name or user.username) if user else (team.name if team else None)
    for row in rows:
        changes = {}
        if change.priority and row.priority != change.priority:
            changes["priority"] = [row.priority, change.priority]
        if change.due_at and row.due_at != change.due_at:
            changes["due_at"] = [row.due_at.isoformat(), change.due_at.isoformat()]
        if change.assigning:
            changes["status"] = [row.status, "assigned"]
            changes["assignee"] = [_current_label(row, names), label]
        entries.append((row.id, changes))
    ids = [row.id for row in rows]
    for first in range(0, len(ids), ID_CHUNK):
        db.session.execute(sa.update(table).where(table.c.id.in_(ids[first:first + ID_CHUNK])).values(values))
    record_many(actor, "work_order", "assign" if change.assigning else "update", entries)
    db.session.expire_all()
    if change.assigning:
        _notify_assigned(user, team, ids)
    return len(ids)


def _current_labels(rows) -> dict:
    """What each selected order was assigned to, by name, for the audit trail: two queries for all."""
    users = {row.assignee_user_id for row in rows} - {None}
    teams = {row.assignee_team_id for row in rows} - {None}
    names = {}
    if users:
        names.update({("user", uid): display or username for uid, display, username in db.session.execute(
            sa.select(User.id, User.display_name, User.username).where(User.id.in_(users)))})
    if teams:
        names.update({("team", tid): name for tid, name in db.session.execute(
            sa.select(Team.id, Team.name).where(Team.id.in_(teams)))})
    return names


def _current_label(row, names: dict) -> str | None:
    if row.assignee_user_id is not None:
        return names.get(("user", row.assignee_user_id))
    return names.get(("team", row.assignee_team_id)) if row.assignee_team_id is not None else None


def _notify_assigned(user, team, ids: list[int]) -> None:
    """One notification per person for the whole batch: ten thousand lines in a bell help nobody. A single
    order is named, as when it is assigned on its own."""
    people = [user] if user is not None else list(team.members)
    if len(ids) == 1:
        order = db.session.get(WorkOrder, ids[0])
        kind, params, link = "assigned", {"number": order.number, "title": order.title}, f"/work/{order.id}"
    else:
        kind, params, link = "assigned_many", {"count": len(ids)}, "/work/mine"
    notify(people, kind, params, link)
    webhooks.queue(robot_teams(user, team), kind, params, link)
