"""我来处理: a crew member at a facility, having scanned its label, takes on its work there. Flushes, never commits.

Two ways, both for people who may be given work (crew, supervisors) and who work where the facility is:
- take an open work order of the facility that is not yet theirs: one given to a team of theirs (a crew
  member may make it their own), or, for a supervisor, any in their areas (they could assign it anyway);
- start a new inspection of it: an inspection work order with the facility's checklist, theirs at once, due
  today, for a visit nobody planned (a patrol passing by, a neighbour's call).
"""
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import clock
from ..assets import lookup
from ..assets.models import Asset
from ..audit.services import record
from ..auth.scope import Scope, may_do_work, works_at
from ..errors import Conflict, PermissionDenied
from ..extensions import db
from . import checklists
from .access import get_work_order, is_supervisor
from .models import WorkOrder
from .services import check_version, notify_assigned, due_on_day

# Work that can still change hands: once started, it is the starter's.
TAKEABLE = ("new", "assigned")


@dataclass(frozen=True)
class HandleHere:
    """What the facility page's 我来处理 offers: the work the person may take, and whether they may start a
    new inspection."""
    takeable: list
    may_inspect: bool


def may_work_here(actor, asset: Asset) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False) and may_do_work(actor) \
        and Scope.of(actor).allows(asset) and works_at(actor, asset)


def may_take(actor, order: WorkOrder) -> bool:
    if order.status not in TAKEABLE or order.assignee_user_id == actor.id or not may_work_here(actor, order.asset):
        return False
    if is_supervisor(actor):
        return Scope.of(actor).allows(order)
    return order.assignee_user_id is None and order.assignee_team_id in Scope.of(actor).team_ids


def handle_here(actor, asset: Asset) -> HandleHere | None:
    """The section's content for `actor` at `asset`, or None when they may do nothing there."""
    if not may_work_here(actor, asset):
        return None
    query = (sa.select(WorkOrder).where(WorkOrder.asset_id == asset.id, WorkOrder.status.in_(TAKEABLE),
                                        Scope.of(actor).clause(WorkOrder))
             .order_by(WorkOrder.due_at, WorkOrder.id).limit(20))
    takeable = [order for order in db.session.scalars(query) if may_take(actor, order)]
    return HandleHere(takeable=takeable, may_inspect=True)


def take(actor, order_id, *, version) -> WorkOrder:
    """Make an open work order of a team of the actor's (or, for a supervisor, of their areas) the actor's own."""
    order = get_work_order(actor, order_id)
    check_version(order, version)
    if order.status not in TAKEABLE:
        raise Conflict(_("This work is already under way or closed; it cannot be taken."),
                       {"status": _("not possible now")}, current=order.conflict_state())
    if not may_take(actor, order):
        raise PermissionDenied(_("You may not take this work."))
    before = order.assignee_user.username if order.assignee_user else (order.assignee_team.name if order.assignee_team
                                                                        else None)
    order.assignee_user, order.assignee_team = actor, None
    changes = {"assignee": [before, actor.username]}
    if order.status != "assigned":
        changes["status"] = [order.status, "assigned"]
        order.status = "assigned"
    db.session.flush()
    record(actor, "work_order", order.id, "assign", changes)
    return order


def start_inspection(actor, asset_id) -> WorkOrder:
    """A new inspection of the facility, the actor's, with its checklist, due at the end of today."""
    asset = lookup.visible_asset(actor, asset_id)
    if not may_work_here(actor, asset):
        raise PermissionDenied(_("You may not start work at this facility."))
    # Written in the district's language, as the work the calendar makes: the supervisors read it there.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        title = _("On-site inspection")
    tz = clock.zone()
    order = WorkOrder(
        kind="inspection", asset=asset, title=title, priority="normal", source="field", status="assigned",
        due_at=due_on_day(clock.today(), tz), assignee_user=actor,
        checklist_template=checklists.template_for(asset.type, "inspection"), created_by_id=actor.id,
    )
    db.session.add(order)
    db.session.flush()
    record(actor, "work_order", order.id, "create", {
        "kind": [None, "inspection"], "title": [None, title], "asset": [None, asset.id], "source": [None, "field"],
        "status": [None, "assigned"], "assignee": [None, actor.username],
    })
    notify_assigned(order)
    return order
