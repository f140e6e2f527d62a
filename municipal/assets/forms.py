"""HTML forms for facilities, built per type from the type's attribute declarations."""
import json

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from .card import plain_number
from .types import LEVEL_LABELS, ROLE_LABELS, STATUSES, AssetType, value_label

PERSON_ROWS_SPARE = 2


def options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


# The service checks every value against the type's rules; the forms only carry them.
class PersonForm(Form):
    role = SelectField(_l("Role"), choices=[], validate_choice=False)
    level = SelectField(_l("Level"), choices=[], validate_choice=False)
    name = StringField(_l("Person's name"))
    unit = StringField(_l("Unit"))
    position = StringField(_l("Post"))
    phone = StringField(_l("Public phone (office or duty line)"))
    user_id = HiddenField()
    river_chief_day = BooleanField(_l("Takes part in river chief day"))


class PhotoForm(FlaskForm):
    photo = FileField(_l("Photo"))
    caption = StringField(_l("Caption"))


class RevokeForm(FlaskForm):
    reason = StringField(_l("Why is the code revoked?"))


class BindForm(FlaskForm):
    asset = StringField(_l("Facility (its id or current code)"))


def asset_form(asset_type: AssetType, areas, obj_data: dict | None = None) -> FlaskForm:
    """A form for one facility of `asset_type`; `obj_data` pre-fills it from a facility."""

    class AssetForm(FlaskForm):
        version = HiddenField()
        name = StringField(_l("Name"))
        area = SelectField(_l("Area"), choices=options([("", "—")] + list(areas)), validate_choice=False)
        status = SelectField(_l("Status"), choices=options((k, _(v)) for k, v in STATUSES.items()), validate_choice=False)
        owner_unit = StringField(_l("Owner unit"))
        maintenance_unit = StringField(_l("Maintenance unit"))
        address = StringField(_l("Address or location"))
        in_service_on = StringField(_l("In service since (YYYY-MM-DD)"))
        internal_notes = TextAreaField(_l("Internal notes (staff only)"))

    if asset_type.linear:
        AssetForm.geometry = TextAreaField(_l("Course as GeoJSON LineString (WGS84)"))
        AssetForm.chainage_start = StringField(_l("Start chainage (e.g. K0+000)"))
        AssetForm.chainage_end = StringField(_l("End chainage (e.g. K1+250)"))
    else:
        AssetForm.lon = StringField(_l("Longitude"))
        AssetForm.lat = StringField(_l("Latitude"))
    for attr in asset_type.attributes:
        label = _(attr.label) + (f" ({attr.unit})" if attr.unit else "")
        if attr.kind == "choice":
            field = SelectField(label, choices=options([("", "—")] + [(c, value_label(c, _)) for c in attr.choices]), validate_choice=False)
        elif attr.kind == "period":
            setattr(AssetForm, f"attr_{attr.name}_start", StringField(label + " · " + _("start")))
            field = StringField(label + " · " + _("end"))
            setattr(AssetForm, f"attr_{attr.name}_end", field)
            continue
        else:
            field = StringField(label)
        setattr(AssetForm, f"attr_{attr.name}", field)

    persons = (obj_data or {}).get("persons", [])
    AssetForm.persons = FieldList(FormField(PersonForm), min_entries=len(persons) + PERSON_ROWS_SPARE)
    form = AssetForm(data=_form_data(asset_type, obj_data) if obj_data else None)
    roles = dict(asset_type.roles) or {}
    role_choices = [("", "—")] + [(r, _(ROLE_LABELS[r])) for r in list(roles) + ["manager"]]
    level_choices = [("", "—")] + [
        (level, _(LEVEL_LABELS[level])) for levels in roles.values() for level in levels
    ]
    for entry in form.persons:
        entry.form.role.choices = options(role_choices)
        entry.form.level.choices = options(level_choices)
    return form


def _form_data(asset_type: AssetType, data: dict) -> dict:
    out = {k: v for k, v in data.items() if k not in ("attributes", "geometry", "persons")}
    geometry = data.get("geometry")
    if asset_type.linear:
        out["geometry"] = json.dumps(geometry, ensure_ascii=False) if geometry else ""
    elif geometry:
        out["lon"], out["lat"] = geometry["coordinates"][:2]
    for attr in asset_type.attributes:
        value = data.get("attributes", {}).get(attr.name)
        if attr.kind == "period":
            out[f"attr_{attr.name}_start"] = (value or {}).get("start", "")
            out[f"attr_{attr.name}_end"] = (value or {}).get("end", "")
        else:
            out[f"attr_{attr.name}"] = "" if value is None else plain_number(value)
    out["persons"] = data.get("persons", [])
    return out


def form_to_data(asset_type: AssetType, form) -> dict:
    """The service's input dict from a submitted form. Values stay as typed: the service validates."""
    data = {
        key: getattr(form, key).data
        for key in ("name", "area", "status", "owner_unit", "maintenance_unit", "address", "in_service_on",
                    "internal_notes")
    }
    if asset_type.linear:
        data["chainage_start"] = form.chainage_start.data
        data["chainage_end"] = form.chainage_end.data
        text = (form.geometry.data or "").strip()
        try:
            data["geometry"] = json.loads(text) if text else None
        except ValueError:
            data["geometry"] = text  # the service names it as not GeoJSON
    elif (form.lon.data or "").strip() or (form.lat.data or "").strip():
        data["geometry"] = {"type": "Point", "coordinates": [_number(form.lon.data), _number(form.lat.data)]}
    else:
        data["geometry"] = None
    attributes = {}
    for attr in asset_type.attributes:
        if attr.kind == "period":
            start = getattr(form, f"attr_{attr.name}_start").data
            end = getattr(form, f"attr_{attr.name}_end").data
            attributes[attr.name] = {"start": start, "end": end} if (start or end) else None
        else:
            attributes[attr.name] = getattr(form, f"attr_{attr.name}").data
    data["attributes"] = attributes
    data["persons"] = [
        {k: v for k, v in entry.data.items() if k != "csrf_token"}
        for entry in form.persons
        if (entry.form.name.data or "").strip()
    ]
    return data


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return text


def field_errors(fields: dict) -> dict:
    """Service field names (attributes.capacity_m3, persons.0.name) as form field names."""
    out = {}
    for key, message in fields.items():
        name = key.replace("attributes.", "attr_")
        if name.startswith("persons."):
            name = name.replace(".", "-")
        if name == "geometry":
            out["lon"] = out["lat"] = message
        out[name] = message
    return out
