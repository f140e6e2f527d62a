"""Staff pages: a facility's responsible persons, and the assignment rules."""
import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..assets import lookup
from ..assets.queries import area_choices
from ..assets.types import LEVEL_LABELS, ROLE_LABELS, TYPES, person_roles, stored_role
from ..auth.models import Team, User
from ..auth.scope import WORKER_ROLES
from ..boundary import discard_changes
from ..errors import DomainError
from ..extensions import db
from ..permissions import roles
from ..workorders.states import KINDS
from . import services
from .forms import SPARE_ROWS, DeleteForm, RuleForm, options, persons_form

bp = Blueprint("people", __name__)


def role_label(type_key: str, role: str) -> str:
    stored, level = stored_role(type_key, role) or (role, None)
    if level:
        return f"{_(ROLE_LABELS[stored])} · {_(LEVEL_LABELS[level])}"
    return _(ROLE_LABELS.get(stored, stored))


def _user_choices() -> list[tuple[str, str]]:
    users = db.session.scalars(sa.select(User).where(User.active.is_(True)).order_by(User.username))
    return [(str(u.id), f"{u.display_name or u.username} ({u.username})") for u in users]


def _worker_choices() -> list[tuple[str, str]]:
    users = db.session.scalars(sa.select(User).where(User.active.is_(True), User.role.in_(WORKER_ROLES))
                               .order_by(User.username))
    return [("", "—")] + [(str(u.id), f"{u.display_name or u.username} ({u.username})") for u in users]


def _errors(fields: dict) -> dict:
    """Service field names (persons.0.name) as form field names (persons-0-name)."""
    return {key.replace(".", "-"): message for key, message in (fields or {}).items()}


@bp.route("/assets/<int:asset_id>/persons", methods=["GET", "POST"])
@roles("admin", "supervisor")
def persons(asset_id):
    asset = lookup.visible_asset(current_user, asset_id)
    current = services.person_dicts(asset)
    role_choices = [(role, role_label(asset.type, role)) for role in person_roles(asset.type)]
    rows = max(len(current) + SPARE_ROWS, len(person_roles(asset.type)) - 1)
    data = None if request.method == "POST" else {
        "version": asset.version,
        "persons": [{**p, "user_id": str(p["user_id"] or "")} for p in current]}
    form = persons_form(rows, role_choices, _user_choices(), data)
    errors, status = {}, 200
    if request.method == "POST" and form.validate_on_submit():
        given = [{key: value for key, value in entry.data.items() if key != "csrf_token"}
                 for entry in form.persons if (entry.form.name.data or "").strip() or entry.form.role.data]
        for person in given:
            if asset.type != "river_segment":
                person.pop("river_chief_day")
        try:
            services.set_persons(current_user, asset, given, form.version.data)
            flash(_("Saved the responsible persons."), "success")
            return redirect(url_for("assets.detail", asset_id=asset.id))
        except DomainError as error:
            discard_changes()
            flash(error.message, "error")
            errors, status = _errors(error.fields), error.status
    elif request.method == "POST":
        errors, status = {name: " ".join(map(str, p)) for name, p in form.errors.items()}, 422
    return render_template("people/persons.html", asset=asset, form=form, errors=errors,
                           river=asset.type == "river_segment"), status


def _rule_form() -> RuleForm:
    form = RuleForm()
    form.area.choices = options([("", _("Whole district"))] + area_choices(str(get_locale())))
    form.asset_type.choices = options([("", _("All types"))] + [(k, _(t.label)) for k, t in TYPES.items()])
    form.kind.choices = options([("", _("All kinds"))] + [(k, _(label)) for k, label in KINDS.items()])
    form.user_id.choices = options(_worker_choices())
    teams = db.session.scalars(sa.select(Team).where(Team.active.is_(True)).order_by(Team.name))
    form.team_id.choices = options([("", "—")] + [(str(t.id), t.name) for t in teams])
    return form


@bp.route("/assignment-rules", methods=["GET", "POST"])
@roles("admin", "supervisor")
def rules():
    form = _rule_form()
    errors, status = {}, 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.create_rule(current_user, area=form.area.data, asset_type=form.asset_type.data,
                                 kind=form.kind.data, user_id=form.user_id.data, team_id=form.team_id.data)
            flash(_("Saved the assignment rule."), "success")
            return redirect(url_for("people.rules"))
        except DomainError as error:
            discard_changes()
            flash(error.message, "error")
            errors, status = {("user_id" if k == "user" else "team_id" if k == "team" else k): v
                              for k, v in (error.fields or {}).items()}, error.status
    elif request.method == "POST":
        errors, status = {name: " ".join(map(str, p)) for name, p in form.errors.items()}, 422
    rows, overlaps = services.list_rules(current_user)
    return render_template("people/rules.html", form=form, errors=errors, rows=rows, overlaps=overlaps,
                           delete_form=DeleteForm(), kinds=KINDS), status


@bp.route("/assignment-rules/<int:rule_id>/delete", methods=["POST"])
@roles("admin", "supervisor")
def delete_rule(rule_id):
    form = DeleteForm()
    if form.validate_on_submit():
        try:
            services.delete_rule(current_user, rule_id)
            flash(_("Deleted the assignment rule."), "success")
        except DomainError as error:
            discard_changes()
            flash(error.message, "error")
    return redirect(url_for("people.rules"))
