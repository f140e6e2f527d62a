"""What the persons API reads and answers."""
from marshmallow import Schema, fields

from ..api import MAX_ID, ApiSchema, between
from ..assets.schemas import PersonSchema


class FacilityPersonInSchema(ApiSchema):
    role = fields.String(required=True, metadata={
        "description": "reservoirs: administrative, technical, patrol; rivers: district, township, village, "
                       "river_keeper; roads: county, township, village; old buildings: building_chief; public "
                       "toilets: toilet_chief; any facility: manager"})
    name = fields.String(required=True)
    unit = fields.String(allow_none=True, metadata={"description": "the person's unit (单位)"})
    position = fields.String(allow_none=True)
    phone = fields.String(allow_none=True, metadata={
        "description": "the number shown publicly (公示): an office or duty line, never a private mobile"})
    user_id = fields.Integer(allow_none=True, validate=between(1, MAX_ID),
                             metadata={"description": "the person's user account, if any"})
    river_chief_day = fields.Boolean(metadata={"description": "river chiefs: takes part in river chief day"})


class FacilityPersonsInSchema(ApiSchema):
    persons = fields.List(fields.Nested(FacilityPersonInSchema), required=True, metadata={"description": "replaces the list"})
    version = fields.Integer(allow_none=True, metadata={
        "description": "the facility's version you read; a stale one is a 409. Without it, the list is replaced"})


class FacilityPersonSchema(PersonSchema):
    """A person as the facility's persons API names them: a chief's level is in the role itself."""

    class Meta:
        exclude = ("level",)


class FacilityPersonsSchema(Schema):
    persons = fields.List(fields.Nested(FacilityPersonSchema))
    version = fields.Integer(metadata={"description": "the facility's version"})
