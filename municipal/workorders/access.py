"""Who may do what with work orders: supervisors, the people and teams work may be given to, and which
work order an actor may see."""

import sqlalchemy as sa
from flask_babel import gettext as _

from ..assets.models import Asset
from ..auth.models import Team, User
from ..auth.scope import (
    WORKER_ROLES, Scope, may_do_work, team_covers_area, team_covers_type, works_at,
)
from ..db import as_id
from ..errors import NotFound, PermissionDenied, ValidationError
from ..extensions import db
from . import states
from .models import WorkOrder



SUPERVISOR_ROLES = ("admin", "supervisor")


def is_supervisor(actor) -> bool:
    return actor is not None and getattr(actor, "role", None) in SUPERVISOR_ROLES

def assignable_teams(actor) -> list[tuple[int, str]]:
    """(id, name) of the active teams the actor may give work to (see Scope.teams_clause)."""
    query = (sa.select(Team.id, Team.name).where(Team.active, Scope.of(actor).teams_clause())
             .order_by(Team.name))
    return [tuple(row) for row in db.session.execute(query)]


def assignable_people(actor) -> list[tuple[int, str]]:
    """(id, name) of the people who may do work (scope.may_do_work) that the actor may give it to."""
    query = (sa.select(User.id, User.display_name, User.username)
             .where(User.active, User.role.in_(WORKER_ROLES), Scope.of(actor).people_clause())
             .order_by(User.username))
    return [(user_id, display_name or username) for user_id, display_name, username in db.session.execute(query)]


def assignee(user_id, team_id, asset: Asset) -> tuple[User | None, Team | None]:
    """The person or team to assign, who must work where the facility is (and, for a team, on its type)."""
    errors = {}
    user = team = None
    if user_id not in (None, ""):
        number = _int(user_id, "assignee_user", errors)
        user = db.session.get(User, number) if number is not None else None
        if user is None and "assignee_user" not in errors:
            errors["assignee_user"] = _("no such user")
        elif user is not None and not user.active:
            errors["assignee_user"] = _("this account is disabled")
        elif user is not None and not may_do_work(user):
            errors["assignee_user"] = _("this person may not be given work")
    if team_id not in (None, ""):
        number = _int(team_id, "assignee_team", errors)
        team = db.session.get(Team, number) if number is not None else None
        if team is None and "assignee_team" not in errors:
            errors["assignee_team"] = _("no such team")
    if user is not None and team is not None:
        errors["assignee_user"] = _("assign a person or a team, not both")
    if user is not None and "assignee_user" not in errors:
        if not works_at(user, asset):
            errors["assignee_user"] = _("this person does not work in the facility's area")
    if team is not None and "assignee_team" not in errors:
        if not team_covers_area(team, asset):
            errors["assignee_team"] = _("this team does not work in the facility's area")
        elif not team_covers_type(team, asset):
            errors["assignee_team"] = _("this team does not look after this type of facility")
    if errors:
        raise ValidationError(_("The assignee is not valid."), errors)
    return user, team


def _int(value, field: str, errors: dict) -> int | None:
    number = as_id(value)
    if number is None:
        errors[field] = _("must be a number")
    return number


def may_act(actor, order: WorkOrder, action: states.Action) -> bool:
    """Whether the actor's role lets them make this move (areas are checked when it is made)."""
    if action.by == "supervisor":
        return is_supervisor(actor)
    return Scope.of(actor).is_assigned(order) or is_supervisor(actor)

def get_work_order(actor, order_id) -> WorkOrder:
    """The work order, if the actor may see it. One that exists but is not theirs (another team's work,
    another area's) is refused as such, a 403: the caller learns only that the number is taken."""
    order = db.session.get(WorkOrder, as_id(order_id)) if as_id(order_id) else None
    if order is None:
        raise NotFound(_("There is no work order %(id)s.", id=order_id))
    if not Scope.of(actor).allows(order):
        raise PermissionDenied(_("Work order %(id)s is not yours to see.", id=order_id))
    return order
