"""The overdue notice: an open work order past its due time tells its assignee and the supervisors of
its area, once. Flushes, never commits.

Which orders are looked at: not every open one (there may be hundreds of thousands), but those whose
due time passed since the last successful check (workorders/overdue.py finds them). The dedupe key
"overdue:wo:<id>" under the notification table's UNIQUE(user_id, dedupe_key) makes a second look, a second
run or a second machine harmless, so the windows may overlap freely; what matters is that they leave no gap.

Not covered: an order that fell due while it was completed and is then sent back (its assignee already
gets the "sent back" notice), and one that fell due more than MAX_LOOKBACK before the first check or
during a longer outage (it heads the board, which sorts overdue work first).
"""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ..auth.models import User
from ..notify.services import notify, supervisors_for_area
from ..workorders.models import WorkOrder
from ..workorders.overdue import fell_due

# How far back a first check, or one after a long outage, looks: a notice weeks late helps nobody.
MAX_LOOKBACK = timedelta(days=7)
# create_work_order accepts a due time up to a day in the past: an order created since the last check
# may already be that late.
BACKDATED = timedelta(days=1)
# A request still in flight when the last check looked may commit an order that check could not see.
IN_FLIGHT = timedelta(minutes=15)


def notify_overdue(at: datetime, since: datetime | None, tz: ZoneInfo) -> int:
    """Notify about the open work orders that fell due by `at` since the last successful check began
    (`since`; None if there was none). Returns how many notifications were created."""
    lower = at - MAX_LOOKBACK if since is None else max(since - IN_FLIGHT, at - MAX_LOOKBACK)
    supervisors: dict[int, list[User]] = {}
    created = 0
    for orders in fell_due(at, lower, BACKDATED):
        for order in orders:
            params = {"number": order.number, "title": order.title,
                      "due": order.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")}
            created += notify(_recipients(order, supervisors), "overdue", params, f"/work/{order.id}",
                              dedupe_key=f"overdue:wo:{order.id}")
    return created


def _recipients(order: WorkOrder, supervisors: dict[tuple[int, str], list[User]]) -> list[User]:
    if order.assignee_user is not None:
        people = [order.assignee_user]
    else:
        people = list(order.assignee_team.members) if order.assignee_team is not None else []
    place = (order.asset.area_id, order.asset.type)
    if place[0] is not None:
        if place not in supervisors:
            supervisors[place] = supervisors_for_area(*place)
        people += supervisors[place]
    return people
