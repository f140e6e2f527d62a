"""Giving new work its assignee as it is made, and giving back the work of someone who stops working.

The decision is the people domain's (people/assignment.py); this module writes it on the work orders.
"""
import sqlalchemy as sa
from flask_babel import gettext as _

from ..audit.services import record_many
from ..auth.models import Team, User
from ..db import utcnow
from ..extensions import db
from ..people.assignment import Assigner, Target
from .models import WorkOrder

# Work the calendar (its rules and events) and citizens' reports make is assigned when it is made. A person's
# own work order, and the rectification a finding opens (the supervisor, notified, decides on the repair), wait
# for a person to assign them.
AUTO_SOURCES = ("calendar", "citizen")


def decide_many(rows: list[tuple[int, int | None, str, str]]) -> list[Target]:
    """A target for each (facility id, its area id, its type, kind of work): a few queries for all of them."""
    assigner = Assigner()
    assigner.load_patrols(asset_id for asset_id, _area, _type, _kind in rows)
    return [assigner.decide(*row) for row in rows]


def decide_one(asset, kind: str) -> Target:
    return decide_many([(asset.id, asset.area_id, asset.type, kind)])[0]


def release_work_of(actor, user: User) -> int:
    """The open work of a person who was deactivated (or may no longer be given work) goes back to their
    team's queue — the team of theirs covering the facility, else any of their teams — or, without a team, to
    whoever the rules and fallbacks give it to now. Work they have submitted is not theirs to do any more."""
    orders = list(db.session.scalars(sa.select(WorkOrder).where(
        WorkOrder.assignee_user_id == user.id, WorkOrder.status.in_(("new", "assigned", "in_progress", "on_hold")))
        .order_by(WorkOrder.id)))
    if not orders:
        return 0
    teams = [team for team in db.session.scalars(
        sa.select(Team).join(Team.members).where(User.id == user.id, Team.active.is_(True)).order_by(Team.id))]
    assigner = Assigner(leaving_out=user.id)
    assigner.load_patrols(order.asset_id for order in orders)
    entries, now = [], utcnow()
    for order in orders:
        team = _team_for(teams, order.asset)
        target = Target(None, team.id, "released") if team is not None else assigner.decide(
            order.asset_id, order.asset.area_id, order.asset.type, order.kind)
        before = order.assignee_user.display_name or order.assignee_user.username
        order.assignee_user_id, order.assignee_team_id = target.user_id, target.team_id
        order.assigned_by, order.assignment_rule_id = target.basis, target.rule_id
        if target.user_id is None and target.team_id is None:
            order.status = "new"
        order.updated_at = now
        entries.append((order.id, {"assignee": [before, _label(target)], "reason": [None, _(
            "The assignee no longer works on the platform.")]}))
    db.session.flush()
    record_many(actor, "work_order", "assign", entries)
    return len(orders)


def _team_for(teams: list[Team], asset) -> Team | None:
    covering = [team for team in teams if team.area is None or (
        asset.area is not None and asset.area.path.startswith(team.area.path))]
    return (covering or teams or [None])[0]


def _label(target: Target) -> str | None:
    if target.user_id is not None:
        user = db.session.get(User, target.user_id)
        return user.display_name or user.username
    return db.session.get(Team, target.team_id).name if target.team_id is not None else None
