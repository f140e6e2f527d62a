"""The work board and "my work": the lists supervisors and crews see, filtered and paged."""
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..assets.models import Area, Asset
from ..assets.types import TYPES
from ..auth.scope import (
    Scope,
)
from .. import paging
from ..db import as_id
from ..extensions import db
from . import states
from .models import WorkOrder, open_condition
from .overdue import overdue_clause



@dataclass
class BoardFilters:
    kind: str = ""
    area: str = ""
    team: str = ""
    priority: str = ""
    source: str = ""
    status: str = "open"
    asset: str = ""  # a facility's id
    asset_type: str = ""  # a facility type's key: reservoir, manhole…


# What every list row shows: load it with the rows, not one query per row. Of the facility only its
# name: decoding its attributes and geometry took longer than loading the rest of a row.
_ROW_OPTIONS = (joinedload(WorkOrder.asset).load_only(Asset.name), joinedload(WorkOrder.assignee_user),
                joinedload(WorkOrder.assignee_team))


def _assigned_to(actor, status_condition):
    """Work of the actor or of one of the actor's teams in the given statuses. Two index lookups
    joined, not one OR across the two columns: no single index answers that OR, so it would be
    checked on every work order in due order until a page is full."""
    mine = sa.union_all(
        sa.select(WorkOrder.id).where(WorkOrder.assignee_user_id == actor.id, status_condition),
        sa.select(WorkOrder.id).where(WorkOrder.assignee_team_id.in_([t.id for t in actor.teams]),
                                      status_condition),
    )
    return WorkOrder.id.in_(mine)


def board_query(actor, filters: BoardFilters) -> sa.Select:
    """Open field work the actor may see, overdue first (earliest due first), then by id. Office tasks
    have their list of their own (calendar.office)."""
    # "+ 0" keeps the work orders the outer side of the join, read in the order of their own indexes, each
    # facility found by its key: SQLite would otherwise walk every facility and fetch its work orders one by
    # one through asset_id, which for the counts over a 200,000-order board takes seconds.
    query = (sa.select(WorkOrder).join(Asset, Asset.id == WorkOrder.asset_id + 0)
             .where(WorkOrder.kind != states.OFFICE))
    status_condition = sa.true()
    if filters.status == "open":
        status_condition = open_condition()
    elif filters.status in states.STATUSES:
        status_condition = WorkOrder.status == filters.status
    query = query.where(status_condition)
    for field, column, choices in (("kind", WorkOrder.kind, states.FIELD_KINDS), ("priority", WorkOrder.priority, states.PRIORITIES),
                                   ("source", WorkOrder.source, states.SOURCES)):
        value = getattr(filters, field)
        if value in choices:
            query = query.where(column == value)
    if as_id(filters.team):
        query = query.where(WorkOrder.assignee_team_id == as_id(filters.team))
    if as_id(filters.asset):
        query = query.where(WorkOrder.asset_id == as_id(filters.asset))
    # On the facility already joined for the areas: the unfiltered board's query stays as it was.
    if filters.asset_type in TYPES:
        query = query.where(Asset.type == filters.asset_type)
    if filters.area:
        area = db.session.scalar(sa.select(Area).where(Area.code == filters.area))
        if area is not None:
            query = query.join(Area, Area.id == Asset.area_id).where(Area.path.startswith(area.path))
    return query.where(Scope.of(actor).clause(WorkOrder))


def count_overdue(actor, filters: BoardFilters, now: datetime) -> int:
    """How many of the board's work orders (the filters applied) are overdue, by overdue.overdue_clause."""
    query = board_query(actor, filters).where(overdue_clause(now))
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.with_only_columns(WorkOrder.id).subquery()))


def board_page(actor, filters: BoardFilters, after: tuple[datetime, int] | None, size: int):
    """One page of the board by keyset (due_at, id): fast however many work orders there are."""
    return paging.page(board_query(actor, filters).options(*_ROW_OPTIONS), (WorkOrder.due_at, WorkOrder.id), after,
                       size)


def board_summary(actor, filters: BoardFilters, now: datetime) -> dict:
    """How many work orders the filters select (`total`), how many of them are overdue, and how many there
    are in each status with the other filters kept: the counts the board shows above its rows. One pass over
    the rows, each status a conditional sum: a GROUP BY would read them in the status index's order, one by one."""
    everything = board_query(actor, replace(filters, status="all"))
    columns = [sa.func.coalesce(sa.func.sum(sa.case((WorkOrder.status == status, 1), else_=0)), 0)
               for status in states.STATUSES]
    overdue = sa.func.coalesce(sa.func.sum(sa.case(
        (sa.and_(WorkOrder.status.in_(states.OPEN), WorkOrder.due_at < now), 1), else_=0)), 0)
    if filters.status in states.STATUSES:
        overdue = sa.func.coalesce(sa.func.sum(sa.case(
            (sa.and_(WorkOrder.status == filters.status, WorkOrder.status.in_(states.OPEN), WorkOrder.due_at < now),
             1), else_=0)), 0)
    *counts, late = db.session.execute(everything.with_only_columns(*columns, overdue)).one()
    by_status = dict(zip(states.STATUSES, map(int, counts)))
    if filters.status == "open":
        total = sum(by_status[status] for status in states.OPEN)
    else:
        total = by_status[filters.status] if filters.status in states.STATUSES else sum(by_status.values())
    return {"total": total, "overdue": int(late), "by_status": by_status}


def board_rows(query: sa.Select, chunk: int = 1000):
    """Every work order of a board_query, in the board's order, read a chunk at a time: for the export. The
    query is built before: it holds the actor's scope, and a streamed answer outlives the request's session."""
    query, after = query.options(*_ROW_OPTIONS), None
    while True:
        rows, after = paging.page(query, (WorkOrder.due_at, WorkOrder.id), after, chunk)
        yield from rows
        if after is None:
            return


MY_WORK_ROWS = 10


def my_work(actor, now: datetime, tz: ZoneInfo, days_ahead: int = 7, rows: int = MY_WORK_ROWS) -> dict:
    """A crew member's work: overdue, due by the end of today in the district's zone, and upcoming.

    Each part holds its most urgent `rows`; `counts` says how many there are in all, so a long backlog
    is announced, not dumped onto a phone (the board pages through all of it)."""
    end_of_day = now.astimezone(tz).replace(hour=23, minute=59, second=59).astimezone(now.tzinfo)
    horizon = end_of_day + timedelta(days=days_ahead)
    # Ids and due times only, for all of it: cheap even for a long backlog; whole rows for what is shown.
    condition = _assigned_to(actor, sa.and_(WorkOrder.status.in_(states.OPEN), WorkOrder.due_at <= horizon,
                                            WorkOrder.kind != states.OFFICE))
    keys = db.session.execute(sa.select(WorkOrder.id, WorkOrder.due_at).where(condition)
                              .order_by(WorkOrder.due_at, WorkOrder.id)).all()
    parts = {
        # All of them open: overdue.is_overdue reduces to the due moment.
        "overdue": [order_id for order_id, due in keys if due < now],
        "today": [order_id for order_id, due in keys if now <= due <= end_of_day],
        "upcoming": [order_id for order_id, due in keys if end_of_day < due],
    }
    shown = [order_id for ids in parts.values() for order_id in ids[:rows]]
    loaded = {order.id: order for order in db.session.scalars(
        sa.select(WorkOrder).where(WorkOrder.id.in_(shown)).options(*_ROW_OPTIONS))} if shown else {}
    work = {name: [loaded[order_id] for order_id in ids[:rows]] for name, ids in parts.items()}
    counts = {name: len(ids) for name, ids in parts.items()}
    return {**work, "counts": counts}


def due_here(actor, asset_id: int) -> list[WorkOrder]:
    """Open work at this facility that the actor may do: the scan page's 'work due here'."""
    query = board_query(actor, BoardFilters()).where(WorkOrder.asset_id == asset_id)
    return list(db.session.scalars(query.order_by(WorkOrder.due_at, WorkOrder.id).limit(20)))
