"""What overdue means, in one place, and which open work orders fell due in a window of time: what the overdue
notice (jobs/overdue.py) tells people about. Reads only.

Overdue: work still open whose due moment has passed. The board, My work, a work order's page and the
calendar's compliance numbers (calendar/queries.outcome_conditions, through an item's work order) all count
by overdue_clause / is_overdue, so their numbers agree.

Read by range on ix_work_order_status_due (status, due_at, id), page by page in due order, so that a
window holding many orders never loads them all at once.
"""
from collections.abc import Iterator
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from .. import paging
from ..auth.models import Team
from . import states
from .models import WorkOrder, open_condition

PAGE = 500


def overdue_clause(now: datetime):
    """Work orders still open whose due moment is before `now` (an aware UTC time)."""
    return sa.and_(open_condition(), WorkOrder.due_at < now)


def is_overdue(order: WorkOrder, now: datetime) -> bool:
    """overdue_clause for one loaded work order."""
    return order.status in states.OPEN and order.due_at < now


def fell_due(at: datetime, lower: datetime, backdated: timedelta, page: int = PAGE) -> Iterator[list[WorkOrder]]:
    """The open work orders due by `at` that fell due after `lower`, or were created after it with a due
    time at most `backdated` before it; oldest due first, in pages of `page`, with their facility, assignee
    and team members loaded. Each page is read when the one before it has been used."""
    query = (
        sa.select(WorkOrder)
        .where(WorkOrder.status.in_(states.OPEN), WorkOrder.due_at <= at, WorkOrder.due_at > lower - backdated,
               sa.or_(WorkOrder.due_at > lower, WorkOrder.created_at > lower))
        .options(selectinload(WorkOrder.asset), selectinload(WorkOrder.assignee_user),
                 selectinload(WorkOrder.assignee_team).selectinload(Team.members))
    )
    position = None
    while True:
        orders, position = paging.page(query, (WorkOrder.due_at, WorkOrder.id), position, page)
        if orders:
            yield orders
        if position is None:
            return
