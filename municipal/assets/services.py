"""Changes to the registry: facilities, identity codes, scans, photos. Flushes, never commits.

Every function takes the acting user (None for an anonymous scan), checks what the
user may do, validates everything before writing anything, and raises DomainErrors.
"""
import re
import secrets
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from .. import clock, datebounds
from ..audit.services import diff, pending_changes, record, snapshot
from ..auth.scope import Scope, require_supervisor
from ..db import as_id, utcnow
from ..errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..extensions import db
from . import codes, scanlog
from .geometry import check_geometry
from .models import Area, Asset, CodeEvent, IdentityCode, PrintBatch, PrintBatchItem, ResponsiblePerson, ScanPosition
from .types import (
    AREA_LEVELS, CODE_STATUSES, PREFIXES, STATUSES, TYPES, Invalid, clean_attributes, parse_chainage, parse_date,
)

ASSET_FIELDS = (
    "type", "name", "area", "status", "owner_unit", "maintenance_unit", "address", "attributes",
    "geometry", "chainage_start", "chainage_end", "in_service_on", "internal_notes", "persons",
)


def require_editor(actor, *objects) -> None:
    """Refused unless the actor may change the registry, and these facilities (or areas) in particular."""
    require_supervisor(actor, *objects, message=_("Only supervisors and administrators may change the registry."))


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


def find_area(ref) -> Area | None:
    """An area by its code, its id, or its exact Chinese or English name."""
    if ref is None or ref == "":
        return None
    text = str(ref).strip()
    query = sa.select(Area).where(sa.or_(Area.code == text, Area.name == text, Area.name_en == text))
    if text.isdigit() and int(text) < 2**31:  # ids are 32-bit integers on PostgreSQL
        query = sa.select(Area).where(sa.or_(Area.id == int(text), Area.code == text))
    return db.session.scalars(query).first()


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
    roles = dict(asset_type.roles)
    allowed = set(roles) | {"manager"}
    persons = []
    if not isinstance(raw, list):
        errors["persons"] = _("must be a list of people")
        return persons
    for i, person in enumerate(raw):
        where = f"persons.{i}"
        if not isinstance(person, dict):
            errors[where] = _("must be an object with role and name")
            continue
        role, level = person.get("role"), person.get("level") or None
        if role not in allowed:
            errors[f"{where}.role"] = _("must be one of: %(choices)s", choices=", ".join(sorted(allowed)))
        elif roles.get(role) and level not in roles[role]:
            errors[f"{where}.level"] = _("must be one of: %(choices)s", choices=", ".join(roles[role]))
        name = (person.get("name") or "").strip()
        if not name:
            errors[f"{where}.name"] = _("is required")
        persons.append({
            "role": role,
            "level": level,
            "name": name[:100],
            "position": (person.get("position") or "").strip()[:200],
            "phone": (person.get("phone") or "").strip()[:40],
            "river_chief_day": bool(person.get("river_chief_day")),
        })
    return persons


def _apply(asset: Asset, clean: CleanAsset) -> None:
    for key, value in clean.values.items():
        setattr(asset, key, value)
    if clean.persons is not None:
        asset.persons = [ResponsiblePerson(**p) for p in clean.persons]


def create_asset(actor, data: dict, code: str | None = None, is_demo: bool = False) -> Asset:
    """Register a facility and bind an identity code: `code` (an unbound one) or a new one."""
    require_editor(actor)
    clean = clean_asset(data)
    _require_place(actor, clean)
    unbound = _unbound_code(code, clean.values["type"]) if code else None
    asset = Asset(is_demo=is_demo)
    _apply(asset, clean)
    db.session.add(asset)
    db.session.flush()
    record(actor, "asset", asset.id, "create", diff({}, snapshot(asset)))
    bind_code(actor, unbound or issue_codes(actor, asset.type, 1)[0], asset)
    return asset


def update_asset(actor, asset: Asset, data: dict, version: int | None) -> Asset:
    """Change a facility. `version` must be the one the user saw; a stale one is a Conflict."""
    require_editor(actor, asset)
    check_version(asset, version)
    before = snapshot(asset)
    clean = clean_asset(data, existing=asset)
    _require_place(actor, clean, asset)
    _apply(asset, clean)
    record(actor, "asset", asset.id, "update", diff(before, snapshot(asset)))
    db.session.flush()
    return asset


def retire_asset(actor, asset: Asset, version: int | None) -> Asset:
    """Mark a facility decommissioned. Its record, codes and history stay."""
    require_editor(actor, asset)
    check_version(asset, version)
    asset.status = "decommissioned"
    record(actor, "asset", asset.id, "retire", pending_changes(asset))
    db.session.flush()
    return asset


def _version_number(version) -> int:
    if version is None:
        raise ValidationError(_("The version you edited is required."), {"version": _("is required")})
    try:
        return int(version)
    except (TypeError, ValueError):
        raise ValidationError(_("The version must be a number."), {"version": _("must be a number")}) from None


def check_version(asset: Asset, version) -> None:
    _check(asset, version, _("Someone else changed this facility since you opened it (version %(theirs)s, yours "
                             "%(yours)s). Reload it and apply your change again."))


def _check(row, version, message: str) -> None:
    """409 with the row's current version when `version` is not it; `message` has %(theirs)s and %(yours)s."""
    version = _version_number(version)
    if version != row.version:
        raise Conflict(message % {"theirs": row.version, "yours": version}, {"version": _("is stale")},
                       current={"id": row.id, "version": row.version})


def get_asset(asset_id) -> Asset:
    asset = db.session.get(Asset, as_id(asset_id)) if as_id(asset_id) else None
    if asset is None:
        raise NotFound(_("There is no facility %(id)s.", id=asset_id))
    return asset


def visible_asset(actor, asset_id) -> Asset:
    """The facility, if the actor may see it; one beyond their areas or types is refused, a 403."""
    asset = get_asset(asset_id)
    Scope.of(actor).require(asset)
    return asset


# --- areas ----------------------------------------------------------------------

AREA_FIELDS = ("code", "name", "name_en", "level", "parent")
# Area codes go into URLs (/api/v1/areas/by-code/…), filters and CSV columns.
AREA_CODE = re.compile(r"[0-9A-Za-z_-]{1,32}")


def require_admin(actor) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Please sign in."))
    if actor.role != "admin":
        raise PermissionDenied(_("Only administrators may change the areas."))


def get_area(area_id) -> Area:
    area = db.session.get(Area, as_id(area_id)) if as_id(area_id) else None
    if area is None:
        raise NotFound(_("There is no area %(id)s.", id=area_id))
    return area


def get_area_by_code(code: str) -> Area:
    area = db.session.scalar(sa.select(Area).where(Area.code == code.strip()))
    if area is None:
        raise NotFound(_("There is no area %(id)s.", id=code))
    return area


def _rank(level: str) -> int:
    return AREA_LEVELS.index(level)


def clean_area(data: dict, existing: Area | None = None) -> dict:
    """Check every field of `data`; return the values to set or raise one ValidationError naming all bad fields.

    With `existing`, fields absent from `data` keep their current values. The tree stays a tree: the parent
    exists, is not retired, is not the area itself or below it, and every level lies below its parent's.
    """
    errors: dict[str, str] = {}
    values: dict = {}
    for key in data:
        if key not in AREA_FIELDS:
            errors[key] = _("is not a field of an area")

    for key, limit, required in (("code", 32, True), ("name", 100, True), ("name_en", 100, False)):
        if key not in data and existing is not None:
            continue
        value = data.get(key) if data.get(key) is not None else ""
        if not isinstance(value, str):
            errors[key] = _("must be text")
            continue
        value = value.strip()
        if required and not value:
            errors[key] = _("is required")
        elif len(value) > limit:
            errors[key] = _("must be at most %(n)s characters", n=limit)
        elif key == "code" and not AREA_CODE.fullmatch(value):
            errors[key] = _("may hold only letters, digits, - and _")
        values[key] = value

    level = data.get("level", existing.level if existing else None)
    if level not in AREA_LEVELS:
        errors["level"] = _("must be one of: %(choices)s", choices=", ".join(AREA_LEVELS))
    elif existing is None or "level" in data:
        values["level"] = level

    parent = existing.parent if existing else None
    if "parent" in data:
        ref = data["parent"]
        parent = None if ref in (None, "") else find_area(ref) if isinstance(ref, (str, int)) else None
        if ref not in (None, "") and parent is None:
            errors["parent"] = _("unknown area %(area)s", area=ref)
        elif parent is not None and parent.retired_at is not None and (
                existing is None or parent is not existing.parent):
            errors["parent"] = _("area %(area)s is retired", area=parent.code)
        elif parent is not None and existing is not None and parent.path.startswith(existing.path):
            errors["parent"] = _("cannot be the area itself or an area below it")
        values["parent"] = parent

    if level in AREA_LEVELS and "parent" not in errors:
        if parent is None and level != AREA_LEVELS[0]:
            errors["parent"] = _("is required below the district level")
        elif parent is not None and _rank(level) <= _rank(parent.level):
            errors["level"] = _("must lie below the parent's level (%(level)s)", level=parent.level)
        elif existing is not None and "level" in values:
            child_levels = db.session.scalars(sa.select(Area.level).where(Area.parent_id == existing.id).distinct())
            if any(_rank(level) >= _rank(child) for child in child_levels if child in AREA_LEVELS):
                errors["level"] = _("must lie above the levels of the areas below it")

    if errors:
        raise ValidationError(_("The area was not saved: %(n)s field(s) need attention.", n=len(errors)), errors)
    if "code" in values and (existing is None or values["code"] != existing.code):
        if db.session.scalar(sa.select(Area.id).where(Area.code == values["code"])):
            raise _code_taken(values["code"])
    return values


def _code_taken(code: str) -> Conflict:
    return Conflict(_("There is already an area with the code %(code)s.", code=code), {"code": _("already taken")})


def create_area(actor, data: dict) -> Area:
    require_admin(actor)
    values = clean_area(data)
    area = Area(**values)
    try:
        # A savepoint: another writer taking the same code at the same moment is a Conflict, not a 500.
        with db.session.begin_nested():
            db.session.add(area)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise _code_taken(values["code"]) from None
    # The path needs the id, which exists only after the flush.
    area.path = f"{area.parent.path if area.parent else '/'}{area.id}/"
    db.session.flush()
    record(actor, "area", area.id, "create", diff({}, snapshot(area)))
    return area


def update_area(actor, area: Area, data: dict, version) -> Area:
    """Change an area. Moved under another parent, it takes everything below it along."""
    require_admin(actor)
    check_area_version(area, version)
    before = snapshot(area)
    values = clean_area(data, existing=area)
    old_path = area.path
    try:
        # A savepoint: another writer taking the same code at the same moment is a Conflict, not a 500.
        with db.session.begin_nested():
            for key, value in values.items():
                setattr(area, key, value)
            area.path = f"{area.parent.path if area.parent else '/'}{area.id}/"
            area.version += 1
    except sa.exc.IntegrityError:
        raise _code_taken(values["code"]) from None
    if area.path != old_path:
        # The paths below follow in one statement; they are derived from the parents, so not audited apiece.
        table = Area.__table__
        db.session.execute(
            sa.update(table)
            .where(table.c.path.startswith(old_path), table.c.id != area.id)
            .values(path=sa.literal(area.path) + sa.func.substr(table.c.path, len(old_path) + 1))
        )
        for other in list(db.session.identity_map.values()):
            if isinstance(other, Area) and other is not area:
                db.session.expire(other, ["path"])
    record(actor, "area", area.id, "update", diff(before, snapshot(area)))
    return area


def retire_area(actor, area: Area, version) -> Area:
    """Retire an area no facility in service and no area in use lies in. It stays on file, named by the
    decommissioned facilities, past events and audit entries that refer to it; nothing new may use it."""
    require_admin(actor)
    check_area_version(area, version)
    if area.retired_at is not None:
        raise Conflict(_("Area %(area)s is already retired.", area=area.code), {"version": _("already retired")},
                       current={"id": area.id, "version": area.version})
    facilities = db.session.scalar(sa.select(sa.func.count()).select_from(Asset).where(
        Asset.area_id == area.id, Asset.status != "decommissioned"))
    children = db.session.scalar(sa.select(sa.func.count()).select_from(Area).where(
        Area.parent_id == area.id, Area.retired_at.is_(None)))
    if facilities or children:
        fields = {}
        if facilities:
            fields["facilities"] = _("facilities that are not decommissioned still lie in it (%(n)s)", n=facilities)
        if children:
            fields["areas"] = _("areas below it are not retired yet (%(n)s)", n=children)
        raise Conflict(_("Area %(area)s is still in use: move or retire what lies in it first.", area=area.code),
                       fields, current={"id": area.id, "version": area.version,
                                        "facilities": facilities, "areas": children})
    area.retired_at = utcnow()
    area.version += 1
    record(actor, "area", area.id, "retire", pending_changes(area))
    db.session.flush()
    return area


def check_area_version(area: Area, version) -> None:
    _check(area, version, _("Someone else changed this area since you opened it (version %(theirs)s, yours "
                            "%(yours)s). Reload it and apply your change again."))


# --- identity codes -------------------------------------------------------------

def parse_code(text: str, field_name: str = "code") -> str:
    """The canonical form of `text`, or a ValidationError saying what is wrong with it."""
    try:
        return codes.normalize(text or "", PREFIXES)
    except codes.CodeError as error:
        messages = {
            "bad_length": _("%(text)s is not a code like RSV-7K3Q9-G", text=text),
            "unknown_prefix": _("%(text)s does not start with a known type prefix", text=text),
            "bad_character": _("%(text)s contains a character codes never use", text=text),
            "bad_check": _("the check character of %(text)s does not match; the code was mistyped", text=text),
        }
        raise ValidationError(messages[error.reason], {field_name: messages[error.reason]}) from None


def get_code(text: str) -> IdentityCode:
    canonical = parse_code(text)
    code = db.session.scalar(sa.select(IdentityCode).where(IdentityCode.code == canonical))
    if code is None:
        raise NotFound(_("There is no code %(code)s.", code=canonical))
    return code


def _unbound_code(text: str, type_key: str) -> IdentityCode:
    code = get_code(text)
    check_unbound(code, type_key)
    return code


def check_unbound(code: IdentityCode, type_key: str) -> None:
    """Raise unless `code` may be bound to a new facility of type `type_key`."""
    if code.status != "unbound":
        raise Conflict(_("Code %(code)s is already %(status)s.", code=code.code, status=_(CODE_STATUSES[code.status])),
                       {"code": _("is not free")})
    if PREFIXES[code.prefix] != type_key:
        raise ValidationError(_("Code %(code)s is for another type of facility.", code=code.code),
                              {"code": _("is for another type")})


def issue_codes(actor, type_key: str, count: int) -> list[IdentityCode]:
    """New unbound codes for `type_key`: random, unique, never issued before."""
    require_editor(actor)
    if type_key not in TYPES:
        raise ValidationError(_("Unknown asset type %(type)s.", type=type_key), {"type": _("unknown")})
    if not 1 <= count <= 10000:
        raise ValidationError(_("Between 1 and 10000 codes at a time."), {"count": _("out of range")})
    prefix = TYPES[type_key].prefix
    fresh: set[str] = set()
    while len(fresh) < count:
        wanted = {codes.generate(prefix) for _ in range(count - len(fresh))} - fresh
        taken = set(db.session.scalars(sa.select(IdentityCode.code).where(IdentityCode.code.in_(wanted))))
        fresh |= wanted - taken
    issued = [IdentityCode(code=c, prefix=prefix) for c in sorted(fresh)]
    db.session.add_all(issued)
    db.session.flush()
    db.session.add_all(CodeEvent(code_id=c.id, action="issued", user_id=actor.id) for c in issued)
    db.session.flush()
    for c in issued:
        record(actor, "code", c.code, "issue", {"status": [None, c.status]})
    return issued


def bind_code(actor, code: IdentityCode, asset: Asset) -> IdentityCode:
    """Bind an unbound code; a code the facility had before is revoked, pointing at this one."""
    require_editor(actor, asset)
    check_unbound(code, asset.type)
    previous = asset.code
    code.status, code.asset_id, code.bound_at = "bound", asset.id, utcnow()
    db.session.add(CodeEvent(code_id=code.id, asset_id=asset.id, action="bound", user_id=actor.id))
    db.session.flush()
    record(actor, "asset", asset.id, "bind", {"code": [previous.code if previous else None, code.code]})
    if previous is not None:
        _revoke(actor, previous, _("replaced by %(code)s", code=code.code), code)
    db.session.expire(asset, ["code"])
    return code


def revoke_code(actor, code: IdentityCode, reason: str, replacement: IdentityCode | None = None) -> IdentityCode:
    """Revoke a code (a damaged or lost label). A bound code gets a replacement bound in its place,
    new unless one is given; the replacement is returned."""
    require_editor(actor, *([code.asset] if code.asset is not None else []))
    if code.status == "revoked":
        raise Conflict(_("Code %(code)s is already revoked.", code=code.code), {"code": _("already revoked")})
    if not (reason or "").strip():
        raise ValidationError(_("Say why the code is revoked."), {"reason": _("is required")})
    if code.asset is None:
        _revoke(actor, code, reason, replacement)
        return replacement
    asset = code.asset
    replacement = replacement or issue_codes(actor, asset.type, 1)[0]
    # Revoke first so the facility never has two bound codes, then bind the replacement.
    _revoke(actor, code, reason, replacement)
    db.session.expire(asset, ["code"])
    return bind_code(actor, replacement, asset)


def _revoke(actor, code: IdentityCode, reason: str, replacement: IdentityCode | None) -> None:
    code.status, code.revoked_at, code.revoked_reason = "revoked", utcnow(), reason.strip()[:300]
    code.replaced_by_id = replacement.id if replacement else None
    record(actor, "code", code.code, "revoke", pending_changes(code))
    db.session.add(CodeEvent(code_id=code.id, asset_id=code.asset_id, action="revoked", user_id=actor.id, note=reason[:300]))
    db.session.flush()


# --- scans ----------------------------------------------------------------------

def record_scan(code_id, asset_id, scanned_text: str, user, user_agent: str) -> str:
    """Log one scan and return the token that names it. Queued, not written here: see scanlog.py."""
    token = secrets.token_urlsafe(16)
    scanlog.writer_for(current_app).add({
        "token": token,
        "code_id": code_id,
        "asset_id": asset_id,
        "scanned_text": scanned_text[:64],
        "at": utcnow(),
        "user_id": user.id if user is not None and user.is_authenticated else None,
        "user_agent": (user_agent or "")[:300],
    })
    return token


def record_scan_position(scan_token: str, lon, lat, accuracy) -> None:
    """The phone's position, sent after the page was allowed to read it. The first one sent counts."""
    errors = {}
    try:
        lon, lat = float(lon), float(lat)
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError
    except (TypeError, ValueError):
        errors["position"] = _("must be a longitude and latitude")
    try:
        accuracy = float(accuracy) if accuracy not in (None, "") else None
    except (TypeError, ValueError):
        errors["accuracy"] = _("must be a number of metres")
    if errors:
        raise ValidationError(_("The position was not recorded."), errors)
    try:
        with db.session.begin_nested():
            db.session.add(ScanPosition(scan_token=scan_token, lon=lon, lat=lat, accuracy_m=accuracy))
    except sa.exc.IntegrityError:
        pass  # the page sent it twice


def record_print_batch(actor, preset: str, code_ids: list[int], selection: str) -> PrintBatch:
    batch = PrintBatch(user_id=actor.id if actor else None, preset=preset, label_count=len(code_ids),
                       selection=selection[:500])
    db.session.add(batch)
    db.session.flush()
    db.session.execute(sa.insert(PrintBatchItem), [{"batch_id": batch.id, "code_id": c} for c in code_ids])
    # In each code's own history too, where a facility's page shows it.
    db.session.execute(sa.insert(CodeEvent), [{"code_id": c, "action": "printed", "at": batch.created_at or utcnow(),
                                               "user_id": batch.user_id, "note": f"#{batch.id}"} for c in code_ids])
    return batch
