"""Changes to the registry: facilities, identity codes, scans, photos. Flushes, never commits.

Every function takes the acting user (None for an anonymous scan), checks what the
user may do, validates everything before writing anything, and raises DomainErrors.
"""
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from .. import clock, datebounds
from ..audit.services import diff, pending_changes, record, snapshot
from ..auth.models import User
from ..auth.scope import Scope
from ..errors import ValidationError
from ..extensions import db
from . import map_cells
from ..geo.grid import spatial_columns
from .checks import check_row_version, require_editor
from .geometry import check_geometry
from .identity.services import bind_code, issue_codes, unbound_code
from .models import Area, Asset, ResponsiblePerson, find_area
from .types import (STATUSES, TYPES, Invalid, clean_attributes, parse_chainage, parse_date, person_roles,
                    stored_role)

# Written from the geometry, which the trail already holds.
DERIVED = ("lon", "lat", "geo_key")

ASSET_FIELDS = (
    "type", "name", "area", "status", "owner_unit", "maintenance_unit", "address", "attributes",
    "geometry", "chainage_start", "chainage_end", "in_service_on", "internal_notes", "persons",
)


def _require_place(actor, clean: "CleanAsset", existing: Asset | None = None) -> None:
    """A facility may be registered or moved only where, and of a type, the actor answers for."""
    area_id = clean.values.get("area_id", existing.area_id if existing else None)
    Scope.of(actor).require_place(db.session.get(Area, area_id) if area_id else None, clean.values["type"])


def _say(error: Invalid) -> str:
    return _(error.template, **error.params)


def _dates_out_of_range(asset_type, cleaned: dict) -> dict:
    """{attribute name: OutOfRange} for the cleaned date and period attributes outside the accepted range."""
    problems, today = {}, clock.today()
    for attr in asset_type.attributes:
        value = cleaned.get(attr.name)
        days = [value] if attr.kind == "date" and value else (
            [value["start"], value["end"]] if attr.kind == "period" and value else [])
        for day in days:
            try:
                datebounds.check(date.fromisoformat(day), today)
            except datebounds.OutOfRange as problem:
                problems[attr.name] = problem
                break
    return problems


@dataclass
class CleanAsset:
    values: dict = field(default_factory=dict)
    persons: list | None = None


def clean_asset(data: dict, existing: Asset | None = None, area_lookup=find_area) -> CleanAsset:
    """Check every field of `data`; return typed values or raise one ValidationError naming all bad fields.

    With `existing`, fields absent from `data` keep their current values. `area_lookup` resolves the
    area reference: a bulk import passes a cached find_area, so 100,000 rows are not 100,000 queries.
    """
    errors: dict[str, str] = {}
    out = CleanAsset()
    for key in data:
        if key not in ASSET_FIELDS:
            errors[key] = _("is not a field of a facility")

    type_key = data.get("type", existing.type if existing else None)
    asset_type = TYPES.get(type_key)
    if asset_type is None:
        errors["type"] = _("unknown asset type %(type)s; use one of %(types)s", type=type_key, types=", ".join(TYPES))
        raise ValidationError(_("The facility was not saved: %(n)s field(s) need attention.", n=len(errors)), errors)
    if existing and type_key != existing.type:
        errors["type"] = _("cannot be changed; register a new facility instead")
    out.values["type"] = type_key

    if existing is None or "name" in data:
        name = data.get("name") or ""
        name = name.strip() if isinstance(name, str) else None
        if name is None:
            errors["name"] = _("must be text")
        elif not name:
            errors["name"] = _("is required")
        elif len(name) > 200:
            errors["name"] = _("must be at most 200 characters")
        out.values["name"] = name

    if "area" in data or existing is None:
        area = area_lookup(data.get("area"))
        if data.get("area") not in (None, "") and area is None:
            errors["area"] = _("unknown area %(area)s", area=data.get("area"))
        elif area is not None and area.retired_at is not None and (
                existing is None or area.id != existing.area_id):
            errors["area"] = _("area %(area)s is retired", area=area.code)
        out.values["area_id"] = area.id if area else None

    if "status" in data:
        if data["status"] not in STATUSES:
            errors["status"] = _("must be one of: %(choices)s", choices=", ".join(STATUSES))
        out.values["status"] = data["status"]

    for key, limit in (("owner_unit", 200), ("maintenance_unit", 200), ("address", 300), ("internal_notes", 5000)):
        if key in data:
            value = data[key] if data[key] is not None else ""
            if not isinstance(value, str):
                errors[key] = _("must be text")
            elif len(value) > limit:
                errors[key] = _("must be at most %(n)s characters", n=limit)
            else:
                out.values[key] = value.strip()

    if "attributes" in data or existing is None:
        raw = data.get("attributes") or {}
        if not isinstance(raw, dict):
            errors["attributes"] = _("must be an object of attribute names and values")
        else:
            merged = dict(existing.attributes) if existing and existing.type == type_key else {}
            merged.update(raw)
            cleaned, problems = clean_attributes(type_key, merged)
            for name, problem in problems.items():
                errors[f"attributes.{name}"] = _say(problem)
            for name, problem in _dates_out_of_range(asset_type, cleaned).items():
                errors[f"attributes.{name}"] = _say(problem)
            out.values["attributes"] = cleaned

    if "geometry" in data:
        if data["geometry"] in (None, ""):
            out.values["geometry"] = None
        else:
            try:
                out.values["geometry"] = check_geometry(
                    data["geometry"], asset_type.geometry, current_app.config["DISTRICT_BBOX"]
                )
            except Invalid as problem:
                errors["geometry"] = _say(problem)
        if "geometry" in out.values:
            out.values.update(spatial_columns(out.values["geometry"]))

    for key in ("chainage_start", "chainage_end"):
        if key in data:
            try:
                value = parse_chainage(data[key])
            except Invalid as problem:
                errors[key] = _say(problem)
                continue
            if value is not None and not asset_type.linear:
                errors[key] = _("only linear facilities (pipes, rivers, roads) have a chainage")
            out.values[key + "_m"] = value
    start, end = out.values.get("chainage_start_m"), out.values.get("chainage_end_m")
    if start is not None and end is not None and end < start and "chainage_end" not in errors:
        errors["chainage_end"] = _("must not come before the start")

    if "in_service_on" in data:
        try:
            out.values["in_service_on"] = parse_date(data["in_service_on"]) if data["in_service_on"] else None
            if out.values["in_service_on"] is not None:
                datebounds.check(out.values["in_service_on"], clock.today())
        except (Invalid, datebounds.OutOfRange) as problem:
            errors["in_service_on"] = _say(problem)

    if "persons" in data:
        out.persons = _clean_persons(asset_type, data["persons"] or [], errors)

    if errors:
        raise ValidationError(_("The facility was not saved: %(n)s field(s) need attention.", n=len(errors)), errors)
    return out


def _clean_persons(asset_type, raw, errors) -> list[dict]:
    """The persons as stored. A role is the type's (a river's chief given as `chief` with a `level`, or by the
    level alone, as the persons API names it) or `manager`; a linked user must exist."""
    roles = dict(asset_type.roles)
    allowed = person_roles(asset_type.key)
    persons = []
    if not isinstance(raw, list):
        errors["persons"] = _("must be a list of people")
        return persons
    users = _linked_users(raw)
    for i, person in enumerate(raw):
        where = f"persons.{i}"
        if not isinstance(person, dict):
            errors[where] = _("must be an object with role and name")
            continue
        role, level = person.get("role"), person.get("level") or None
        if role in roles and roles[role]:
            if level not in roles[role]:
                errors[f"{where}.level"] = _("must be one of: %(choices)s", choices=", ".join(roles[role]))
        elif (stored := stored_role(asset_type.key, role if isinstance(role, str) else None)) is not None:
            role, level = stored
        else:
            errors[f"{where}.role"] = _("must be one of: %(choices)s", choices=", ".join(allowed))
        name = person.get("name")
        name = name.strip() if isinstance(name, str) else ""
        if not name:
            errors[f"{where}.name"] = _("is required")
        user_id = person.get("user_id")
        if user_id in ("", None):
            user_id = None
        elif users.get(str(user_id)) is None:
            errors[f"{where}.user_id"] = _("no such user")
        else:
            user_id = users[str(user_id)]
        persons.append({
            "role": role,
            "level": level,
            "name": name[:100],
            "unit": _text(person.get("unit"), 200),
            "position": _text(person.get("position"), 200),
            "phone": _text(person.get("phone"), 40),
            "river_chief_day": bool(person.get("river_chief_day")),
            "user_id": user_id,
        })
    return persons


def _text(value, length: int) -> str:
    return value.strip()[:length] if isinstance(value, str) else ""


def _linked_users(raw: list) -> dict:
    """{given id as text: user id} of the users the persons link to that exist."""
    wanted = {str(p.get("user_id")) for p in raw if isinstance(p, dict) and p.get("user_id") not in (None, "")}
    ids = [int(text) for text in wanted if text.isdigit() and int(text) < 2**31]
    if not ids:
        return {}
    return {str(user_id): user_id for user_id in db.session.scalars(sa.select(User.id).where(User.id.in_(ids)))}


PERSON_FIELDS = ("role", "level", "name", "unit", "position", "phone", "river_chief_day", "user_id")


def _apply(asset: Asset, clean: CleanAsset) -> None:
    for key, value in clean.values.items():
        setattr(asset, key, value)
    if clean.persons is not None:
        changed = [{key: getattr(p, key) for key in PERSON_FIELDS} for p in asset.persons] != clean.persons
        asset.persons = [ResponsiblePerson(**p) for p in clean.persons]
        if changed and asset.id is not None:
            # The facility's version counts changes of its own row, and new people change none of it: touch
            # it, so that the version moves on (the public card is cached by it) and a stale form is refused.
            asset.updated_at = clock.now()


def create_asset(actor, data: dict, code: str | None = None, is_demo: bool = False) -> Asset:
    """Register a facility and bind an identity code: `code` (an unbound one) or a new one."""
    require_editor(actor)
    clean = clean_asset(data)
    _require_place(actor, clean)
    unbound = unbound_code(code, clean.values["type"]) if code else None
    asset = Asset(is_demo=is_demo)
    _apply(asset, clean)
    db.session.add(asset)
    db.session.flush()
    map_cells.changed([(None, map_cells.place_of(asset))])
    record(actor, "asset", asset.id, "create", diff({}, snapshot(asset, DERIVED)))
    bind_code(actor, unbound or issue_codes(actor, asset.type, 1)[0], asset)
    return asset


def update_asset(actor, asset: Asset, data: dict, version: int | None) -> Asset:
    """Change a facility. `version` must be the one the user saw; a stale one is a Conflict."""
    require_editor(actor, asset)
    check_version(asset, version)
    before = snapshot(asset, DERIVED)
    was = map_cells.place_of(asset)
    clean = clean_asset(data, existing=asset)
    _require_place(actor, clean, asset)
    _apply(asset, clean)
    record(actor, "asset", asset.id, "update", diff(before, snapshot(asset, DERIVED)))
    db.session.flush()
    map_cells.changed([(was, map_cells.place_of(asset))])
    return asset


def retire_asset(actor, asset: Asset, version: int | None) -> Asset:
    """Mark a facility decommissioned. Its record, codes and history stay."""
    require_editor(actor, asset)
    check_version(asset, version)
    was = map_cells.place_of(asset)
    asset.status = "decommissioned"
    record(actor, "asset", asset.id, "retire", pending_changes(asset))
    db.session.flush()
    map_cells.changed([(was, map_cells.place_of(asset))])
    return asset


def check_version(asset: Asset, version) -> None:
    check_row_version(asset, version, _("Someone else changed this facility since you opened it (version "
                                         "%(theirs)s, yours %(yours)s). Reload it and apply your change again."))


