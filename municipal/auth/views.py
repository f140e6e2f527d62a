"""Sign in and out; who the current user is, from a session or a bearer token."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, login_manager
from . import services
from .forms import LoginForm
from .models import User

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def _load_user(user_id: str):
    user = db.session.get(User, int(user_id))
    return user if user and user.active else None


@login_manager.request_loader
def _load_bearer(req):
    header = req.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return services.user_for_token(header[7:].strip())
    return None


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect would let a forged QR code phish a crew member.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("assets.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is not None:
            session.permanent = True
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Wrong user name or password."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
