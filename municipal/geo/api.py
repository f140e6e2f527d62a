"""GET /api/v1/map/features: a viewport's facilities, open work and citizen reports as GeoJSON."""
from flask import request
from flask_login import current_user

from .. import clock
from ..api import ApiBlueprint
from ..i18n import N_
from ..permissions import roles
from . import features as map_features
from .grid import MAX_ZOOM

map_bp = ApiBlueprint("map_api", __name__, description=N_("Map"))

_LIST = {"type": "string", "pattern": r"^[a-z_,]*$"}
_FEATURE = {
    "type": "object", "required": ["type", "geometry", "properties"],
    "properties": {"type": {"type": "string", "enum": ["Feature"]}, "id": {"type": "string"},
                   "geometry": {"type": "object"}, "properties": {"type": "object"}},
}


def blueprints():
    return [map_bp]


@map_bp.route("/map/features")
@roles("admin", "supervisor", "crew", "viewer")
@map_bp.doc(
    summary=N_("The map's features in a viewport"),
    description=N_(
        "An RFC 7946 FeatureCollection (WGS-84) of what the person may see in bbox=west,south,east,north. "
        "layers: assets (the default), work (open work orders, at their facility), reports (open citizen "
        "reports). Below zoom 17 facilities are counted in cells a quarter tile across: a cell of "
        "several is a Point with cluster: true and count, a cell of one is the facility itself, so counts and "
        "single facilities add up to every facility in the bbox. Facilities carry kind asset, id, code, name, "
        "type, open_work and overdue; lines are simplified to the zoom. type: facility types, comma separated; "
        "state: facility statuses (decommissioned ones only when asked for) and open or overdue for work; "
        "area: an area code or id, with everything below it. At most 5000 features, truncated: true when "
        "there were more."),
    parameters=[
        {"name": "bbox", "in": "query", "required": True,
         "schema": {"type": "string", "pattern": r"^-?[0-9.]+,-?[0-9.]+,-?[0-9.]+,-?[0-9.]+$"}},
        {"name": "zoom", "in": "query", "required": True,
         "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ZOOM}},
        {"name": "layers", "in": "query", "schema": _LIST},
        {"name": "type", "in": "query", "schema": _LIST},
        {"name": "state", "in": "query", "schema": _LIST},
        {"name": "area", "in": "query", "schema": {"type": "string"}},
    ],
    responses={"200": {"description": N_("The features"), "content": {"application/geo+json": {"schema": {
        "type": "object", "required": ["type", "features", "truncated"],
        "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                       "bbox": {"type": "array", "items": {"type": "number"}},
                       "zoom": {"type": "integer"}, "truncated": {"type": "boolean"},
                       "features": {"type": "array", "items": _FEATURE}}}}}}},
)
def features():
    query = map_features.parse_query(request.args)
    collection = map_features.features(current_user, query, clock.now())
    return collection, 200, {"Content-Type": "application/geo+json"}
