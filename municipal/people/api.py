"""REST API v1 for a facility's responsible persons."""
from flask_login import current_user

from ..api import MAX_ID, ApiBlueprint
from ..assets import lookup

from ..i18n import N_
from ..permissions import roles, signed_in
from . import services
from .schemas import FacilityPersonsInSchema, FacilityPersonsSchema

ASSET_ID = f"<int(max={MAX_ID}):asset_id>"

bp = ApiBlueprint("people_api", __name__, description=N_("Responsible persons"))


def blueprints():
    return [bp]


def _answer(asset) -> dict:
    return {"persons": services.person_dicts(asset), "version": asset.version}


@bp.route(f"/assets/{ASSET_ID}/persons")
@signed_in
@bp.doc(summary=N_("A facility's responsible persons"),
        description=N_("A reservoir's three responsible persons, a river's or road's chiefs by level, an old "
                       "building's or a public toilet's chief. `phone` is the number shown publicly."))
@bp.response(200, FacilityPersonsSchema)
def get_persons(asset_id):
    return _answer(lookup.visible_asset(current_user, asset_id))


@bp.route(f"/assets/{ASSET_ID}/persons", methods=["PUT"])
@roles("admin", "supervisor")
@bp.doc(summary=N_("Replace a facility's responsible persons"),
        description=N_("An unknown role for the facility's type, or a person without a name, is a 422 naming "
                       "the person's index and field (`persons.0.name`)."))
@bp.arguments(FacilityPersonsInSchema)
@bp.response(200, FacilityPersonsSchema)
def put_persons(data, asset_id):
    asset = services.set_persons(current_user, lookup.find_asset(asset_id), data["persons"], data.get("version"))
    return _answer(asset)
