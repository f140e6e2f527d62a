"""Registry pages for staff: browse, search, open, edit, photos, codes, labels."""
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_from_directory, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.scope import Scope
from ..boundary import discard_changes
from ..errors import DomainError, PermissionDenied, ValidationError
from ..media import is_public
from ..permissions import roles, signed_in
from .. import paging, sections
from . import history, lookup, photos, queries, services
from .forms import BindForm, PhotoForm, RevokeForm, asset_form, field_errors, form_to_data
from .identity import services as code_services
from .types import TYPES, format_chainage

bp = Blueprint("assets", __name__)


def _area_choices():
    return queries.area_choices(str(get_locale()))


def _filters() -> queries.Filters:
    args = request.args
    return queries.Filters(type=args.get("type", ""), area=args.get("area", ""),
                           status=args.get("status", ""), q=args.get("q", ""))


@bp.route("/")
@signed_in
def home():
    """Where signing in leads: the crew to their own work, everyone else to the board."""
    return redirect(url_for("workorders.mine" if current_user.role == "crew" else "workorders.board"))


@bp.route("/assets")
@signed_in
def index():
    filters = _filters()
    after = paging.id_position(request.args.get("after"))
    try:
        rows, next_after = queries.page(filters, Scope.of(current_user), after, current_app.config["PAGE_SIZE"])
    except ValidationError as error:
        # A filter that names nothing (an area that does not exist) is said so, not shown as an empty list.
        return render_template("assets/index.html", rows=[], filters=filters, next_after=None, after=None,
                               areas=_area_choices(), error=error), 422
    return render_template("assets/index.html", rows=rows, filters=filters, next_after=next_after,
                           after=after, areas=_area_choices())


@bp.route("/assets/<int:asset_id>")
@signed_in
def detail(asset_id: int):
    asset = lookup.visible_asset(current_user, asset_id)
    return render_template("assets/detail.html", asset=asset, code=asset.code, events=history.recent(asset),
                           code_events=history.code_history(asset), photo_form=PhotoForm(),
                           revoke_form=RevokeForm(),
                           sections=sections.collect("asset", current_user, asset, request.args))


def _asset_data(asset) -> dict:
    return {
        "version": asset.version, "name": asset.name, "area": asset.area.code if asset.area else "",
        "status": asset.status, "owner_unit": asset.owner_unit, "maintenance_unit": asset.maintenance_unit,
        "address": asset.address, "in_service_on": asset.in_service_on.isoformat() if asset.in_service_on else "",
        "internal_notes": asset.internal_notes, "attributes": asset.attributes, "geometry": asset.geometry,
        "chainage_start": format_chainage(asset.chainage_start_m), "chainage_end": format_chainage(asset.chainage_end_m),
        "persons": [
            {"role": p.role, "level": p.level or "", "name": p.name, "unit": p.unit, "position": p.position,
             "phone": p.phone, "river_chief_day": p.river_chief_day, "user_id": p.user_id or ""}
            for p in asset.persons
        ],
    }


@bp.route("/assets/new", methods=["GET", "POST"])
@roles("admin", "supervisor")
def new():
    type_key = request.values.get("type", "")
    if type_key not in TYPES:
        return render_template("assets/choose_type.html")
    asset_type = TYPES[type_key]
    form = asset_form(asset_type, _area_choices(), obj_data=None if request.method == "POST" else {"status": "in_service"})
    errors = {}
    if form.validate_on_submit():
        try:
            asset = services.create_asset(current_user, {"type": type_key, **form_to_data(asset_type, form)})
            flash(_("Registered %(name)s with code %(code)s.", name=asset.name, code=asset.code.code), "success")
            return redirect(url_for("assets.detail", asset_id=asset.id))
        except ValidationError as error:
            errors = field_errors(error.fields)
            flash(error.message, "error")
    status = 422 if errors else 200
    return render_template("assets/edit.html", form=form, asset_type=asset_type, asset=None, errors=errors), status


@bp.route("/assets/<int:asset_id>/edit", methods=["GET", "POST"])
@roles("admin", "supervisor")
def edit(asset_id: int):
    asset = lookup.visible_asset(current_user, asset_id)
    asset_type = TYPES[asset.type]
    data = _asset_data(asset)
    form = asset_form(asset_type, _area_choices(), obj_data=data if request.method == "GET" else {"persons": data["persons"]})
    errors, status = {}, 200
    if form.validate_on_submit():
        try:
            services.update_asset(current_user, asset, form_to_data(asset_type, form), form.version.data)
            flash(_("Saved."), "success")
            return redirect(url_for("assets.detail", asset_id=asset.id))
        except DomainError as error:
            errors = field_errors(error.fields)
            status = error.status
            flash(error.message, "error")
    return render_template("assets/edit.html", form=form, asset_type=asset_type, asset=asset, errors=errors), status


@bp.route("/assets/<int:asset_id>/photos", methods=["POST"])
@roles("admin", "supervisor")
def add_photo(asset_id: int):
    asset = lookup.visible_asset(current_user, asset_id)
    form = PhotoForm()
    if form.validate_on_submit():
        try:
            photos.add_asset_photo(current_user, asset, form.photo.data, form.caption.data or "")
            flash(_("Photo added."), "success")
        except DomainError as error:
            flash(error.message, "error")
            return detail(asset_id), error.status
    return redirect(url_for("assets.detail", asset_id=asset.id))


@bp.route("/media/<path:name>")
@signed_in
def media(name: str):
    if not is_public(name):
        abort(404)
    return send_from_directory(Path(current_app.config["MEDIA_DIR"]), name)


@bp.route("/codes/<text>/revoke", methods=["POST"])
@roles("admin", "supervisor")
def revoke(text: str):
    form = RevokeForm()
    code = code_services.get_code(text)
    if form.validate_on_submit():
        try:
            replacement = code_services.revoke_code(current_user, code, form.reason.data or "")
            if replacement is not None:
                flash(_("Code %(old)s revoked; %(new)s is bound in its place. Print its label.",
                        old=code.code, new=replacement.code), "success")
            else:
                flash(_("Code %(old)s revoked.", old=code.code), "success")
        except PermissionDenied:
            # Not this person's facility: a refusal, not a slip to correct on the same page.
            raise
        except DomainError as error:
            discard_changes()
            flash(error.message, "error")
    if code.asset_id:
        return redirect(url_for("assets.detail", asset_id=code.asset_id))
    return redirect(url_for("scan.resolve", text=code.code))


@bp.route("/A/<text>/bind", methods=["POST"])
@roles("admin", "supervisor")
def bind(text: str):
    """Bind a pre-printed code, found unbound on a scan, to a facility on the spot."""
    code = code_services.get_code(text)
    form = BindForm()
    if form.validate_on_submit():
        try:
            asset = lookup.find_asset(form.asset.data or "")
            code_services.bind_code(current_user, code, asset)
            flash(_("Code %(code)s is now bound to %(name)s.", code=code.code, name=asset.name), "success")
            return redirect(url_for("assets.detail", asset_id=asset.id))
        except PermissionDenied:
            raise
        except DomainError as error:
            discard_changes()
            flash(error.message, "error")
    return redirect(url_for("scan.resolve", text=code.code))


