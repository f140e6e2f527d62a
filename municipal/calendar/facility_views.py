"""A facility's calendar (what is due, when, by which rule and why), and recording what the rules count on:
history (an appraisal and its result), events (a rainstorm over a town), supervisors' own plans."""
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from ..assets import lookup
from ..assets.queries import area_choices
from ..auth.scope import Scope
from ..boundary import discard_changes
from ..db import utcnow
from ..errors import DomainError
from ..extensions import db
from ..permissions import roles, signed_in
from ..workorders import access as workorders_access
from . import grouping, history, materialise, settings
from . import plans as facility_plans
from .engine.inputs import APPRAISAL_RESULTS, BUILDING_GRADES, EVENT_KINDS
from .engine.sources import SOURCES
from .engine.wording import (CONFIDENCE_LABELS, EVENT_LABELS, FLAG_LABELS, KINDS, PLAN_SEASONS, PLAN_UNITS,
                             RESULT_LABELS, STANDINGS)
from .models import CalendarEvent

# The blueprint keeps its name: the templates' url_for("calendar_facts.…") and the endpoint names are public.
bp = Blueprint("calendar_facts", __name__)

HORIZON_DAYS = 366
EVENTS_PAGE = 30


def _fail(error: DomainError):
    # The pages answer a refusal with a redirect, a success the boundary would commit.
    discard_changes()
    if error.status in (403, 404):
        raise error
    details = "; ".join(f"{field}: {message}" for field, message in (error.fields or {}).items())
    flash(f"{error.message} {details}".strip(), "error")


@bp.route("/assets/<int:asset_id>/calendar")
@signed_in
def facility(asset_id: int):
    asset = lookup.visible_asset(current_user, asset_id)
    now = utcnow()
    day = settings.today(now)
    view = materialise.facility_calendar(asset, day, day + timedelta(days=HORIZON_DAYS), day)
    plans = facility_plans.active_plans([asset.id]).get(asset.id, [])
    return render_template(
        "calendar/facility.html", asset=asset, view=view, today=day, form=FlaskForm(),
        groups=grouping.by_rule(view["due"], settings.table()), sources=SOURCES, confidence_labels=CONFIDENCE_LABELS,
        made=history.items_of(asset.id), history=history.history_of(asset.id), events=history.events_of(asset),
        plans=plans, plan_titles={f"plan:{plan.id}": plan.title for plan in plans}, kind_labels=KINDS,
        flag_labels=FLAG_LABELS,
        event_labels=EVENT_LABELS, history_kinds=settings.table().history_kinds, results=APPRAISAL_RESULTS,
        result_labels=RESULT_LABELS,
        grades=BUILDING_GRADES, may_record=workorders_access.is_supervisor(current_user), item_statuses=STANDINGS,
        plan_units=PLAN_UNITS, plan_seasons=PLAN_SEASONS,
    )


@bp.route("/assets/<int:asset_id>/history", methods=["POST"])
@roles("admin", "supervisor")
def add_history(asset_id: int):
    if FlaskForm().validate_on_submit():
        form = request.form
        try:
            history.record_history(current_user, asset_id, kind=form.get("kind", ""), done_on=form.get("done_on", ""),
                                    result=form.get("result"), report_date=form.get("report_date"),
                                    finding_class=form.get("finding_class"), quick_rating=form.get("quick_rating"),
                                    grade=form.get("grade"), note=form.get("note", ""))
            counts = materialise.materialise(utcnow(), asset_ids=[asset_id])
            flash(_("Recorded. %(count)s work orders made from the calendar.", count=counts["work_orders"]), "info")
        except DomainError as error:
            _fail(error)
    return redirect(url_for("calendar_facts.facility", asset_id=asset_id), 303)


@bp.route("/assets/<int:asset_id>/plans", methods=["POST"])
@roles("admin", "supervisor")
def add_plan(asset_id: int):
    if FlaskForm().validate_on_submit():
        form = request.form
        try:
            starts = date.fromisoformat(form["starts_on"]) if form.get("starts_on") else None
            ends = date.fromisoformat(form["ends_on"]) if form.get("ends_on") else None
        except ValueError:
            flash(_("The plan was not saved.") + " " + _("a date like 2026-05-01"), "error")
            return redirect(url_for("calendar_facts.facility", asset_id=asset_id), 303)
        try:
            facility_plans.create_plan(current_user, asset_id, title=form.get("title", ""), every=form.get("every"),
                                 unit=form.get("unit", ""), weekdays=form.get("weekdays", ""),
                                 month_days=form.get("month_days", ""), season=form.get("season", ""),
                                 starts_on=starts, ends_on=ends)
            materialise.materialise(utcnow(), asset_ids=[asset_id])
            flash(_("The plan was saved."), "info")
        except DomainError as error:
            _fail(error)
    return redirect(url_for("calendar_facts.facility", asset_id=asset_id), 303)


@bp.route("/plans/<int:plan_id>/stop", methods=["POST"])
@roles("admin", "supervisor")
def stop_plan(plan_id: int):
    asset_id = None
    if FlaskForm().validate_on_submit():
        try:
            plan = facility_plans.stop_plan(current_user, plan_id)
            asset_id = plan.asset_id
            materialise.materialise(utcnow(), asset_ids=[asset_id])
            flash(_("The plan was stopped; its coming work was withdrawn."), "info")
        except DomainError as error:
            _fail(error)
    return redirect(url_for("calendar_facts.facility", asset_id=asset_id) if asset_id else url_for("calendar_facts.events"),
                    303)


@bp.route("/calendar/events/<int:event_id>/withdraw", methods=["POST"])
@roles("admin", "supervisor")
def withdraw_event(event_id: int):
    """The facility page's 撤回 of a wrong event (the API's withdrawal): back to the facility's calendar."""
    event = db.session.get(CalendarEvent, event_id)
    asset_id = event.asset_id if event is not None else None
    if FlaskForm().validate_on_submit():
        try:
            event = history.withdraw_event(current_user, event_id)
            materialise.materialise(utcnow(), asset_ids=history.affected_assets(event))
            flash(_("The event was withdrawn; the work it set off that nobody had started was cancelled."), "info")
        except DomainError as error:
            _fail(error)
    return redirect(url_for("calendar_facts.facility", asset_id=asset_id) if asset_id else url_for("calendar_facts.events"),
                    303)


@bp.route("/calendar/events", methods=["GET", "POST"])
@roles("admin", "supervisor", "viewer")
def events():
    form = FlaskForm()
    if request.method == "POST":
        if not workorders_access.is_supervisor(current_user):
            flash(_("Only supervisors and administrators may do this."), "error")
        elif form.validate_on_submit():
            values = request.form
            try:
                event = history.record_event(
                    current_user, kind=values.get("kind", ""), start=values.get("start", ""),
                    end=values.get("end") or None, area=values.get("area") or None,
                    asset_id=_asset_id(values.get("asset", "")), note=values.get("note", ""),
                    rain_24h_mm=values.get("rain_24h_mm"), level_m=values.get("level_m"),
                    level_change_24h_m=values.get("level_change_24h_m"))
                counts = materialise.apply_event(event, utcnow())
                flash(_("Event recorded: %(count)s work orders made for %(facilities)s facilities.",
                        count=counts["work_orders"], facilities=counts["facilities"]), "info")
                return redirect(url_for("calendar_facts.events"), 303)
            except DomainError as error:
                _fail(error)
    recent = db.session.scalars(sa.select(CalendarEvent).where(Scope.of(current_user).clause(CalendarEvent))
                                .order_by(CalendarEvent.start_on.desc(), CalendarEvent.id.desc())
                                .limit(EVENTS_PAGE)).all()
    return render_template("calendar/events.html", form=form, recent=recent, event_kinds=EVENT_KINDS,
                           event_labels=EVENT_LABELS, areas=area_choices(str(get_locale())), values=request.form)


def _asset_id(text: str):
    """A facility by number or by identity code, as people type it; None when not given."""
    if not (text or "").strip():
        return None
    try:
        return lookup.find_asset(text).id
    except lookup.NO_FACILITY:
        return "unknown"
