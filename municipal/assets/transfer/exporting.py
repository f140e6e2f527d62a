"""Exports of the registry: CSV for spreadsheets, GeoJSON for GIS. They stream: the registry is read in keyset
chunks and rows are written as they go."""
import csv
import json

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ...errors import ValidationError
from ...extensions import db
from ..identity.qr import qr_url
from ..models import Area, Asset, IdentityCode, ResponsiblePerson, find_area
from ..types import TYPES, format_chainage
from .columns import (ALL_COLUMNS, CHUNK, COLUMNS, PROGRESS_EVERY, STATUS_LABELS, TYPE_LABELS, guard, no_progress,
                      person_cells)


def export_csv(stream, asset_type: str | None = None, area: str | None = None, headers: str = "zh",
               progress=no_progress) -> int:
    """Write the facilities as CSV to a text stream; return how many.

    The file starts with a BOM so that Excel reads it as UTF-8. With headers="zh" the header
    row, types, statuses and areas are Chinese names, with "en" English keys and area codes;
    both import back.
    """
    fields = list(COLUMNS) + [f"attr.{a.name}" for a in _attributes(asset_type)]
    chinese = headers == "zh"
    stream.write("\ufeff")
    writer = csv.writer(stream)
    writer.writerow([ALL_COLUMNS[f] if chinese else f for f in fields])
    count = 0
    for count, (row, persons) in enumerate(_export_rows(asset_type, area, progress), start=1):
        cells = _properties(row, persons)
        if cells["persons"] is not None:
            cells["persons"] = json.dumps(cells["persons"], ensure_ascii=False, separators=(",", ":"))
        geometry = row.geometry or {}
        if geometry.get("type") == "Point":
            cells["lon"], cells["lat"] = geometry["coordinates"][:2]
        elif geometry:
            cells["geometry"] = json.dumps(geometry, separators=(",", ":"))
        if chinese:
            # Names, not codes: they read better, and Excel mangles 12-digit division codes (3.50111E+11).
            cells["type"], cells["status"] = TYPE_LABELS[row.type], STATUS_LABELS[row.status]
            cells["area"] = row.area_name
        writer.writerow(["" if cells.get(f) is None else guard(cells[f]) for f in fields])
    return count



def export_geojson(stream, asset_type: str | None = None, area: str | None = None, progress=no_progress) -> int:
    """Write the facilities as a GeoJSON FeatureCollection to a text stream, one feature per line."""
    stream.write('{"type": "FeatureCollection", "features": [\n')
    count = 0
    for count, (row, persons) in enumerate(_export_rows(asset_type, area, progress), start=1):
        feature = {"type": "Feature", "geometry": row.geometry, "properties": _properties(row, persons)}
        stream.write(("" if count == 1 else ",\n") + json.dumps(feature, ensure_ascii=False))
    stream.write("\n]}\n")
    return count


def _attributes(asset_type: str | None) -> list:
    """The attribute columns: one type's, or every type's (each name once)."""
    if asset_type:
        return list(TYPES[asset_type].attributes)
    return list({a.name: a for t in TYPES.values() for a in t.attributes}.values())


def _properties(row, persons: list) -> dict:
    """The fields of one facility as they are written to a file; None for an empty one."""
    public_url = current_app.config["PUBLIC_URL"]
    properties = {
        "code": row.code,
        "url": qr_url(public_url, row.code) if row.code else None,
        "type": row.type,
        "name": row.name,
        "area": row.area,
        "status": row.status,
        "owner_unit": row.owner_unit or None,
        "maintenance_unit": row.maintenance_unit or None,
        "address": row.address or None,
        "chainage_start": _chainage(row.chainage_start_m),
        "chainage_end": _chainage(row.chainage_end_m),
        "in_service_on": row.in_service_on.isoformat() if row.in_service_on else None,
        "persons": person_cells(row.type, persons) or None,
    }
    for attr in TYPES[row.type].attributes:
        value = row.attributes.get(attr.name)
        if isinstance(value, dict):  # a period
            value = f"{value['start']}/{value['end']}"
        elif isinstance(value, float) and value.is_integer():
            value = int(value)  # 3500000, not 3500000.0, in a spreadsheet cell
        properties[f"attr.{attr.name}"] = value
    return properties


def _chainage(metres: float | None) -> str | None:
    """K1+250, the way chainage is written, unless that would round the value."""
    if metres is None:
        return None
    return format_chainage(metres) if float(metres).is_integer() else str(metres)


def _export_rows(asset_type: str | None, area: str | None, progress):
    """(facility, its persons) in id order, in keyset chunks: never all of them in memory."""
    query = (
        sa.select(
            Asset.id, Asset.type, Asset.name, Asset.status, Asset.owner_unit, Asset.maintenance_unit, Asset.address,
            Asset.attributes, Asset.geometry, Asset.chainage_start_m, Asset.chainage_end_m, Asset.in_service_on,
            IdentityCode.code, Area.code.label("area"), Area.name.label("area_name"),
        )
        .outerjoin(IdentityCode, sa.and_(IdentityCode.asset_id == Asset.id, IdentityCode.status == "bound"))
        .outerjoin(Area, Area.id == Asset.area_id)
    )
    if asset_type:
        if asset_type not in TYPES:
            raise ValidationError(_("Unknown asset type %(type)s.", type=asset_type), {"type": _("unknown")})
        query = query.where(Asset.type == asset_type)
    if area:
        found = find_area(area)
        if found is None:
            raise ValidationError(_("unknown area %(area)s", area=area), {"area": _("unknown")})
        # The area's path is a prefix of the paths of every area within it.
        query = query.where(Area.path.startswith(found.path))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    done, last_id = 0, 0
    while True:
        chunk = db.session.execute(query.where(Asset.id > last_id).order_by(Asset.id).limit(CHUNK)).all()
        if not chunk:
            break
        persons = {}
        for person in db.session.scalars(sa.select(ResponsiblePerson).where(
                ResponsiblePerson.asset_id.in_([row.id for row in chunk])).order_by(ResponsiblePerson.id)):
            persons.setdefault(person.asset_id, []).append(person)
        yield from ((row, persons.get(row.id, [])) for row in chunk)
        done += len(chunk)
        last_id = chunk[-1].id
        if done % PROGRESS_EVERY == 0 or done == total:
            progress("exported", done, total)
