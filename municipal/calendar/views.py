"""Calendar pages: the district's calendar by month or as a list, the compliance table, and private feeds."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock, paging, sections
from ..assets.queries import area_choices
from ..assets.types import TYPES
from ..boundary import discard_changes
from ..db import utcnow
from ..errors import DomainError, ValidationError
from ..permissions import public, roles, signed_in
from ..workorders.access import assignable_teams
from . import compliance as compliance_numbers
from . import feeds, queries
from .engine.wording import KIND_GROUPS, KINDS, STANDINGS, standing
from .forms import SCOPE_LABELS, FeedForm, RevokeForm

bp = Blueprint("calendar", __name__)

LIST_PAGE_SIZE = 50
# The list's default window: the recent past, where the overdue and missed are, and the coming six weeks.
LIST_DAYS_BACK = 14
LIST_DAYS_AHEAD = 42



def _labels() -> dict:
    """The words of the rows in the reader's language, translated once per page instead of once per row."""
    return {"kinds": {key: _(label) for key, label in KINDS.items()},
            "standings": {key: _(label) for key, label in STANDINGS.items()},
            "types": {key: _(t.label) for key, t in TYPES.items()}}


def _kind_groups() -> dict:
    return {key: _(label) for key, label in KIND_GROUPS.items()}


def _choices() -> dict:
    locale = str(get_locale())
    return {"areas": area_choices(locale),
            "types": sorted(((key, _(t.label)) for key, t in TYPES.items()), key=lambda pair: pair[1]),
            "kinds": sorted(((key, _(label)) for key, label in KINDS.items()), key=lambda pair: pair[1]),
            "standings": [(key, _(label)) for key, label in STANDINGS.items()]}


def _month(text: str, today: date) -> date:
    if not text:
        return today.replace(day=1)
    try:
        first = datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise ValidationError(_("The calendar filters are not valid."),
                              {"month": _("must be a month like 2025-07")}) from None
    if not 2000 <= first.year <= 2100:
        raise ValidationError(_("The calendar filters are not valid."),
                              {"month": _("must be a month like 2025-07")})
    return first


def _after() -> tuple[date, int] | None:
    raw = request.args.get("after", "")
    return paging.decode(raw, (date, int)) if raw else None


@bp.route("/calendar")
@signed_in
def index():
    today = clock.today()
    filters = queries.parse_filters(request.args)
    view = "list" if request.args.get("view") == "list" else "month"
    common = {"filters": filters, "today": today, "labels": _labels(), "choices": _choices(), "view": view,
              "standing": standing}
    if view == "list":
        start, end = queries.parse_period(request.args.get("from"), request.args.get("to"),
                                          (today - timedelta(days=LIST_DAYS_BACK), today + timedelta(days=LIST_DAYS_AHEAD)))
        after = _after()
        rows, next_after = queries.items_page(current_user, filters, start, end, today, after, LIST_PAGE_SIZE)
        return render_template("calendar/list.html", rows=rows, start=start, end=end, after=after,
                               next_after=paging.encode(next_after),
                               **common)
    first = _month(request.args.get("month", ""), today)
    grid = queries.weeks(first)
    days = queries.month_counts(current_user, filters, grid[0][0], grid[-1][-1], today)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return render_template(
        "calendar/month.html", first=first, grid=grid, days=days, groups=_kind_groups(),
        title=format_skeleton("yMMMM", first, locale=str(get_locale())),
        previous=previous.strftime("%Y-%m"), following=following.strftime("%Y-%m"),
        weekdays=[_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")], **common)


def _default_year(today: date) -> tuple[date, date]:
    return date(today.year, 1, 1), date(today.year, 12, 31)


@bp.route("/calendar/compliance")
@roles("admin", "supervisor", "viewer")
def compliance():
    today = clock.today()
    start, end = queries.parse_period(request.args.get("from"), request.args.get("to"), _default_year(today))
    group_by = compliance_numbers.parse_group(request.args.get("group_by"))
    filters = queries.parse_filters(request.args)
    report = compliance_numbers.compliance(current_user, start, end, today, filters, group_by, carry_in=True)
    locale = str(get_locale())
    return render_template(
        "calendar/compliance.html", report=report, filters=filters, choices=_choices(), labels=_labels(),
        rows=[(compliance_numbers.group_label(group, group_by, locale), group) for group in report.groups],
        groups=_group_choices(), teams=[(str(team_id), name) for team_id, name in assignable_teams(current_user)],
        sections=sections.collect("compliance", current_user, (start, end), request.args),
    )


def _group_choices() -> list[tuple[str, str]]:
    names = {"month": _("Month"), "facility": _("Facility"), "type": _("Facility type"), "area": _("Area"),
             "team": _("Team"), "kind": _("Kind of work")}
    return [(key, names[key]) for key in compliance_numbers.GROUPS]


def _feed_form() -> FeedForm:
    form = FeedForm()
    if current_user.role in ("admin", "supervisor"):
        teams = assignable_teams(current_user)
    else:
        teams = [(team.id, team.name) for team in current_user.teams if team.active]
    form.team.choices = [(str(team_id), name) for team_id, name in teams]
    form.area.choices = area_choices(str(get_locale())) if current_user.role != "crew" else []
    # A facility's feed is made from the facility's calendar page, which names the facility.
    hidden = {"facility", "area"} if current_user.role == "crew" else {"facility"}
    form.scope.choices = [choice for choice in form.scope.choices if choice.value not in hidden]
    return form


def _feed_url(secret: str) -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for("calendar.feed", secret=secret)


@bp.route("/calendar/feeds", methods=["GET", "POST"])
@signed_in
def feed_list():
    form = _feed_form()
    created_url, errors, status = None, {}, 200
    if form.validate_on_submit():
        try:
            _feed, secret = feeds.create_feed(current_user, form.scope.data, team_id=form.team.data or None,
                                              area_ref=form.area.data or None, asset_id=form.asset.data or None)
            # Shown on this answer only: the database keeps no way to show it again.
            created_url = _feed_url(secret)
        except DomainError as error:
            # The page below lists the feeds as stored.
            discard_changes()
            flash(error.message, "error")
            errors, status = error.fields, error.status
    elif form.errors:
        errors, status = {name: "; ".join(map(str, problems)) for name, problems in form.errors.items()}, 422
    return render_template("calendar/feeds.html", form=form, feeds=feeds.feeds_of(current_user),
                           created_url=created_url, errors=errors, scopes=SCOPE_LABELS,
                           locale=str(get_locale())), status


@bp.route("/calendar/feeds/<int:feed_id>/revoke", methods=["GET", "POST"])
@signed_in
def revoke(feed_id: int):
    feed = next((f for f in feeds.feeds_of(current_user) if f.id == feed_id), None)
    form = RevokeForm()
    if request.method == "POST":  # the app-wide CSRF check has passed by now
        feeds.revoke_feed(current_user, feed_id)
        flash(_("The calendar feed was revoked; its address no longer opens anything."), "info")
        return redirect(url_for("calendar.feed_list"))
    if feed is None:
        abort(404)
    return render_template("calendar/revoke.html", feed=feed, form=form, scopes=SCOPE_LABELS,
                           locale=str(get_locale()))


@bp.route("/calendar/feed/<secret>.ics")
@public
def feed(secret: str):
    """The secret in the address is the credential: anyone holding it reads the calendar, nobody else."""
    found = feeds.feed_for_secret(secret)
    if found is None:
        abort(404)
    now = utcnow()
    zone = current_app.config["TIMEZONE"]
    items = feeds.feed_items(found, now.astimezone(ZoneInfo(zone)).date())
    text = feeds.feed_text(found, items, public_url=current_app.config["PUBLIC_URL"], zone=zone, now=now)
    response = Response(text, content_type="text/calendar; charset=utf-8")
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
