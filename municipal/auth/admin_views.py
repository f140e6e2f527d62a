"""The administrator's pages: users, teams and API tokens."""
import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..boundary import discard_changes
from ..errors import DomainError
from ..extensions import db
from ..permissions import roles
from . import services
from . import teams as team_services
from . import tokens as token_services
from .forms import ROLE_LABELS, ConfirmForm, PasswordForm, TeamForm, UserCreateForm, UserEditForm, options
from .models import User
from .views import keep_session

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _area_choices():
    from ..assets.queries import area_choices

    return area_choices(str(get_locale()))


def _type_choices():
    from ..assets.types import TYPES

    return [(key, _(t.label)) for key, t in TYPES.items()]


def _form_errors(form) -> dict:
    return {name: " ".join(map(str, problems)) for name, problems in form.errors.items()}


def _failed(error: DomainError) -> tuple[dict, int]:
    flash(error.message, "error")
    return error.fields or {}, error.status


def _page() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and 0 < int(value) < 100_000 else 1


@bp.route("/")
@roles("admin")
def index():
    return redirect(url_for("admin.users"))


@bp.route("/users", methods=["GET", "POST"])
@roles("admin")
def users():
    form = UserCreateForm()
    errors, status = {}, 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                user = services.create_user(form.username.data, form.password.data, form.role.data,
                                            form.display_name.data or "", actor=current_user,
                                            email=form.email.data or "")
                flash(_("Created %(name)s.", name=user.username), "success")
                return redirect(url_for("admin.user", user_id=user.id))
            except DomainError as error:
                errors, status = _failed(error)
        else:
            errors, status = _form_errors(form), 422
    per_page = current_app.config["PAGE_SIZE"]
    page = _page()
    rows, total = services.list_users(page, per_page)
    return render_template("admin/users.html", form=form, errors=errors, rows=rows, page=page,
                           pages=max(1, -(-total // per_page)), total=total, role_names=ROLE_LABELS), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles("admin")
def user(user_id: int):
    target = services.get_user(user_id)
    form = UserEditForm(data=None if request.method == "POST" else {
        "display_name": target.display_name, "email": target.email or "", "role": target.role,
        "areas": [a.code for a in target.areas], "asset_types": target.asset_type_list})
    form.areas.choices = options(_area_choices())
    form.asset_types.choices = options(_type_choices())
    errors, status = {}, 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.update_user(current_user, target, role=form.role.data, display_name=form.display_name.data,
                                     email=form.email.data or "")
                services.set_user_areas(current_user, target, form.areas.data or [])
                services.set_user_asset_types(current_user, target, form.asset_types.data or [])
                flash(_("Saved."), "success")
                return redirect(url_for("admin.user", user_id=target.id))
            except DomainError as error:
                errors, status = _failed(error)
        else:
            errors, status = _form_errors(form), 422
    return _user_page(target, form, PasswordForm(formdata=None), errors, status)


def _user_page(target: User, form, password_form, errors: dict, status: int):
    return render_template("admin/user.html", target=target, form=form, password_form=password_form,
                           confirm=ConfirmForm(), errors=errors), status


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@roles("admin")
def password(user_id: int):
    target = services.get_user(user_id)
    password_form = PasswordForm()
    edit_form = UserEditForm(formdata=None, data={"display_name": target.display_name, "email": target.email or "",
                                                  "role": target.role, "areas": [a.code for a in target.areas],
                                                  "asset_types": target.asset_type_list})
    edit_form.areas.choices = options(_area_choices())
    edit_form.asset_types.choices = options(_type_choices())
    if password_form.validate_on_submit():
        try:
            services.reset_password(current_user, target, password_form.password.data)
            keep_session(target)
            flash(_("The password of %(name)s was reset.", name=target.username), "success")
            return redirect(url_for("admin.user", user_id=target.id))
        except DomainError as error:
            errors, status = _failed(error)
    else:
        errors, status = _form_errors(password_form), 422
    return _user_page(target, edit_form, password_form, errors, status)


@bp.route("/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@roles("admin")
def deactivate(user_id: int):
    """GET asks for confirmation; only the POST from that page deactivates."""
    target = services.get_user(user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.deactivate_user(current_user, target)
            flash(_("%(name)s can no longer sign in.", name=target.username), "success")
            return redirect(url_for("admin.user", user_id=target.id))
        except DomainError as error:
            discard_changes()
            _failed(error)
            return redirect(url_for("admin.user", user_id=target.id))
    return render_template("admin/deactivate.html", target=target, form=form)


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
@roles("admin")
def activate(user_id: int):
    target = services.get_user(user_id)
    if ConfirmForm().validate_on_submit():
        services.update_user(current_user, target, active=True)
        flash(_("%(name)s can sign in again.", name=target.username), "success")
    return redirect(url_for("admin.user", user_id=target.id))


def _team_form(team=None):
    data = None
    if team is not None and request.method != "POST":
        data = {"name": team.name, "area": team.area.code if team.area else "",
                "asset_types": [t for t in team.asset_types.split(",") if t],
                "members": [str(m.id) for m in team.members], "webhook_url": team.webhook_url or ""}
    form = TeamForm(data=data)
    form.area.choices = options([("", _("Whole district"))] + _area_choices())
    form.asset_types.choices = options(_type_choices())
    active = db.session.scalars(sa.select(User).where(User.active.is_(True)).order_by(User.username))
    form.members.choices = options((str(u.id), f"{u.display_name} ({u.username})") for u in active)
    return form


def _save_team(form, team):
    member_ids = [int(i) for i in form.members.data or [] if str(i).isdigit()]
    if team is None:
        team = team_services.create_team(current_user, form.name.data, form.area.data or "",
                                         form.asset_types.data or [], webhook_url=form.webhook_url.data or "")
    else:
        team_services.update_team(current_user, team, name=form.name.data, area_code=form.area.data or "",
                                  asset_types=form.asset_types.data or [], webhook_url=form.webhook_url.data or "")
    team_services.set_members(current_user, team, member_ids)
    return team


@bp.route("/teams", methods=["GET", "POST"])
@roles("admin")
def teams():
    form = _team_form()
    errors, status = {}, 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                team = _save_team(form, None)
                flash(_("Created team %(name)s.", name=team.name), "success")
                return redirect(url_for("admin.teams"))
            except DomainError as error:
                errors, status = _failed(error)
        else:
            errors, status = _form_errors(form), 422
    return render_template("admin/teams.html", form=form, errors=errors, rows=team_services.list_teams()), status


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
@roles("admin")
def team(team_id: int):
    found = team_services.get_team(team_id)
    form = _team_form(found)
    errors, status = {}, 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                _save_team(form, found)
                flash(_("Saved."), "success")
                return redirect(url_for("admin.team", team_id=found.id))
            except DomainError as error:
                errors, status = _failed(error)
        else:
            errors, status = _form_errors(form), 422
    return render_template("admin/team.html", team=found, form=form, errors=errors), status


@bp.route("/tokens")
@roles("admin")
def tokens():
    return render_template("admin/tokens.html", rows=token_services.list_tokens(), confirm=ConfirmForm())


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@roles("admin")
def revoke_token(token_id: int):
    token = token_services.get_token(token_id)
    if ConfirmForm().validate_on_submit():
        token_services.revoke_token(current_user, token)
        flash(_("Token %(prefix)s… revoked.", prefix=token.prefix), "success")
    return redirect(url_for("admin.tokens"))
