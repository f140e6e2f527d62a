"""Work order pages: the supervisors' board, a work order, creating and assigning, and the crew's own work."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import (Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from .. import paging, sections
from ..assets.forms import options
from ..assets import lookup
from ..assets.models import Asset
from ..assets.queries import area_choices
from ..assets.types import TYPES
from ..boundary import discard_changes
from ..db import utcnow
from ..errors import DomainError, ValidationError
from ..permissions import roles, signed_in
from . import access, bulk, checklists, lists, notes, services, states, taking
from . import export as export_csv
from .forms import ActionForm, BulkAssignForm, CommentForm, EditWorkOrderForm, WorkOrderForm

bp = Blueprint("workorders", __name__)


def _people_choices():
    return options([("", "—")] + [(str(user_id), name) for user_id, name in access.assignable_people(current_user)])


def _team_choices():
    return options([("", "—")] + [(str(team_id), name) for team_id, name in access.assignable_teams(current_user)])


def _fill_assignees(form) -> None:
    form.assignee_user.choices = _people_choices()
    form.assignee_team.choices = _team_choices()


def _row_labels() -> dict:
    """The words of the list rows in the reader's language, translated once per page instead of once per row."""
    return {"kinds": {key: _(label) for key, label in states.KINDS.items()},
            "priorities": {key: _(label) for key, label in states.PRIORITIES.items()},
            "statuses": {key: _(label) for key, label in states.STATUSES.items()},
            "sources": {key: _(label) for key, label in states.SOURCES.items()},
            "asset_types": {key: _(asset_type.label) for key, asset_type in TYPES.items()},
            "overdue": _("overdue")}


def _checklist_choices():
    locale = str(get_locale())
    return options([("", _("The facility type's own checklist")), (services.NO_CHECKLIST, _("No checklist"))]
                   + [(str(t.id), t.name(locale)) for t in checklists.active_templates()])


def _filters() -> lists.BoardFilters:
    args = request.args
    return lists.BoardFilters(kind=args.get("kind", ""), area=args.get("area", ""), team=args.get("team", ""),
                                 priority=args.get("priority", ""), source=args.get("source", ""),
                                 status=args.get("status", "open"), asset=args.get("asset", ""),
                                 asset_type=args.get("asset_type", ""))


def _after():
    raw = request.args.get("after", "")
    return paging.decode(raw, (datetime, int)) if raw else None


@bp.route("/work")
@signed_in
def board():
    filters = _filters()
    after = _after()
    rows, next_after = lists.board_page(current_user, filters, after, current_app.config["BOARD_PAGE_SIZE"])
    # The pick-lists as plain pairs, written by the template's own loops: a form widget per option costs more
    # than the rows of the page together.
    teams = [(str(team_id), name) for team_id, name in access.assignable_teams(current_user)]
    people = ([(str(user_id), name) for user_id, name in access.assignable_people(current_user)]
              if access.is_supervisor(current_user) else [])
    now = utcnow()
    return render_template(
        "workorders/board.html", rows=rows, filters=filters, after=after, form=BulkAssignForm(), now=now,
        kinds=states.FIELD_KINDS,
        next_after=paging.encode(next_after),
        areas=area_choices(str(get_locale())), teams=teams, people=people, states=states, labels=_row_labels(),
    )


@bp.route("/work/summary")
@signed_in
def summary():
    """The board's counts for its filters, with their words in the reader's language, for board.js."""
    counts = lists.board_summary(current_user, _filters(), utcnow())
    return jsonify({**counts, "words": {
        "match": _("%(count)s work orders match", count=counts["total"]),
        "overdue": _("%(count)s overdue", count=counts["overdue"]) if counts["overdue"] else "",
        "select": _("Select all %(count)s matching work orders", count=counts["total"])}})


@bp.route("/work/mine")
@signed_in
def mine():
    now = utcnow()
    work = lists.my_work(current_user, now, ZoneInfo(current_app.config["TIMEZONE"]),
                         days_ahead=int(current_app.config.get("FIELD_PACK_DAYS", 7)))
    return render_template("workorders/mine.html", work=work, now=now, states=states, labels=_row_labels())


def _asset_from(text: str) -> Asset | None:
    try:
        return lookup.find_asset(text)
    except lookup.NO_FACILITY:
        return None


@bp.route("/work/new", methods=["GET", "POST"])
@roles("admin", "supervisor")
def new():
    form = WorkOrderForm(asset=request.args.get("asset", ""))
    _fill_assignees(form)
    form.checklist.choices = _checklist_choices()
    errors = {}
    if form.validate_on_submit():
        asset = _asset_from(form.asset.data)
        due_at = (services.due_on_day(form.due_on.data, ZoneInfo(current_app.config["TIMEZONE"]))
                  if form.due_on.data else None)
        try:
            if asset is None:
                raise ValidationError(_("The work order was not created."), {"asset": _("no such facility")})
            order = services.create_work_order(
                current_user, asset_id=asset.id, kind=form.kind.data, title=form.title.data,
                description=form.description.data, priority=form.priority.data, due_at=due_at,
                assignee_user_id=form.assignee_user.data or None, assignee_team_id=form.assignee_team.data or None,
                checklist_template_id=form.checklist.data or None,
            )
            flash(_("Work order %(number)s created.", number=order.number), "info")
            return redirect(url_for("workorders.detail", order_id=order.id))
        except DomainError as error:
            flash(error.message, "error")
            errors = error.fields or {}
    elif form.errors:
        errors = {name: "; ".join(map(str, problems)) for name, problems in form.errors.items()}
    status = 422 if errors or form.errors else 200
    return render_template("workorders/new.html", form=form, errors=errors), status


@bp.route("/work/<int:order_id>/edit", methods=["GET", "POST"])
@roles("admin", "supervisor")
def edit(order_id: int):
    order = access.get_work_order(current_user, order_id)
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    form = EditWorkOrderForm(obj=order, due_on=order.due_at.astimezone(tz).date())
    errors, status = {}, 200
    if form.validate_on_submit():
        # An unchanged day keeps the exact due time, which need not be the end of the working day.
        day = form.due_on.data
        due_at = services.due_on_day(day, tz) if day and day != order.due_at.astimezone(tz).date() else None
        try:
            services.update_work_order(current_user, order_id, version=form.version.data, title=form.title.data,
                                       description=form.description.data, priority=form.priority.data, due_at=due_at)
            flash(_("Work order %(number)s saved.", number=order.number), "info")
            return redirect(url_for("workorders.detail", order_id=order_id), 303)
        except DomainError as error:
            # A 409 shows the work order as stored, with the version to save over it knowingly.
            discard_changes()
            if error.status in (403, 404):
                raise
            flash(error.message, "error")
            errors, status = error.fields or {}, error.status
            if error.status == 409:
                order = access.get_work_order(current_user, order_id)
                form = EditWorkOrderForm(formdata=None, obj=order, due_on=order.due_at.astimezone(tz).date())
    elif form.errors:
        errors, status = {name: "; ".join(map(str, problems)) for name, problems in form.errors.items()}, 422
    return render_template("workorders/edit.html", order=order, form=form, errors=errors), status


@bp.route("/work/<int:order_id>")
@signed_in
def detail(order_id: int):
    return _detail_page(access.get_work_order(current_user, order_id))


def _detail_page(order, status: int = 200):
    # Never from the request: after a refused move the page offers the current version, not the one sent.
    form = ActionForm(formdata=None, version=order.version)
    _fill_assignees(form)
    # Completing goes through the record page, where the checklist, photos and position are taken.
    actions = [a for a in states.available(order.status)
               if a.name != "complete" and access.may_act(current_user, order, a)]
    may_record = (order.status in ("assigned", "in_progress") and current_user.role != "viewer"
                  and access.may_act(current_user, order, states.ACTIONS["complete"]))
    return render_template("workorders/detail.html", order=order, form=form, actions=actions, may_record=may_record,
                           comment_form=CommentForm(), now=utcnow(), states=states,
                           sections=sections.collect("work_order", current_user, order, request.args)), status


@bp.route("/work/<int:order_id>/<action>", methods=["POST"])
@signed_in
def act(order_id: int, action: str):
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
        return redirect(url_for("workorders.detail", order_id=order_id))
    try:
        order = services.act(
            current_user, order_id, action, version=form.version.data, reason=form.reason.data,
            time_spent_min=request.form.get("time_spent_min"), cost_yuan=request.form.get("cost_yuan"),
            assignee_user_id=form.assignee_user.data or None, assignee_team_id=form.assignee_team.data or None,
        )
        flash(_("Work order %(number)s: %(status)s.", number=order.number, status=_(states.STATUSES[order.status])),
              "info")
    except DomainError as error:
        # Answered with the work order as stored, or a redirect: a success the boundary would commit.
        discard_changes()
        if error.status in (403, 404):
            raise
        problems = "; ".join(f"{k}: {v}" for k, v in (error.fields or {}).items())
        flash(f"{error.message} {problems}".strip(), "error")
        if error.status == 409:
            # The page as it is now, answered as the conflict it is: the move can be made again knowingly.
            return _detail_page(access.get_work_order(current_user, order_id), 409)
    return redirect(url_for("workorders.detail", order_id=order_id), 303)


def _to_work(order):
    """Where work just taken on goes on: its record form when it has a checklist, else the work order."""
    if order.checklist_template_id is not None:
        return redirect(url_for("inspections.record", order_id=order.id), 303)
    return redirect(url_for("workorders.detail", order_id=order.id), 303)


@bp.route("/work/<int:order_id>/take", methods=["POST"])
@roles("supervisor", "crew")
def take(order_id: int):
    """我来处理 on the facility page: make open work of a team of mine my own, and go and do it."""
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
        return redirect(url_for("workorders.detail", order_id=order_id), 303)
    try:
        order = taking.take(current_user, order_id, version=form.version.data)
    except DomainError as error:
        discard_changes()
        if error.status in (403, 404):
            raise
        flash(error.message, "error")
        return redirect(url_for("workorders.detail", order_id=order_id), 303)
    flash(_("Work order %(number)s is yours now.", number=order.number), "info")
    return _to_work(order)


@bp.route("/assets/<int:asset_id>/inspect", methods=["POST"])
@roles("supervisor", "crew")
def start_inspection(asset_id: int):
    """我来处理 on the facility page: a new inspection of this facility, mine, opened at its record form."""
    if not FlaskForm().validate_on_submit():  # the CSRF token only
        flash(_("The form has expired; please try again."), "error")
        return redirect(url_for("assets.detail", asset_id=asset_id), 303)
    order = taking.start_inspection(current_user, asset_id)
    flash(_("Work order %(number)s is yours now.", number=order.number), "info")
    return _to_work(order)


@bp.route("/work/<int:order_id>/comments", methods=["POST"])
@signed_in
def comment(order_id: int):
    form = CommentForm()
    if form.validate_on_submit():
        try:
            notes.add_comment(current_user, order_id, form.body.data)
        except DomainError as error:
            # Answered with a redirect, a success the boundary would commit.
            discard_changes()
            if error.status in (403, 404):
                raise
            flash(error.message, "error")
    return redirect(url_for("workorders.detail", order_id=order_id), 303)


@bp.route("/work/<int:order_id>/attachments", methods=["POST"])
@roles("admin", "supervisor", "crew")
def attach(order_id: int):
    form = CommentForm()
    if not form.validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
    else:
        upload = request.files.get("file")
        try:
            notes.add_attachment(current_user, order_id, upload, upload.filename if upload else "")
            flash(_("Attached."), "info")
        except DomainError as error:
            # Answered with a redirect, a success the boundary would commit.
            discard_changes()
            if error.status in (403, 404):
                raise
            flash(error.message, "error")
    return redirect(url_for("workorders.detail", order_id=order_id), 303)


FILTER_FIELDS = tuple(lists.BoardFilters.__dataclass_fields__)


def _selection() -> bulk.Selection:
    """The ticked work orders, or with `all_matching` every one the board's filters (sent as filter_*) select."""
    form = request.form
    if form.get("all_matching") == "1":
        return bulk.Selection(filters=lists.BoardFilters(**{name: form.get(f"filter_{name}", "")
                                                            for name in FILTER_FIELDS}))
    return bulk.Selection(ids=form.getlist("ids"))


@bp.route("/work/assign", methods=["POST"])
@roles("admin", "supervisor")
def bulk_assign():
    """Changes the selection after a confirmation: the first post answers with what would change and how
    many work orders; the confirmed one (confirm=1) changes them, all or none."""
    form = BulkAssignForm()
    _fill_assignees(form)
    selection = _selection()
    back = url_for("workorders.board", **({name: request.form.get(f"filter_{name}", "") for name in FILTER_FIELDS}
                                          if selection.all_matching else {}))
    if form.validate_on_submit():
        due_at = (services.due_on_day(form.due_on.data, ZoneInfo(current_app.config["TIMEZONE"]))
                  if form.due_on.data else None)
        change = bulk.Change(assignee_user_id=form.assignee_user.data or None,
                             assignee_team_id=form.assignee_team.data or None,
                             priority=form.priority.data or None, due_at=due_at)
        try:
            if request.form.get("confirm") != "1":
                count = bulk.preview(current_user, selection, change)
                return render_template("workorders/bulk_confirm.html", count=count, form=form, change=change,
                                       selection=selection, fields=FILTER_FIELDS, back=back,
                                       assignee=_assignee_name(form), labels=_row_labels())
            count = bulk.apply(current_user, selection, change)
            flash(_("%(count)s work orders changed.", count=count), "info")
        except DomainError as error:
            # Answered with a redirect, a success the boundary would commit.
            discard_changes()
            if error.status in (403, 404):
                raise
            problems = "; ".join(f"{v}" for v in (error.fields or {}).values())
            flash(f"{error.message} {problems}".strip(), "error")
    elif form.errors:
        # Besides the CSRF token, only the due date can fail to parse.
        flash(_("The form has expired; please try again.") if "csrf_token" in form.errors
              else _("The due date is not a valid date."), "error")
    return redirect(back, 303)


def _assignee_name(form) -> str:
    for field in (form.assignee_user, form.assignee_team):
        if field.data:
            return next((str(choice.label) for choice in field.choices if str(choice.value) == str(field.data)), "")
    return ""


@bp.route("/work/export.csv")
@roles("admin", "supervisor", "viewer")
def export():
    """The board's filtered view, every row of it, as a CSV file for Excel."""
    pieces = export_csv.csv_pieces(current_user, _filters(), _row_labels(), utcnow(),
                                   ZoneInfo(current_app.config["TIMEZONE"]))
    day = utcnow().astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime("%Y%m%d")
    return Response(stream_with_context(pieces), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="work-orders-{day}.csv"'})
