"""Sign in and out; who the current user is, from a session or a bearer token."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..api import bearer_credentials
from ..boundary import keep_changes
from ..db import utcnow
from ..errors import Unauthorized
from ..extensions import db, login_manager
from ..permissions import LAST_SEEN_KEY, public, signed_in
from . import services, signin
from . import tokens as token_services
from .forms import LoginForm
from .models import User

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def _load_user(session_id: str):
    """The user of a browser session, unless the session was signed in before their last sign-out or new
    password (or before sessions carried an epoch at all)."""
    user_id, _sep, epoch = session_id.partition(":")
    if not (user_id.isdigit() and epoch.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    return user if user and user.active and user.session_epoch == int(epoch) else None



@login_manager.request_loader
def _load_bearer(req):
    value = bearer_credentials(req)
    if value:
        token = token_services.token_for(value)
        if token is not None:
            # The permission guard reads the token's scopes from here.
            g.api_token = token
            return token.user
    return None


def keep_session(user: User) -> None:
    """After the user's own sessions were ended (their new password), the browser session that did it goes on."""
    if current_user.is_authenticated and current_user.id == user.id and "_user_id" in session:
        login_user(user)


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
            user = signin.sign_in(form.username.data, form.password.data, request.remote_addr or "")
        except (Unauthorized, signin.TooManyAttempts) as error:
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
    # The cookie could be replayed: ending the user's sessions in the database is what signs it out.
    services.end_sessions(current_user)
    logout_user()
    session.pop(LAST_SEEN_KEY, None)
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
