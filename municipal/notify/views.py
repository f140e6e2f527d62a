"""The signed-in user's notifications, and the bell's count on every page."""
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

from ..errors import ValidationError
from .. import paging
from ..permissions import signed_in
from . import services

bp = Blueprint("notify", __name__)


class ReadForm(FlaskForm):
    """Mark one notification read (`id`), or all of them when it is empty."""

    id = IntegerField(validators=[Optional(), NumberRange(min=1)])
    # The page to go back to.
    before = IntegerField(validators=[Optional(), NumberRange(min=1)])


@bp.app_context_processor
def _bell():
    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        return services.unread_count(current_user)

    return {"unread_notifications": unread_notifications}


def _before_arg() -> int | None:
    return paging.id_position(request.args.get("before", ""), "before")


@bp.route("/notifications")
@signed_in
def index():
    before = _before_arg()
    size = current_app.config["PAGE_SIZE"]
    rows, next_before = services.page(current_user, before, size)
    items = [(n, services.message(n, _)) for n in rows]
    return render_template("notify/index.html", items=items, before=before, next_before=next_before,
                           unread=services.unread_count(current_user), form=ReadForm())


@bp.route("/notifications/read", methods=["POST"])
@signed_in
def read():
    form = ReadForm()
    if not form.validate():
        fields = {name: " ".join(map(str, problems)) for name, problems in form.errors.items()}
        raise ValidationError(_("Some fields are not valid."), fields)
    services.mark_read(current_user, None if form.id.data is None else [form.id.data])
    return redirect(url_for("notify.index", before=form.before.data))
