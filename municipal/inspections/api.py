"""REST API for inspection records and checklist templates.

A phone submits a work order's checklist as multipart form data, the same fields as the record
page, with its client UUID in the `Idempotency-Key` header: the first submission answers 201, a
repeat 200 with the same record.
"""
from flask import request
from flask_login import current_user

from ..api import ApiBlueprint
from ..i18n import N_
from ..permissions import roles, signed_in
from ..workorders import access as workorders_access
from ..workorders.checklists import active_templates
from . import services, uploads
from .schemas import ChecklistListSchema, InspectionListSchema, InspectionSchema, StagedPhotoSchema
from .views import submission_from, submit_once

inspections_bp = ApiBlueprint("inspections_api", __name__, description=N_("Inspections and checklists"))

_MULTIPART = {"content": {"multipart/form-data": {"schema": {
    "type": "object",
    "properties": {
        "item.<key>": {"type": "string", "description": "the answer to a checklist item: pass or fail, a number, "
                                                          "a choice's key or a note"},
        "photo.<key>": {"type": "string", "format": "binary", "description": "photos of an item (repeatable)"},
        "photos": {"type": "string", "format": "binary", "description": "photos of the whole visit (repeatable)"},
        "photo_ref.<key>": {"type": "string", "format": "uuid",
                            "description": "the client id of a photo of an item sent ahead to /inspection-photos"},
        "photos_ref": {"type": "string", "format": "uuid",
                       "description": "the client id of a photo of the visit sent ahead (repeatable)"},
        "repair.<key>": {"type": "string", "description": "any value: a problem here needs repair work"},
        "notes": {"type": "string"}, "time_spent_min": {"type": "integer"},
        "cost_yuan": {"type": "string", "description": "what the work cost, in yuan (to the fen)"},
        "latitude": {"type": "number"}, "longitude": {"type": "number"}, "accuracy_m": {"type": "number"},
        "start_latitude": {"type": "number", "description": "where the phone was when the record was started"},
        "start_longitude": {"type": "number"}, "start_accuracy_m": {"type": "number"},
        "note.<key>": {"type": "string", "description": "a note on an item with a problem"},
    },
}}}}


def blueprints():
    return [inspections_bp]


@inspections_bp.route("/work-orders/<int:order_id>/inspections", methods=["POST"])
@roles("admin", "supervisor", "crew")
@inspections_bp.doc(
    summary=N_("Submit a work order's checklist"),
    description=N_("Completes the work order. Send the client's UUID in the Idempotency-Key header: "
                   "a repeat returns the first record with status 200 and creates nothing."),
    parameters=[{"in": "header", "name": "Idempotency-Key", "required": True, "schema": {"type": "string",
                                                                                           "format": "uuid"}}],
    requestBody=_MULTIPART,
)
@inspections_bp.response(201, InspectionSchema)
@inspections_bp.alt_response(200, schema=InspectionSchema, description="a repeat: the first record")
def submit(order_id):
    data = submission_from(request.form, request.files, request.headers.get("Idempotency-Key", ""), current_user.id)
    inspection, created = submit_once(current_user, order_id, data)
    return inspection, 201 if created else 200


@inspections_bp.route("/inspection-photos", methods=["POST"])
@roles("admin", "supervisor", "crew")
@inspections_bp.doc(
    summary=N_("Send a photo ahead of its record"),
    description=N_("A phone on a bad line sends each photo on its own, with the photo's own client UUID in the "
                   "Idempotency-Key header, then the record naming it (photo_ref.<key> or photos_ref). A repeat "
                   "answers 200 and stores nothing."),
    parameters=[{"in": "header", "name": "Idempotency-Key", "required": True, "schema": {"type": "string",
                                                                                           "format": "uuid"}}],
    requestBody={"content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["photo"],
        "properties": {"photo": {"type": "string", "format": "binary", "description": "a JPEG, PNG or WebP photo"},
                       "taken_at": {"type": "integer", "description": "when it was taken, ms since 1970"},
                       "latitude": {"type": "number", "minimum": -90, "maximum": 90,
                                    "description": "where it was taken"},
                       "longitude": {"type": "number", "minimum": -180, "maximum": 180}},
    }}}},
)
@inspections_bp.response(201, StagedPhotoSchema)
@inspections_bp.alt_response(200, schema=StagedPhotoSchema, description="a repeat: already received")
def stage_photo():
    key = uploads.client_key(request.headers.get("Idempotency-Key", ""))
    created, (width, height) = uploads.stage(current_user.id, key, request.files.get("photo"),
                                             uploads.photo_facts(request.form))
    return {"key": key, "width": width, "height": height}, 201 if created else 200


@inspections_bp.route("/work-orders/<int:order_id>/inspections")
@signed_in
@inspections_bp.doc(summary=N_("A work order's inspection records"))
@inspections_bp.response(200, InspectionListSchema)
def list_inspections(order_id):
    order = workorders_access.get_work_order(current_user, order_id)
    return {"items": services.inspections_of_order(order.id)}


@inspections_bp.route("/checklists")
@signed_in
@inspections_bp.doc(summary=N_("The current checklist templates"),
                    description=N_("A phone can keep them to fill in checklists without a connection."))
@inspections_bp.response(200, ChecklistListSchema)
def list_checklists():
    return {"items": active_templates()}
