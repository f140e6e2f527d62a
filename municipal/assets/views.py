"""Registry pages for staff."""
from flask import Blueprint

bp = Blueprint("assets", __name__)


@bp.route("/")
def index():
    return "ok"
