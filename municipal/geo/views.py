"""The map page: the district's facilities, open work and citizen reports over the configured background."""
from flask import Blueprint, current_app, make_response, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from ..assets.queries import area_choices
from ..assets.types import STATUSES, TYPES
from ..permissions import roles
from ..security_headers import allowing_images_from
from .grid import SINGLES_FROM_ZOOM
from .tiles import tile_source

bp = Blueprint("geo", __name__)


def _prefix(endpoint: str, argument: str) -> str:
    """A page's address without its trailing id, for the script to append one."""
    return url_for(endpoint, **{argument: 0})[:-1]


@bp.route("/map")
@roles("admin", "supervisor", "crew", "viewer")
def map_page():
    locale = str(get_locale() or "zh")
    tiles = tile_source(current_app.config["MAP_TILES"])
    config = {
        "features": url_for("map_api.features"),
        "facility": _prefix("assets.detail", "asset_id"),
        "work": _prefix("workorders.detail", "order_id"),
        "types": {key: _(t.label) for key, t in TYPES.items()},
        "bbox": list(current_app.config["DISTRICT_BBOX"]),
        "tiles": tiles,
        "singlesFrom": SINGLES_FROM_ZOOM,
        "words": {
            "cluster": _("%(n)s facilities here: zoom in"), "openWork": _("Open work"),
            "overdue": _("Overdue"), "none": _("None"), "navigate": _("Navigate"), "amap": _("AMap"),
            "baidu": _("Baidu Maps"), "open": _("Open the facility"), "workOrder": _("Work order"),
            "due": _("Due"), "report": _("Citizen report"), "truncated": _("Zoom in to see everything here."),
            "loading": _("Loading…"), "failed": _("The map could not load its features."),
        },
    }
    page = render_template("geo/map.html", config=config, types=[(k, _(t.label)) for k, t in TYPES.items()],
                           statuses=[(k, _(label)) for k, label in STATUSES.items()],
                           areas=area_choices(locale))
    response = make_response(page)
    if tiles["hosts"]:
        response.headers["Content-Security-Policy"] = allowing_images_from(tiles["hosts"])
    return response


@bp.route("/field/map")
@roles("admin", "supervisor", "crew")
def field_map():
    """The crew map: the facilities of the phone's offline pack and the member's position on the plain
    background, drawn by the page's script from the phone's storage, so it opens without a connection."""
    config = {"bbox": list(current_app.config["DISTRICT_BBOX"]),
              "words": {"me": _("You are here"), "empty": _("No facilities in the offline pack yet: open My work "
                                                            "with a connection."),
                        "noPosition": _("The phone did not give its position.")}}
    return render_template("geo/field_map.html", config=config)
