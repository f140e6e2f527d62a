"""Liveness and database check."""
import sqlalchemy as sa
from flask import Blueprint

from .extensions import db
from .permissions import public

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}
