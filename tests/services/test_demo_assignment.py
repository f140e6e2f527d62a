"""On the demo district, the calendar's work lands on someone the moment it is made."""
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from municipal.auth.models import User
from municipal.db import utcnow
from municipal.workorders.models import WorkOrder, open_condition


def test_after_the_calendar_job_nearly_all_work_due_within_a_week_has_someone(db, demo_after_calendar):
    week = (sa.select(WorkOrder).where(open_condition(), WorkOrder.source == "calendar",
                                       WorkOrder.due_at <= utcnow() + timedelta(days=7)))
    due = db.session.scalars(week).all()
    assert len(due) >= 50
    placed = [order for order in due if order.assignee_user_id or order.assignee_team_id]
    assert len(placed) >= 0.95 * len(due)
    bases = Counter(order.assigned_by for order in due)
    # The demo crew member is the patrol person of 鼓山镇's reservoirs; the demo team covers the rest.
    crew = db.session.scalar(sa.select(User.id).where(User.username == "crew"))
    assert bases["patrol"] and all(o.assignee_user_id == crew for o in due if o.assigned_by == "patrol")
    assert bases["team"] > bases["supervisor"]
