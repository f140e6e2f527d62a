"""Citizen report pages: the public form and status page, and the supervisors' triage."""
from contextlib import nullcontext

from pathlib import Path

from flask import (Blueprint, abort, current_app, flash, make_response, redirect, render_template, request,
                   send_from_directory, url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..assets import queries
from ..assets.identity import resolver
from .. import clock, paging
from ..boundary import discard_changes
from ..errors import DomainError, NotFound
from ..geo.tiles import tile_source
from ..permissions import public, roles
from ..security_headers import allowing_images_from
from ..workorders import access as work_access
from ..workorders.states import PRIORITIES
from . import device, followup, held, pin, rules, services
from .forms import AcceptForm, CloseForm, MergeForm, RateForm, ReplyForm, ReportForm
from .models import CATEGORIES, STATUSES

bp = Blueprint("intake", __name__)


def _pin_config() -> dict:
    """What the pin map of the form without a code needs: its background, the district and its words."""
    return {
        "tiles": tile_source(current_app.config["MAP_TILES"]), "bbox": list(current_app.config["DISTRICT_BBOX"]),
        "nearby": url_for("intake_api.nearby"),
        "words": {
            "located": _("Your position is on the map; drag the pin or tap the map to correct it."),
            "noPosition": _("The phone did not give its position; tap the map where the problem is."),
            "pinned": _("Pin dropped."), "none": _("No facility: report at this position"),
            "metres": _("%(n)s m away"), "failed": _("Nearby facilities could not be loaded."),
            "already": _("Already reported"), "progress": _("See its progress"),
            "join": _("I have seen it too: add my description and photo to %(number)s"),
        },
    }


def _send(form, asset, code, upload, kept, device_id):
    """The report the form describes, or the citizen's word added to the report they chose (我也遇到): the
    page the citizen goes to next."""
    common = dict(description=form.description.data or "", photo=upload or kept,
                  contact_name=form.contact_name.data or "", contact_phone=form.contact_phone.data or "",
                  lon=form.lon.data, lat=form.lat.data,
                  fingerprint=services.client_fingerprint(request.remote_addr or ""),
                  device=services.device_key(device_id))
    pinned = asset is None and code is None
    if pinned and form.join.data:
        report = pin.add_to(form.join.data, now=clock.now(), **common)
        flash(_("Thank you: what you saw was added to report %(number)s. Follow its progress here.",
                number=report.merged_into.number), "success")
        return redirect(url_for("intake.status", number=report.merged_into.number))
    asset_id = asset.id if asset is not None else None
    if pinned:
        asset_id = pin.chosen_facility(form.facility.data, form.lon.data, form.lat.data)
    report = services.submit_report(category=form.category.data or "", asset_id=asset_id, **common)
    return redirect(url_for("intake.sent", number=report.number))


def _report_form(asset, code: str | None):
    form = ReportForm()
    errors, status, held_token, response = {}, 200, "", None
    device_id = device.current()
    if form.validate_on_submit():
        upload = form.photo.data
        upload = upload if upload and upload.filename else None
        held_token = (form.held_photo.data or "").strip()
        kept = None if upload is not None else held.take(held_token)
        try:
            with kept or nullcontext():
                response = _send(form, asset, code, upload, kept, device_id)
            held.release(held_token)
        except DomainError as error:
            errors, status = error.fields, error.status
            flash(error.message, "error")
            if upload is not None and "photo" not in errors and status != 429:
                held.release(held_token)
                held_token = held.hold(upload, clock.now()) or ""
    if response is None:
        asset_type = asset.type if asset else None
        pin_config = _pin_config() if asset is None and code is None else None
        response = make_response(render_template(
            "intake/report_form.html", form=form, asset=asset, code=code, errors=errors, categories=CATEGORIES,
            category_keys=rules.categories_for(asset_type), placeholder=_(rules.placeholder_for(asset_type)),
            held_token=held_token if held.media_name(held_token) else "",
            held_photo=held.media_name(held_token), pin_config=pin_config), status)
        if pin_config and pin_config["tiles"]["hosts"]:
            response.headers["Content-Security-Policy"] = allowing_images_from(pin_config["tiles"]["hosts"])
    return response


# Decorators register bottom-up and url_for builds the first registered rule: /A/ stays last.
@bp.route("/a/<text>/report", methods=["GET", "POST"])
@bp.route("/A/<text>/report", methods=["GET", "POST"])
@public
def report_for_code(text: str):
    found = resolver.resolve(text, details=False)
    if found.kind in ("mistyped", "malformed", "unknown"):
        return render_template("scan/not_found.html", found=found), 404
    # A revoked label still names its facility; an unbound one names none, and the report goes to triage as is.
    return _report_form(found.asset, found.code.code)


@bp.route("/report", methods=["GET", "POST"])
@public
def report():
    return _report_form(None, None)


@bp.route("/report/sent/<number>")
@public
def sent(number: str):
    status = services.report_status(number)
    return render_template("intake/sent.html", report=status)


@bp.route("/report/status")
@public
def status():
    number = request.args.get("number", "").strip()
    if not number:
        return render_template("intake/status.html", report=None, number="")
    try:
            page = followup.citizen_page(number)
    except NotFound as error:
        return render_template("intake/status.html", report=None, number=number, error=error.message), 404
    return render_template("intake/status.html", report=page.status, page=page, number=page.status.number,
                           rate_form=RateForm())


@bp.route("/report/status/<number>/after.jpg")
@public
def after_photo(number: str):
    return _media(followup.public_photo(number, None, "after"))


@bp.route("/report/photo/<number>.jpg")
@public
def report_photo(number: str):
    return _media(followup.public_photo(number, request.args.get("s"), "report"))


@bp.route("/report/held/<day>/<token>.jpg")
@public
def held_photo(day: str, token: str):
    return _media(held.media_name(f"{day}/{token}"))


def _media(name: str | None):
    if name is None:
        abort(404)
    return send_from_directory(Path(current_app.config["MEDIA_DIR"]), name)


@bp.route("/report/status/<number>/rate", methods=["POST"])
@public
def rate(number: str):
    form = RateForm()
    if form.validate_on_submit():
        try:
            report = followup.rate(number, form.satisfaction.data or "")
            flash(_("Thank you. The supervisors will look at your report again.")
                  if report.status == "review" else _("Thank you for your answer."), "success")
        except DomainError as error:
            discard_changes()
            if error.status == 404:
                raise
            flash(error.message, "error")
    return redirect(url_for("intake.status", number=number))


def _after() -> int | None:
    return paging.id_position(request.args.get("after", ""))


@bp.route("/reports/triage")
@roles("admin", "supervisor")
def triage():
    filters = services.TriageFilters(status=request.args.get("status", ""), area=request.args.get("area", ""))
    after = _after()
    rows, next_after = services.triage_page(current_user, filters, after, current_app.config["PAGE_SIZE"])
    return render_template("intake/triage.html", rows=rows, filters=filters, after=after, next_after=next_after,
                           areas=queries.area_choices(str(get_locale())), categories=CATEGORIES,
                           report_statuses=STATUSES)


def _accept_form() -> AcceptForm:
    form = AcceptForm()
    form.priority.choices = [(key, _(label)) for key, label in PRIORITIES.items()]
    form.assignee_user.choices = [("", "—")] + [(str(i), name) for i, name in work_access.assignable_people(current_user)]
    form.assignee_team.choices = [("", "—")] + [(str(i), name) for i, name in work_access.assignable_teams(current_user)]
    return form


def _detail(report_id: int, close_form=None, status: int = 200):
    report = services.get_report(current_user, report_id)
    accept_form = _accept_form()
    if not accept_form.priority.data or request.method == "GET":
        accept_form.priority.data = report.priority
    return render_template("intake/detail.html", report=report, close_form=close_form or CloseForm(),
                           accept_form=accept_form, reply_form=ReplyForm(), categories=CATEGORIES,
                           report_statuses=STATUSES, priorities=PRIORITIES,
                           urgent_words=rules.urgent_words(report.category, report.description),
                           public=followup.citizen_view(report), duplicates=followup.duplicates(current_user, report),
                           merged_in=followup.merged_in(current_user, report), merge_form=MergeForm()), status


@bp.route("/reports/<int:report_id>")
@roles("admin", "supervisor")
def detail(report_id: int):
    return _detail(report_id)


def _triage(report_id: int, form, act, said, shown_form=None):
    """One triage step from the report's page: `act()` (a service call returning the report) when the form is
    valid, `said(report)` flashed; a refusal shows the page again with the report as stored and its message
    (and `shown_form` as it was filled in); a report out of reach is a 403 or 404."""
    if form.validate_on_submit():
        try:
            flash(said(act()), "success")
        except DomainError as error:
            discard_changes()
            if error.status in (403, 404):
                raise
            flash(error.message, "error")
            return _detail(report_id, shown_form, error.status)
    return redirect(url_for("intake.detail", report_id=report_id))


@bp.route("/reports/<int:report_id>/close", methods=["POST"])
@roles("admin", "supervisor")
def close(report_id: int):
    form = CloseForm()
    return _triage(report_id, form, lambda: services.close_report(current_user, report_id, form.reply.data or ""),
                   lambda report: _("The report is closed and the citizen can read your reply."), shown_form=form)


@bp.route("/reports/<int:report_id>/accept", methods=["POST"])
@roles("admin", "supervisor")
def accept(report_id: int):
    form = _accept_form()
    return _triage(report_id, form, lambda: services.accept_report(
        current_user, report_id, priority=form.priority.data or None,
        assignee_user_id=form.assignee_user.data or None, assignee_team_id=form.assignee_team.data or None),
        lambda report: _("Work order %(id)s was created from this report.", id=report.work_order_id))


@bp.route("/reports/<int:report_id>/reply", methods=["POST"])
@roles("admin", "supervisor")
def reply(report_id: int):
    form = ReplyForm()
    return _triage(report_id, form, lambda: followup.reply(current_user, report_id, form.reply.data or ""),
                   lambda report: _("The citizen can read your reply."))


@bp.route("/reports/<int:report_id>/merge", methods=["POST"])
@roles("admin", "supervisor")
def merge(report_id: int):
    form = MergeForm()
    return _triage(report_id, form, lambda: followup.merge(current_user, report_id, form.into.data or ""),
                   lambda report: _("Merged: the citizen is told to follow %(number)s.",
                                    number=report.merged_into.number))
