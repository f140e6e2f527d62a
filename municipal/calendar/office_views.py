"""The office list page (办公事项): the office's obligations, apart from the crews' board."""
from datetime import datetime

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import paging
from ..db import utcnow
from ..permissions import roles
from ..workorders import states
from . import office
from .engine.wording import kind_msgid

bp = Blueprint("office", __name__)


def label(row: dict) -> str:
    """What the task is: its calendar kind (溃坝损失评估…), or "office task" for one made by hand."""
    return _(kind_msgid(row["kind"])) if row["kind"] else _(states.KINDS[states.OFFICE])


@bp.route("/office")
@roles("admin", "supervisor")
def index():
    now = utcnow()
    state = request.args.get("state", "open")
    if state not in office.STATES:
        state = "open"
    raw = request.args.get("after", "")
    after = paging.decode(raw, (datetime, int)) if raw else None
    rows, next_after = office.page(current_user, state, now, after, current_app.config["BOARD_PAGE_SIZE"])
    return render_template("calendar/office.html", rows=rows, state=state, counts=office.counts(current_user, now),
                           now=now, label=label, statuses={k: _(v) for k, v in states.STATUSES.items()},
                           next_after=paging.encode(next_after), after=after)
