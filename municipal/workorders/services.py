"""Creating work orders and moving them through their life. Flushes, never commits.

Who may do what: supervisors and admins create, assign, accept, send back and cancel, within
their areas of responsibility; the assignee (or any member of the assigned team) starts, holds,
resumes and completes. Every change is written to the audit trail; assignment and send-back
notify the people concerned, completion the supervisors who review it. Many at once: bulk.py.
"""
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from .. import clock, datebounds
from ..assets import lookup
from ..assets.models import Asset
from ..audit.services import record, record_many
from ..auth.models import Team, User
from ..auth.scope import require_supervisor
from ..db import as_id, utcnow
from ..errors import Conflict, PermissionDenied, ValidationError
from ..extensions import db
from ..notify import webhooks
from ..notify.services import district_supervisors, notify, supervisors_for_area
from . import assignment, checklists, states
from .access import assignee, get_work_order, may_act
from .amounts import minutes, yuan
from .models import ChecklistTemplate, WorkOrder

# Work due "on" a day is due by the end of that working day, in the district's clock.
END_OF_WORKING_DAY = time(18, 0)


def due_on_day(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, END_OF_WORKING_DAY, tz).astimezone(timezone.utc)


def due_problem(due_at: datetime | None) -> str | None:
    """Why a due date a person or a rule gives cannot be kept, or None."""
    if due_at is None:
        return None
    try:
        datebounds.check(due_at, clock.today(), zone=ZoneInfo(current_app.config["TIMEZONE"]))
    except datebounds.OutOfRange as problem:
        return _(problem.template, **problem.params)
    return None


def sla_due(priority: str, now: datetime) -> datetime:
    return now + timedelta(hours=current_app.config["WORK_ORDER_SLA_HOURS"][priority])


def create_work_order(actor, *, asset_id, kind: str, title: str, description: str = "", priority: str = "normal",
                      due_at: datetime | None = None, source: str = "manual", assignee_user_id=None,
                      assignee_team_id=None, checklist_template_id=None, citizen_report_id=None,
                      parent_id=None) -> WorkOrder:
    errors = {}
    try:
        asset = lookup.find_asset(asset_id)
    except lookup.NO_FACILITY:
        asset, errors["asset"] = None, _("no such facility")
    if kind not in states.KINDS:
        errors["kind"] = _("unknown kind of work")
    if source not in states.SOURCES:
        errors["source"] = _("unknown source")
    if priority not in states.PRIORITIES:
        errors["priority"] = _("unknown priority")
    title = (title or "").strip()
    if not title or len(title) > 200:
        errors["title"] = _("a title of 1 to 200 characters is required")
    now = utcnow()
    # People set due dates ahead; the calendar makes work for obligations already overdue, with their real date.
    if problem := due_problem(due_at):
        errors["due_at"] = problem
    elif due_at is not None and source in ("manual", "citizen") and due_at < now - timedelta(days=1):
        errors["due_at"] = _("the due date lies in the past")
    if errors:
        raise ValidationError(_("The work order was not created."), errors)
    # Findings and calendar rules make work on their own; people need the supervisor's rights.
    if source not in ("calendar", "finding"):
        require_supervisor(actor, asset)
    user, team = assignee(assignee_user_id, assignee_team_id, asset)
    target = None
    if user is None and team is None and source in assignment.AUTO_SOURCES:
        target = assignment.decide_one(asset, kind)
        user = db.session.get(User, target.user_id) if target.user_id else None
        team = db.session.get(Team, target.team_id) if target.team_id else None
    template = _template(checklist_template_id, asset, kind)
    order = WorkOrder(
        kind=kind, asset=asset, title=title, description=(description or "").strip(), priority=priority,
        due_at=due_at or sla_due(priority, now), source=source, status="assigned" if (user or team) else "new",
        assignee_user=user, assignee_team=team, checklist_template=template,
        citizen_report_id=citizen_report_id, parent_id=parent_id,
        assigned_by=target.basis if target else "", assignment_rule_id=target.rule_id if target else None,
        created_by_id=actor.id if getattr(actor, "is_authenticated", False) else None,
    )
    db.session.add(order)
    db.session.flush()
    record(actor, "work_order", order.id, "create", {
        "kind": [None, kind], "title": [None, title], "asset": [None, asset.id], "priority": [None, priority],
        "due_at": [None, order.due_at.isoformat()], "status": [None, order.status],
        **({"assigned_by": [None, target.basis]} if target and target.basis else {}),
    })
    if user or team:
        notify_assigned(order)
    return order


NO_CHECKLIST = "none"


def create_many_from_calendar(rows: list[dict]) -> list[int]:
    """Work orders the calendar makes in bulk (tens of thousands when a district is first planned): one
    insert for all and one audit entry each, chained in one statement. Each row holds asset (an Asset),
    kind, title, description, priority, due_at and with_checklist; returns the ids in the rows' order."""
    if not rows:
        return []
    now = utcnow()
    templates: dict = {}
    values = []
    targets = assignment.decide_many([(row["asset"].id, row["asset"].area_id, row["asset"].type, row["kind"])
                                      for row in rows])
    for row, target in zip(rows, targets):
        asset = row["asset"]
        template_id = None
        if row["with_checklist"]:
            key = (asset.type, row["kind"])
            if key not in templates:
                template = checklists.template_for(asset.type, row["kind"])
                templates[key] = template.id if template is not None else None
            template_id = templates[key]
        values.append({
            "kind": row["kind"], "asset_id": asset.id, "title": row["title"][:200], "description": row["description"],
            "priority": row["priority"], "due_at": row["due_at"], "source": "calendar",
            "status": "assigned" if (target.user_id or target.team_id) else "new",
            "assignee_user_id": target.user_id, "assignee_team_id": target.team_id,
            "assigned_by": target.basis, "assignment_rule_id": target.rule_id, "checklist_template_id": template_id,
            "citizen_report_id": None, "parent_id": None, "reason": "", "time_spent_min": None, "cost_yuan": None,
            "created_by_id": None, "created_at": now, "updated_at": now, "started_at": None, "completed_at": None,
            "closed_at": None, "version": 1,
        })
    # render_nulls: rows with and without an assignee stay in one batch. Without it the ORM splits the insert
    # wherever the set of None values changes, and a district's orders become thousands of statements.
    ids = list(db.session.scalars(sa.insert(WorkOrder).returning(WorkOrder.id, sort_by_parameter_order=True)
                                  .execution_options(render_nulls=True), values))
    record_many(None, "work_order", "create", [
        (order_id, {"kind": [None, row["kind"]], "title": [None, row["title"]], "asset": [None, row["asset_id"]],
                    "priority": [None, row["priority"]], "due_at": [None, row["due_at"].isoformat()],
                    "status": [None, row["status"]], "source": [None, "calendar"],
                    **({"assigned_by": [None, row["assigned_by"]]} if row["assigned_by"] else {})})
        for order_id, row in zip(ids, values)])
    return ids


def _template(template_id, asset: Asset, kind: str) -> ChecklistTemplate | None:
    """The chosen checklist; by default the one for this type of facility and kind of work."""
    if template_id in (None, ""):
        return checklists.template_for(asset.type, kind)
    if template_id == NO_CHECKLIST:
        return None
    template = db.session.get(ChecklistTemplate, as_id(template_id)) if as_id(template_id) else None
    if template is None or not template.active or template.asset_type not in (asset.type, "*"):
        raise ValidationError(_("The work order was not created."),
                              {"checklist_template": _("not a current checklist for this type of facility")})
    return template


def update_work_order(actor, order_id, *, version, title: str, description: str, priority: str,
                      due_at: datetime | None) -> WorkOrder:
    """Change what an open work order asks for. A stale `version` is a Conflict with the current state,
    so a second supervisor never overwrites what the first saved."""
    order = get_work_order(actor, order_id)
    require_supervisor(actor, order)
    check_version(order, version)
    if order.status not in states.OPEN:
        raise Conflict(_("A work order that is %(status)s cannot be changed.", status=_(states.STATUSES[order.status])),
                       {"status": _("not possible now")}, current=snapshot(order))
    errors = {}
    title = (title or "").strip()
    if not title or len(title) > 200:
        errors["title"] = _("a title of 1 to 200 characters is required")
    if priority not in states.PRIORITIES:
        errors["priority"] = _("unknown priority")
    if problem := due_problem(due_at):
        errors["due_at"] = problem
    elif due_at is not None and due_at < utcnow() - timedelta(days=1) and due_at != order.due_at:
        errors["due_at"] = _("the due date lies in the past")
    if errors:
        raise ValidationError(_("The work order was not changed."), errors)
    after = {"title": title, "description": (description or "").strip(), "priority": priority,
             "due_at": due_at or order.due_at}
    changes = {field: [getattr(order, field), value] for field, value in after.items() if getattr(order, field) != value}
    for field, (_old, value) in changes.items():
        setattr(order, field, value)
    db.session.flush()
    if changes:
        record(actor, "work_order", order.id, "update", changes)
    return order


def check_version(order: WorkOrder, version) -> None:
    try:
        expected = int(version)
    except (TypeError, ValueError):
        raise ValidationError(_("The form is missing its version."), {"version": _("required")}) from None
    if expected != order.version:
        raise Conflict(
            _("Someone else changed this work order in the meantime; here is its current state."),
            {"version": _("stale")}, current=snapshot(order),
        )


def snapshot(order: WorkOrder) -> dict:
    return order.conflict_state()


def act(actor, order_id, action: str, *, version, reason: str = "", time_spent_min=None, cost_yuan=None,
        assignee_user_id=None, assignee_team_id=None, checklist_done: bool = False) -> WorkOrder:
    """One move of the state machine, checked: the action must exist, fit the status and the actor.

    Work with a checklist is completed only by submitting the checklist (inspections.services.submit,
    which says so with `checklist_done`).
    """
    order = get_work_order(actor, order_id)
    spec = states.ACTIONS.get(action)
    if spec is None:
        raise ValidationError(_("Unknown action."), {"action": _("unknown")})
    check_version(order, version)
    if spec.by == "supervisor":
        require_supervisor(actor, order)
    elif not may_act(actor, order, spec):
        raise PermissionDenied(_("Only the assignee may do this."))
    try:
        target = states.move(action, order.status)
    except states.IllegalMove:
        raise Conflict(
            _("A work order that is %(status)s cannot be moved with “%(action)s”.",
              status=_(states.STATUSES[order.status]), action=_(spec.label)),
            {"action": _("not possible now")}, current=snapshot(order),
        ) from None
    reason = (reason or "").strip()
    if spec.needs_reason and not reason:
        raise ValidationError(_("Please give a reason."), {"reason": _("required")})
    changes = {"status": [order.status, target]}
    now = utcnow()
    if action == "assign":
        user, team = assignee(assignee_user_id, assignee_team_id, order.asset)
        if user is None and team is None:
            raise ValidationError(_("Choose a person or a team."), {"assignee_user": _("required")})
        changes["assignee"] = [_assignee_label(order.assignee_user, order.assignee_team), _assignee_label(user, team)]
        order.assignee_user, order.assignee_team = user, team
        order.assigned_by, order.assignment_rule_id = "", None
    if action == "start" and order.started_at is None:
        order.started_at = now
    if action == "complete":
        if order.checklist_template_id is not None and not checklist_done:
            raise ValidationError(_("Fill in the checklist to complete this work."),
                                  {"checklist": _("not submitted")})
        spent = minutes(time_spent_min)
        changes["time_spent_min"] = [order.time_spent_min, spent]
        order.time_spent_min, order.completed_at = spent, now
        cost = yuan(cost_yuan)
        if cost is not None or order.cost_yuan is not None:
            # As text: the audit trail is JSON, and a float would not keep the fen exact.
            changes["cost_yuan"] = [_text(order.cost_yuan), _text(cost)]
        order.cost_yuan = cost
    if action in ("accept", "cancel"):
        order.closed_at = now
    if reason:
        changes["reason"] = [order.reason or None, reason]
        order.reason = reason[:500]
    order.status = target
    db.session.flush()
    record(actor, "work_order", order.id, action, changes)
    if action == "assign":
        notify_assigned(order)
    if action == "send_back":
        _notify(order, "sent_back", {"number": order.number, "title": order.title, "reason": reason})
    if action == "complete":
        _notify_submitted(order)
    return order


def cancel_by_system(order: WorkOrder, reason: str) -> WorkOrder:
    """Cancel on the platform's own authority (a patrol whose day has passed), written to the audit trail."""
    target = states.move("cancel", order.status)
    changes = {"status": [order.status, target], "reason": [order.reason or None, reason]}
    order.status, order.reason, order.closed_at = target, reason[:500], utcnow()
    db.session.flush()
    record(None, "work_order", order.id, "cancel", changes)
    return order


# Ids per IN list: well under the bound parameters SQLite and PostgreSQL take in one statement.
ID_CHUNK = 5000


def cancel_many_by_system(order_ids: list[int], reason: str) -> int:
    """cancel_by_system for many open work orders at once (a day's missed patrols across the district)."""
    now, cancelled = utcnow(), 0
    for first in range(0, len(order_ids), ID_CHUNK):
        chunk = order_ids[first:first + ID_CHUNK]
        rows = db.session.execute(sa.select(WorkOrder.id, WorkOrder.status, WorkOrder.reason)
                                  .where(WorkOrder.id.in_(chunk), WorkOrder.status.in_(states.OPEN))).all()
        if not rows:
            continue
        db.session.execute(sa.update(WorkOrder).where(WorkOrder.id.in_([row.id for row in rows]))
                           .values(status="cancelled", reason=reason[:500], closed_at=now, updated_at=now,
                                   version=WorkOrder.version + 1).execution_options(synchronize_session=False))
        record_many(None, "work_order", "cancel", [
            (row.id, {"status": [row.status, "cancelled"], "reason": [row.reason or None, reason]}) for row in rows])
        cancelled += len(rows)
    return cancelled


def make_urgent_by_system(order_ids: list[int]) -> list[int]:
    """Raise open work orders to urgent on the platform's own authority (overdue high-risk work), written
    to the audit trail; the ids of those raised (the others were urgent already, or closed)."""
    now, raised = utcnow(), []
    for first in range(0, len(order_ids), ID_CHUNK):
        chunk = order_ids[first:first + ID_CHUNK]
        rows = db.session.execute(sa.select(WorkOrder.id, WorkOrder.priority).where(
            WorkOrder.id.in_(chunk), WorkOrder.status.in_(states.OPEN), WorkOrder.priority != "urgent")).all()
        if not rows:
            continue
        db.session.execute(sa.update(WorkOrder).where(WorkOrder.id.in_([row.id for row in rows]))
                           .values(priority="urgent", updated_at=now, version=WorkOrder.version + 1)
                           .execution_options(synchronize_session=False))
        record_many(None, "work_order", "update", [(row.id, {"priority": [row.priority, "urgent"]}) for row in rows])
        raised += [row.id for row in rows]
    return raised


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"


def _assignee_label(user, team) -> str | None:
    if user is not None:
        return user.display_name or user.username
    return team.name if team is not None else None


def _recipients(order: WorkOrder) -> list[User]:
    if order.assignee_user is not None:
        return [order.assignee_user]
    return list(order.assignee_team.members) if order.assignee_team is not None else []


def robot_teams(user, team) -> list:
    """The teams whose group robot hears of work given to this person or team: the team, or the person's."""
    if team is not None:
        return [team]
    return list(user.teams) if user is not None else []


def _notify(order: WorkOrder, kind: str, params: dict) -> None:
    notify(_recipients(order), kind, params, f"/work/{order.id}")
    webhooks.queue(robot_teams(order.assignee_user, order.assignee_team), kind, params, f"/work/{order.id}")


def _notify_submitted(order: WorkOrder) -> None:
    """The supervisors who answer for the facility's area and type review what was done."""
    asset = order.asset
    reviewers = (supervisors_for_area(asset.area_id, asset.type) if asset.area_id is not None
                 else district_supervisors())
    params = {"number": order.number, "title": order.title}
    notify(reviewers, "submitted", params, f"/work/{order.id}", dedupe_key=f"submitted:wo:{order.id}:{order.version}")
    webhooks.queue(robot_teams(order.assignee_user, order.assignee_team), "submitted", params, f"/work/{order.id}")


def notify_assigned(order: WorkOrder) -> None:
    _notify(order, "assigned", {"number": order.number, "title": order.title})
