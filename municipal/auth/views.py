"""Sign in and out; who the current user is, from a session or a bearer token."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..db import keep_changes, utcnow
from ..errors import Unauthorized
from ..extensions import db, login_manager
from ..permissions import LAST_SEEN_KEY, public, signed_in
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
        token = services.token_for(header[7:].strip())
        if token is not None:
            # The permission guard reads the token's scopes from here.
            g.api_token = token
            return token.user
    return None


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect would let a forged QR code phish a crew member.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("assets.home")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.sign_in(form.username.data, form.password.data, request.remote_addr or "")
        except (Unauthorized, services.TooManyAttempts) as error:
            # The attempt is recorded even though it failed: that is what the throttle counts.
            keep_changes()
            flash(error.message, "error")
            return render_template("auth/login.html", form=form), error.status
        session.permanent = True
        login_user(user)
        session[LAST_SEEN_KEY] = int(utcnow().timestamp())
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    logout_user()
    session.pop(LAST_SEEN_KEY, None)
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
