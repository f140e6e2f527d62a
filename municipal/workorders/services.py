"""Creating work orders and moving them through their life. Flushes, never commits.

Who may do what: supervisors and admins create, assign, accept, send back and cancel, within
their areas of responsibility; the assignee (or any member of the assigned team) starts, holds,
resumes and completes. Every change is written to the audit trail; assignment and send-back
notify the people concerned.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from flask import current_app
from flask_babel import gettext as _

from .. import clock, datebounds, media
from ..assets.models import Area, Asset
from ..assets.types import TYPES
from ..audit.services import record, record_many
from ..auth.models import Team, User
from ..auth.scope import (
    WORKER_ROLES, Scope, may_do_work, require_supervisor, team_covers_area, team_covers_type, works_at,
)
from ..db import as_id, utcnow
from ..errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..extensions import db
from ..notify.services import notify
from . import checklists, states
from .models import ChecklistTemplate, WorkOrder, WorkOrderAttachment, WorkOrderComment, open_condition

SUPERVISOR_ROLES = ("admin", "supervisor")


def is_supervisor(actor) -> bool:
    return actor is not None and getattr(actor, "role", None) in SUPERVISOR_ROLES


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


def _assignee(user_id, team_id, asset: Asset) -> tuple[User | None, Team | None]:
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


def create_work_order(actor, *, asset_id, kind: str, title: str, description: str = "", priority: str = "normal",
                      due_at: datetime | None = None, source: str = "manual", assignee_user_id=None,
                      assignee_team_id=None, checklist_template_id=None, citizen_report_id=None,
                      parent_id=None) -> WorkOrder:
    errors = {}
    asset = db.session.get(Asset, as_id(asset_id)) if as_id(asset_id) else None
    if asset is None:
        errors["asset"] = _("no such facility")
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
    if source in ("manual", "citizen"):
        require_supervisor(actor, asset)
    user, team = _assignee(assignee_user_id, assignee_team_id, asset)
    template = _template(checklist_template_id, asset, kind)
    order = WorkOrder(
        kind=kind, asset=asset, title=title, description=(description or "").strip(), priority=priority,
        due_at=due_at or sla_due(priority, now), source=source, status="assigned" if (user or team) else "new",
        assignee_user=user, assignee_team=team, checklist_template=template,
        citizen_report_id=citizen_report_id, parent_id=parent_id,
        created_by_id=actor.id if getattr(actor, "is_authenticated", False) else None,
    )
    db.session.add(order)
    db.session.flush()
    record(actor, "work_order", order.id, "create", {
        "kind": [None, kind], "title": [None, title], "asset": [None, asset.id], "priority": [None, priority],
        "due_at": [None, order.due_at.isoformat()], "status": [None, order.status],
    })
    if user or team:
        _notify_assigned(order)
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
    for row in rows:
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
            "priority": row["priority"], "due_at": row["due_at"], "source": "calendar", "status": "new",
            "assignee_user_id": None, "assignee_team_id": None, "checklist_template_id": template_id,
            "citizen_report_id": None, "parent_id": None, "reason": "", "time_spent_min": None, "cost_yuan": None,
            "created_by_id": None, "created_at": now, "updated_at": now, "started_at": None, "completed_at": None,
            "closed_at": None, "version": 1,
        })
    ids = list(db.session.scalars(sa.insert(WorkOrder).returning(WorkOrder.id, sort_by_parameter_order=True), values))
    record_many(None, "work_order", "create", [
        (order_id, {"kind": [None, row["kind"]], "title": [None, row["title"]], "asset": [None, row["asset_id"]],
                    "priority": [None, row["priority"]], "due_at": [None, row["due_at"].isoformat()],
                    "status": [None, "new"], "source": [None, "calendar"]})
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
    _check_version(order, version)
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


def get_work_order(actor, order_id) -> WorkOrder:
    """The work order, if the actor may see it. One that exists but is not theirs (another team's work,
    another area's) is refused as such, a 403: the caller learns only that the number is taken."""
    order = db.session.get(WorkOrder, as_id(order_id)) if as_id(order_id) else None
    if order is None:
        raise NotFound(_("There is no work order %(id)s.", id=order_id))
    if not Scope.of(actor).allows(order):
        raise PermissionDenied(_("Work order %(id)s is not yours to see.", id=order_id))
    return order


def _check_version(order: WorkOrder, version) -> None:
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
    _check_version(order, version)
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
        user, team = _assignee(assignee_user_id, assignee_team_id, order.asset)
        if user is None and team is None:
            raise ValidationError(_("Choose a person or a team."), {"assignee_user": _("required")})
        changes["assignee"] = [_assignee_label(order.assignee_user, order.assignee_team), _assignee_label(user, team)]
        order.assignee_user, order.assignee_team = user, team
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
        _notify_assigned(order)
    if action == "send_back":
        _notify(order, "sent_back", {"number": order.number, "title": order.title, "reason": reason})
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


def minutes(value) -> int | None:
    """Time spent as whole minutes, or None when not given."""
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(_("The time spent is not valid."), {"time_spent_min": _("whole minutes")}) from None
    if not 0 <= number <= 60 * 24 * 30:
        raise ValidationError(_("The time spent is not valid."), {"time_spent_min": _("between 0 and 43200 minutes")})
    return number


# Numeric(12, 2): ten digits of yuan.
MAX_YUAN = Decimal("9999999999.99")


def yuan(value) -> Decimal | None:
    """A cost in yuan to the fen, or None when not given."""
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise ValidationError(_("The cost is not valid."), {"cost_yuan": _("a number of yuan")})
    if not 0 <= amount <= MAX_YUAN:
        raise ValidationError(_("The cost is not valid."), {"cost_yuan": _("between 0 and 9999999999.99 yuan")})
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"


def _assignee_label(user, team) -> str | None:
    if user is not None:
        return user.display_name or user.username
    return team.name if team is not None else None


def bulk_change(actor, order_ids: list, *, assignee_user_id=None, assignee_team_id=None, priority=None,
                due_at: datetime | None = None) -> int:
    """Assign many at once, set their priority, their due date, or any of these together; all or nothing
    (the caller rolls back on an error). Versions are not asked: the supervisor picked them just now."""
    if not order_ids:
        raise ValidationError(_("Select at least one work order."), {"ids": _("required")})
    assigning = assignee_user_id not in (None, "") or assignee_team_id not in (None, "")
    priority = priority or None
    errors = {}
    if priority is not None and priority not in states.PRIORITIES:
        errors["priority"] = _("unknown priority")
    if problem := due_problem(due_at):
        errors["due_at"] = problem
    elif due_at is not None and due_at < utcnow() - timedelta(days=1):
        errors["due_at"] = _("the due date lies in the past")
    if not (assigning or priority or due_at or errors):
        errors["assignee_user"] = _("choose an assignee, a priority or a due date")
    if errors:
        raise ValidationError(_("The selected work orders were not changed."), errors)
    orders = [get_work_order(actor, order_id) for order_id in dict.fromkeys(map(str, order_ids))]
    for order in orders:
        require_supervisor(actor, order)
        if order.status not in states.OPEN:
            raise Conflict(_("Work order %(number)s is %(status)s and cannot be changed; none was.",
                             number=order.number, status=_(states.STATUSES[order.status])),
                           {"ids": _("not possible now")}, current=snapshot(order))
        after = {"priority": priority or order.priority, "due_at": due_at or order.due_at}
        changes = {field: [getattr(order, field), value] for field, value in after.items()
                   if getattr(order, field) != value}
        if changes:
            for field, (_old, value) in changes.items():
                setattr(order, field, value)
            db.session.flush()
            record(actor, "work_order", order.id, "update", changes)
        if assigning:
            act(actor, order.id, "assign", version=order.version, assignee_user_id=assignee_user_id,
                assignee_team_id=assignee_team_id)
    return len(orders)


def add_comment(actor, order_id, body: str) -> WorkOrderComment:
    order = get_work_order(actor, order_id)
    if actor.role == "viewer":
        raise PermissionDenied(_("Viewers may not comment."))
    body = (body or "").strip()
    if not body or len(body) > 4000:
        raise ValidationError(_("The comment was not added."), {"body": _("1 to 4000 characters")})
    comment = WorkOrderComment(work_order_id=order.id, author_id=actor.id, body=body)
    db.session.add(comment)
    db.session.flush()
    record(actor, "work_order", order.id, "comment", {"comment": [None, body]})
    return comment


def add_attachment(actor, order_id, stream, filename: str) -> WorkOrderAttachment:
    """A photo (made upright and smaller, with a thumbnail) or a PDF, checked by content, not by name."""
    order = get_work_order(actor, order_id)
    if actor.role == "viewer":
        raise PermissionDenied(_("Viewers may not add attachments."))
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200] or "file"
    head = stream.read(5) if stream is not None else b""
    if stream is not None:
        stream.seek(0)
    folder = f"work_orders/{order.id}"
    if head == b"%PDF-":
        path, size = media.store_pdf(stream, folder)
        attachment = WorkOrderAttachment(work_order_id=order.id, filename=name, content_type="application/pdf",
                                         size_bytes=size, path=path, uploaded_by_id=actor.id)
    else:
        image = media.load_image(stream, field="file")
        path, thumb_path, _size = media.store_image(image, folder)
        size = (Path(current_app.config["MEDIA_DIR"]) / path).stat().st_size
        attachment = WorkOrderAttachment(work_order_id=order.id, filename=name, content_type="image/jpeg",
                                         size_bytes=size, path=path, thumb_path=thumb_path, uploaded_by_id=actor.id)
    db.session.add(attachment)
    db.session.flush()
    record(actor, "work_order", order.id, "attach", {"attachment": [None, name]})
    return attachment


def _recipients(order: WorkOrder) -> list[User]:
    if order.assignee_user is not None:
        return [order.assignee_user]
    return list(order.assignee_team.members) if order.assignee_team is not None else []


def _notify(order: WorkOrder, kind: str, params: dict) -> None:
    notify(_recipients(order), kind, params, f"/work/{order.id}")


def _notify_assigned(order: WorkOrder) -> None:
    _notify(order, "assigned", {"number": order.number, "title": order.title})


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
    """Open work the actor may see, overdue first (earliest due first), then by id."""
    query = sa.select(WorkOrder).join(Asset, Asset.id == WorkOrder.asset_id)
    status_condition = sa.true()
    if filters.status == "open":
        status_condition = open_condition()
    elif filters.status in states.STATUSES:
        status_condition = WorkOrder.status == filters.status
    query = query.where(status_condition)
    for field, column, choices in (("kind", WorkOrder.kind, states.KINDS), ("priority", WorkOrder.priority, states.PRIORITIES),
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


def board_page(actor, filters: BoardFilters, after: tuple[datetime, int] | None, size: int):
    """One page of the board by keyset (due_at, id): fast however many work orders there are."""
    query = board_query(actor, filters)
    if after is not None:
        due, last_id = after
        # A row value, not an OR of two comparisons: the index is entered at the key, not scanned up to it.
        query = query.where(sa.tuple_(WorkOrder.due_at, WorkOrder.id) > (due, last_id))
    rows = list(db.session.scalars(query.options(*_ROW_OPTIONS).order_by(WorkOrder.due_at, WorkOrder.id)
                                   .limit(size + 1)))
    next_after = (rows[size - 1].due_at, rows[size - 1].id) if len(rows) > size else None
    return rows[:size], next_after


MY_WORK_ROWS = 10


def my_work(actor, now: datetime, tz: ZoneInfo, days_ahead: int = 7, rows: int = MY_WORK_ROWS) -> dict:
    """A crew member's work: overdue, due by the end of today in the district's zone, and upcoming.

    Each part holds its most urgent `rows`; `counts` says how many there are in all, so a long backlog
    is announced, not dumped onto a phone (the board pages through all of it)."""
    end_of_day = now.astimezone(tz).replace(hour=23, minute=59, second=59).astimezone(now.tzinfo)
    horizon = end_of_day + timedelta(days=days_ahead)
    # Ids and due times only, for all of it: cheap even for a long backlog; whole rows for what is shown.
    condition = _assigned_to(actor, sa.and_(WorkOrder.status.in_(states.OPEN), WorkOrder.due_at <= horizon))
    keys = db.session.execute(sa.select(WorkOrder.id, WorkOrder.due_at).where(condition)
                              .order_by(WorkOrder.due_at, WorkOrder.id)).all()
    parts = {
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
