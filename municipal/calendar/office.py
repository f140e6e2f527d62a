"""The office's own obligations (办公事项): the calendar's desk work, listed apart from the crews' board.

Work orders of kind "office" (engine/desk.py decides which calendar kinds are made so, and a supervisor may
create one by hand) as due, overdue and done, each labelled with what it is (溃坝损失评估, 注册登记变更…)
from its calendar item, never as a patrol. Read-only: office tasks move through the work order pages.
"""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from .. import paging
from ..assets.models import Asset
from ..auth.scope import Scope
from ..extensions import db
from ..workorders import states
from ..workorders.models import WorkOrder
from .models import CalendarItem

# open: overdue and due together, the most urgent first; done: completed or closed, the latest first.
STATES = ("open", "overdue", "due", "done")
DONE = ("completed", "verified")


def _base(actor):
    return sa.select(WorkOrder).where(WorkOrder.kind == states.OFFICE, Scope.of(actor).clause(WorkOrder))


def _in_state(query, state: str, now: datetime):
    if state == "done":
        return query.where(WorkOrder.status.in_(DONE))
    query = query.where(WorkOrder.status.in_(states.OPEN))
    if state == "overdue":
        return query.where(WorkOrder.due_at < now)
    if state == "due":
        return query.where(WorkOrder.due_at >= now)
    return query


def counts(actor, now: datetime) -> dict:
    """How many office tasks are overdue, due (not yet overdue) and done."""
    return {state: db.session.scalar(_in_state(_base(actor), state, now).with_only_columns(sa.func.count()))
            for state in ("overdue", "due", "done")}


def page(actor, state: str, now: datetime, after, size: int) -> tuple[list[dict], object]:
    """One page of the state's office tasks, each {"order", "kind"}: the calendar kind, None for one made
    by hand."""
    query = _in_state(_base(actor), state, now).options(
        joinedload(WorkOrder.asset).load_only(Asset.name), joinedload(WorkOrder.assignee_user),
        joinedload(WorkOrder.assignee_team))
    orders, next_after = paging.page(query, (WorkOrder.due_at, WorkOrder.id), after, size,
                                     descending=state == "done")
    kinds = dict(db.session.execute(sa.select(CalendarItem.work_order_id, CalendarItem.kind).where(
        CalendarItem.work_order_id.in_([order.id for order in orders]))).all()) if orders else {}
    return [{"order": order, "kind": kinds.get(order.id)} for order in orders], next_after
