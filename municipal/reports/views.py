"""Report pages: ask for a report and find it in the archive, wait for it, download it, read it as a page."""

import sqlalchemy as sa
from flask import Blueprint, Response, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from .. import clock
from ..assets.models import Area, Asset
from ..assets.queries import area_choices
from ..assets.types import TYPES
from ..auth import scope as visibility
from ..db import utcnow
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..permissions import roles
from . import queries, render, services
from ..assets.forms import options
from .forms import ReportForm
from .scope import Scope, check_visible, parse_scope, parse_year

bp = Blueprint("reports", __name__)

READERS = ("admin", "supervisor", "viewer")



def _lang(text) -> str:
    text = (text or "").strip()
    if not text:
        return str(get_locale() or "zh")
    if text not in render.LANGS:
        raise ValidationError(_("The language is not valid."), {"lang": _("must be zh or en")})
    return text


def _scope_choices() -> list[tuple[str, str]]:
    """What the person may ask for: the scopes whose every facility they see."""
    seen = visibility.Scope.of(current_user)
    choices = [("district", _("Jin'an District"))] if seen.allows(Scope("district")) else []
    choices += sorted(((f"type:{key}", _("All: %(type)s", type=_(t.label))) for key, t in TYPES.items()
                       if seen.allows(Scope("type", asset_type=key))), key=lambda pair: pair[1])
    areas = {area.code: area for area in db.session.scalars(sa.select(Area))}
    choices += [(f"area:{code}", label) for code, label in area_choices(str(get_locale()))
                if seen.allows(Scope("area", area=areas[code]))]
    reservoirs = db.session.scalars(sa.select(Asset).options(joinedload(Asset.area))
                                    .where(Asset.type == "reservoir").order_by(Asset.name, Asset.id))
    choices += [(f"facility:{asset.id}", asset.name) for asset in reservoirs
                if seen.allows(Scope("facility", asset=asset))]
    return choices


def _status_names() -> dict:
    return {"queued": _("Queued"), "running": _("Being made"), "done": _("Ready"), "failed": _("Failed")}


@bp.route("/annual-reports")
@roles(*READERS)
def index():
    form = ReportForm()
    form.scope.choices = options(_scope_choices())
    form.year.data = form.year.data or str(clock.today().year - 1)
    return render_template("reports/index.html", form=form, rows=services.archive(current_user),
                           status_names=_status_names())


@bp.route("/annual-reports", methods=["POST"])
@roles("admin", "supervisor")
def request_report():
    form = ReportForm()
    if not form.validate_on_submit():
        raise ValidationError(_("The form has expired; please try again."), {"csrf_token": _("is missing or stale")})
    year = parse_year(form.year.data, clock.today())
    scope = parse_scope(form.scope.data)
    row = services.queue(current_user, scope, year, _lang(form.lang.data))
    return redirect(url_for("reports.show", report_id=row.id))


@bp.route("/annual-reports/open", methods=["POST"])
@roles(*READERS)
def open_page():
    """The report form's "open as a page": a POST, so the CSRF token travels in the body, answered with the
    page's plain address (year, scope, language), which is what the browser shows and a reader may share."""
    form = ReportForm()
    if not form.validate_on_submit():
        raise ValidationError(_("The form has expired; please try again."), {"csrf_token": _("is missing or stale")})
    return redirect(url_for("reports.page", year=(form.year.data or "").strip(), scope=form.scope.data,
                            lang=form.lang.data), code=303)


@bp.route("/annual-reports/<int:report_id>")
@roles(*READERS)
def show(report_id: int):
    row = services.visible_report(current_user, report_id)
    return render_template("reports/show.html", row=row, waiting=row.status in ("queued", "running"),
                           status_names=_status_names())


@bp.route("/annual-reports/<int:report_id>/download")
@roles(*READERS)
def download(report_id: int):
    row = services.visible_report(current_user, report_id)
    if row.status != "done" or not services.file_of(row).is_file():
        raise NotFound(_("This report has no file yet."))
    name = f"annual-{row.year}-{row.scope.replace(':', '-')}-v{row.version}.pdf"
    return send_file(services.file_of(row), mimetype="application/pdf", as_attachment=True, download_name=name)


@bp.route("/annual-reports/view")
@roles(*READERS)
def page():
    """The report as a print-ready page: one facility's read now from the records; a wider scope's is its
    latest archived version, or, when none has been made yet, a page with the button that asks for one."""
    year = parse_year(request.args.get("year"), clock.today())
    scope = parse_scope(request.args.get("scope"))
    check_visible(current_user, scope)
    lang = _lang(request.args.get("lang"))
    if services.is_live(scope):
        report = queries.annual(current_user, scope, year, utcnow())
        return render.render_html(report, lang, toolbar=[(url_for("reports.index"), _("Reports"))])
    row = services.latest_done(scope, year, lang)
    if services.stored_companion(row, "html") is not None:
        return redirect(url_for("reports.version_page", report_id=row.id))
    # A GET never queues work: a supervisor gets the button that asks for the report.
    form = ReportForm(formdata=None, year=str(year), scope=scope.key, lang=lang)
    return render_template("reports/missing.html", form=form, message=services.no_report_yet(),
                           may_ask=current_user.role in ("admin", "supervisor")), 404


@bp.route("/annual-reports/<int:report_id>/page")
@roles(*READERS)
def version_page(report_id: int):
    """One archived version as the print-ready page, as it was made with its PDF."""
    html = services.stored_companion(services.visible_report(current_user, report_id), "html")
    if html is None:
        raise NotFound(_("This report has no page yet."))
    return Response(html, mimetype="text/html")
