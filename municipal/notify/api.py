"""REST API v1 for the signed-in user's own notifications: nobody reads or marks anyone else's."""
from flask import current_app
from flask_login import current_user

from ..api import ApiBlueprint
from ..i18n import N_
from ..permissions import signed_in
from . import services
from .schemas import MarkReadResultSchema, MarkReadSchema, NotificationPageSchema, NotificationQuerySchema

bp = ApiBlueprint("notify_api", __name__, description=N_("Notifications"))


def blueprints():
    return [bp]


@bp.route("/notifications")
@signed_in
@bp.doc(summary=N_("My notifications, newest first"),
        description=N_("Pass `next` as `before` for the following page; `next` is null on the last one."))
@bp.arguments(NotificationQuerySchema, location="query")
@bp.response(200, NotificationPageSchema)
def list_notifications(query):
    size = query.get("limit", current_app.config["PAGE_SIZE"])
    rows, older = services.page(current_user, query.get("before"), size)
    return {"items": rows, "next": older,
            "unread": services.unread_count(current_user)}


@bp.route("/notifications/read", methods=["POST"])
@signed_in
@bp.doc(summary=N_("Mark my notifications read"),
        description=N_("The `ids` given, or all of them; ids of other people's notifications are ignored."))
@bp.arguments(MarkReadSchema, required=False)
@bp.response(200, MarkReadResultSchema)
def mark_read(data):
    marked = services.mark_read(current_user, data.get("ids"))
    return {"marked": marked, "unread": services.unread_count(current_user)}
