"""Bulk import of the registry: CSV from spreadsheets, GeoJSON from GIS.

An import is all-or-nothing: every row is checked with services.clean_asset and every
problem is collected with its row number; only a file without problems is written, in
bulk, as one unit of work. Like the services, these functions flush and never commit.

`progress`, where taken, is called as progress(step, done, total) with step "checked",
"written" (exporting.py: "exported"); total is None while it is not known yet.
"""
import csv
import functools
import json
from collections import Counter
from dataclasses import dataclass
from io import TextIOWrapper

import sqlalchemy as sa
from flask_babel import gettext as _

from ...audit.services import record_many
from ...auth.scope import Scope
from ...db import utcnow
from ...errors import DomainError, ValidationError
from ...extensions import db
from ...geo.datums import DATUMS, convert_geometry
from .. import checks, map_cells, services
from ..identity import codes
from ..identity import services as code_services
from ..models import Asset, CodeEvent, IdentityCode, ResponsiblePerson, find_area
from ..types import TYPES
from .columns import (
    ALL_COLUMNS,
    CHUNK,
    COLUMNS,
    DATE_FIELDS,
    EXCEL_DATE,
    FIELD_BY_HEADER,
    GEOJSON_PROPERTIES,
    IN_CHUNK,
    MAX_LISTED,
    PERIOD_ATTRIBUTES,
    PROGRESS_EVERY,
    REQUIRED_COLUMNS,
    STATUS_BY_TEXT,
    TYPE_BY_TEXT,
    no_progress,
    unguard,
)


@dataclass(frozen=True)
class Problem:
    row: int | None  # the spreadsheet row (header = 1) or feature number; None for the whole file
    column: str | None  # as the file names it
    message: str


class ImportRejected(ValidationError):
    """A file that was not imported, with every problem found in it, in row order."""

    def __init__(self, problems: list[Problem], unit: str = "row"):
        super().__init__(_("The file was not imported: %(n)s problem(s) found. Nothing was written.",
                           n=len(problems)))
        self.problems = sorted(problems, key=lambda p: p.row or 0)
        self.unit = unit  # "row" (CSV) or "feature" (GeoJSON)

    def lines(self, limit: int = MAX_LISTED) -> list[str]:
        """The problems as one line each, at most `limit` of them and a count of the rest."""
        lines = [self._line(p) for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(_("… and %(n)s more problem(s).", n=len(self.problems) - limit))
        return lines

    def _line(self, p: Problem) -> str:
        if p.row is None:
            return p.message
        if self.unit == "feature":
            if p.column:
                return _("Feature #%(n)s, %(column)s: %(message)s", n=p.row, column=p.column, message=p.message)
            return _("Feature #%(n)s: %(message)s", n=p.row, message=p.message)
        if p.column:
            return _("Row %(n)s, %(column)s: %(message)s", n=p.row, column=p.column, message=p.message)
        return _("Row %(n)s: %(message)s", n=p.row, message=p.message)


@dataclass(frozen=True)
class ImportResult:
    facilities: int
    codes_bound: int
    codes_created: int


# --- import -----------------------------------------------------------------------


def import_csv(actor, stream, progress=no_progress, datum: str = "wgs84") -> ImportResult:
    """Register every facility in a CSV file (a binary stream, UTF-8 with or without BOM), its positions given
    in `datum` (geo/datums.py)."""
    checks.require_editor(actor)
    text = TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        batch = _check_csv(csv.reader(text), progress, Scope.of(actor), datum)
    except UnicodeDecodeError:
        raise ImportRejected([Problem(None, None, _(
            "The file is not UTF-8 text. In Excel, use Save As → \"CSV UTF-8 (comma delimited)\", "
            "then import that file."))]) from None
    except csv.Error as error:
        raise ImportRejected([Problem(None, None, _("The file is not readable as CSV: %(error)s",
                                                    error=error))]) from None
    finally:
        text.detach()  # the stream is the caller's: leave it open
    return batch.finish(actor)


def _check_csv(reader, progress, scope: Scope, datum: str) -> "_Batch":
    # A record's index is its row in a spreadsheet, even when quoted cells span lines.
    records = enumerate(reader, start=1)
    header = next(records, None)
    if header is None:
        raise ImportRejected([Problem(None, None, _("The file is empty."))])
    fields, names = _read_header(header[1])
    batch = _Batch(names, "row", progress, scope, datum=datum)
    for row, cells in records:
        if not any(cell.strip() for cell in cells):
            continue  # spreadsheets leave blank rows behind; they mean nothing
        if len(cells) != len(fields):
            batch.problem(row, None, _("has %(cells)s cells but the header has %(columns)s; "
                                       "a cell may contain an unquoted comma",
                                       cells=len(cells), columns=len(fields)))
            continue
        batch.add(row, {field: unguard(cell.strip()) for field, cell in zip(fields, cells) if cell.strip()})
    return batch


def _read_header(cells: list[str]) -> tuple[list, dict]:
    """The field of each column (None for an empty header) and each field's name as the file spells it."""
    fields, names, problems = [], {}, []
    for number, cell in enumerate(cells, start=1):
        header = cell.strip()
        field = FIELD_BY_HEADER.get(header) or FIELD_BY_HEADER.get(header.lower())
        if not header:
            problems.append(Problem(1, None, _("column %(n)s has no header", n=number)))
        elif field is None:
            problems.append(Problem(1, header, _("unknown column; use the column names of an exported file")))
        elif field in names:
            problems.append(Problem(1, header, _("is the same column as %(other)s", other=names[field])))
        else:
            names[field] = header
        fields.append(field)
    for field in REQUIRED_COLUMNS:
        if field not in names:
            problems.append(Problem(1, f"{COLUMNS[field]} / {field}", _("the column is missing")))
    if problems:
        raise ImportRejected(problems)
    return fields, names


def import_geojson(actor, stream, progress=no_progress, datum: str = "wgs84") -> ImportResult:
    """Register every feature of a GeoJSON FeatureCollection (a binary or text stream), its positions given in
    `datum`: RFC 7946 says WGS-84, but files exported from Chinese maps are often GCJ-02 all the same."""
    checks.require_editor(actor)
    try:
        document = json.load(stream)
    except ValueError as error:
        raise ImportRejected([Problem(None, None, _("The file is not JSON: %(error)s", error=error))],
                             "feature") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection" \
            or not isinstance(document.get("features"), list):
        raise ImportRejected([Problem(None, None, _("The file is not a GeoJSON FeatureCollection."))], "feature")
    features = document["features"]
    batch = _Batch({}, "feature", progress, Scope.of(actor), total=len(features), datum=datum)
    for number, feature in enumerate(features, start=1):
        if not (isinstance(feature, dict) and feature.get("type") == "Feature"
                and isinstance(feature.get("properties") or {}, dict)):
            batch.problem(number, None, _("is not a GeoJSON Feature with properties"))
            continue
        record = {}
        for key, value in (feature.get("properties") or {}).items():
            if key not in GEOJSON_PROPERTIES:
                batch.problem(number, key, _("unknown column; use the column names of an exported file"))
            elif key == "persons" and value is not None:
                record[key] = value  # a list, as exported; clean_asset checks it
            elif isinstance(value, bool) or not isinstance(value, (str, int, float, type(None))):
                batch.problem(number, key, _("must be text or a number"))
            elif isinstance(value, str) and value.strip():
                record[key] = value.strip()
            elif isinstance(value, (int, float)):
                # GIS tools type columns by content: a name or unit like "12" arrives as a number.
                record[key] = value if key.startswith("attr.") else str(value)
        if feature.get("geometry") is not None:
            record["geometry"] = feature["geometry"]
        batch.add(number, record)
    return batch.finish(actor)


@dataclass
class _Row:
    values: dict  # the Asset's columns, as clean_asset returned them
    code: str | None  # the canonical code given in the file, if any
    persons: list  # as clean_asset returned them


class _Batch:
    """Checks records one by one, then the codes all at once, then writes everything or nothing."""

    def __init__(self, names: dict, unit: str, progress, scope: Scope, total: int | None = None,
                 datum: str = "wgs84"):
        if datum not in DATUMS:
            raise ValueError(f"unknown datum {datum!r}")
        self.datum = datum
        self.names = names
        self.scope = scope
        # Missing columns are named in the language of the file's own headers.
        self.chinese = any(name != field for field, name in names.items())
        self.unit = unit
        self.progress = progress
        self.total = total
        self.checked = 0
        self.problems: list[Problem] = []
        self.rows: list[_Row] = []
        self.code_rows: dict[str, tuple[int, str | None]] = {}  # code → (row, its type if known)
        self.find_area = functools.cache(find_area)

    def problem(self, row: int, field: str | None, message: str) -> None:
        self.problems.append(Problem(row, self._column(field) if field else None, message))

    def _column(self, field: str) -> str:
        if field == "position":  # a Point given as lon and lat
            return f"{self._column('lon')}/{self._column('lat')}"
        return self.names.get(field) or (ALL_COLUMNS.get(field) if self.chinese else None) or field

    def add(self, row: int, record: dict) -> None:
        """Check one record: its fields named as in ALL_COLUMNS, empty cells left out."""
        self.checked += 1
        if self.checked % PROGRESS_EVERY == 0:
            self.progress("checked", self.checked, self.total)
        for field, value in record.items():
            if isinstance(value, str) and "\x00" in value:
                self.problem(row, field, _("contains a NUL character; remove it"))
        data, point = _asset_data(record)
        if "geometry" in data:
            data["geometry"] = convert_geometry(data["geometry"], self.datum)
        if point and "geometry" in record:
            self.problem(row, "geometry", _("fill in either the position (lon, lat) or the geometry, not both"))
        clean = None
        try:
            clean = services.clean_asset(data, area_lookup=self.find_area)
        except ValidationError as error:
            for key, message in error.fields.items():
                self.problem(row, _error_field(key, point), message)
        known_type = data.get("type") if data.get("type") in TYPES else None
        area = self.find_area(data.get("area"))
        # An unknown area or type is reported as such above; a known one must be in the importer's reach.
        if known_type and (area is not None or not data.get("area")) and not self.scope.allows_place(area, known_type):
            self.problem(row, "area", _("outside the areas or types you answer for"))
        code = self._check_code(row, record.get("code"), known_type)
        # Once the file is rejected, keeping rows would only cost memory.
        if not self.problems:
            self.rows.append(_Row(clean.values, code, clean.persons or []))

    def _check_code(self, row: int, text: str | None, type_key: str | None) -> str | None:
        if not text:
            return None
        try:
            code = code_services.parse_code(text)
        except ValidationError as error:
            self.problem(row, "code", error.fields["code"])
            return None
        if code in self.code_rows:
            first = self.code_rows[code][0]
            self.problem(row, "code", _("%(code)s is also in feature #%(row)s", code=code, row=first)
                         if self.unit == "feature" else _("%(code)s is also in row %(row)s", code=code, row=first))
        else:
            self.code_rows[code] = (row, type_key)
        return code

    def finish(self, actor) -> ImportResult:
        if self.checked % PROGRESS_EVERY:
            self.progress("checked", self.checked, self.total)
        issued = self._check_issued_codes()
        if self.problems:
            raise ImportRejected(self.problems, self.unit)
        return self._write(actor, issued)

    def _check_issued_codes(self) -> dict[str, IdentityCode]:
        """Codes in the file that were issued before: each must be unbound and of its row's type."""
        issued = {}
        for chunk in _chunks(list(self.code_rows), IN_CHUNK):
            # Locked until the commit, so no one else binds a label this file is about to bind.
            query = sa.select(IdentityCode).where(IdentityCode.code.in_(chunk)).with_for_update()
            issued.update((code.code, code) for code in db.session.scalars(query))
        for text, (row, type_key) in self.code_rows.items():
            if type_key is None:
                continue  # the row's type is already reported as wrong
            # A code never issued is checked as the unbound code it becomes: its type must match.
            code = issued.get(text) or IdentityCode(code=text, prefix=text.split("-")[0], status="unbound")
            try:
                code_services.check_unbound(code, type_key)
            except DomainError as error:
                self.problem(row, "code", error.message)
        return issued

    def _write(self, actor, issued: dict[str, IdentityCode]) -> ImportResult:
        now = utcnow()
        fresh = _fresh_codes([row.values["type"] for row in self.rows if row.code is None], set(self.code_rows))
        defaults = {
            "area_id": None, "status": "in_service", "owner_unit": "", "maintenance_unit": "", "address": "",
            "attributes": {}, "geometry": None, "lon": None, "lat": None, "geo_key": None,
            "chainage_start_m": None, "chainage_end_m": None,
            "in_service_on": None, "internal_notes": "", "is_demo": False, "created_at": now, "updated_at": now,
            "version": 1,
        }
        created = 0
        for done, chunk in enumerate(_chunks(self.rows, CHUNK), start=1):
            # render_nulls keeps rows with and without e.g. an area in one batch: without it
            # the ORM splits the chunk wherever the set of None values changes.
            values = [{**defaults, **row.values} for row in chunk]
            asset_ids = db.session.scalars(
                sa.insert(Asset).returning(Asset.id, sort_by_parameter_order=True)
                .execution_options(render_nulls=True), values,
            ).all()
            map_cells.changed((None, map_cells.place_of(row)) for row in values)
            persons = [{**person, "asset_id": asset_id} for row, asset_id in zip(chunk, asset_ids) for person in row.persons]
            if persons:
                db.session.execute(sa.insert(ResponsiblePerson), persons)
            new_codes, bound, trail = [], [], []
            for row, asset_id in zip(chunk, asset_ids):
                text = row.code or fresh[row.values["type"]].pop()
                trail.append((asset_id, {"name": [None, row.values["name"]], "type": [None, row.values["type"]],
                                         "code": [None, text]}))
                if text in issued:
                    code = issued[text]  # a pre-printed label
                    code.status, code.asset_id, code.bound_at = "bound", asset_id, now
                    bound.append((code.id, asset_id))
                else:
                    new_codes.append({"code": text, "prefix": text.split("-")[0], "status": "bound",
                                      "asset_id": asset_id, "created_at": now, "bound_at": now})
            new_ids = db.session.scalars(
                sa.insert(IdentityCode).returning(IdentityCode.id, sort_by_parameter_order=True), new_codes
            ).all() if new_codes else []
            bound += [(code_id, c["asset_id"]) for code_id, c in zip(new_ids, new_codes)]
            events = [{"code_id": code_id, "asset_id": None, "action": "issued", "at": now, "user_id": actor.id,
                       "note": ""} for code_id in new_ids]
            events += [{"code_id": code_id, "asset_id": asset_id, "action": "bound", "at": now,
                        "user_id": actor.id, "note": ""} for code_id, asset_id in bound]
            db.session.execute(sa.insert(CodeEvent), events)
            record_many(actor, "asset", "import", trail)
            db.session.flush()  # the pre-printed codes changed above
            created += len(new_ids)
            written = min(done * CHUNK, len(self.rows))
            if written % PROGRESS_EVERY == 0 or written == len(self.rows):
                self.progress("written", written, len(self.rows))
        return ImportResult(facilities=len(self.rows), codes_bound=len(self.rows), codes_created=created)


def _asset_data(record: dict) -> tuple[dict, bool]:
    """clean_asset's input for one record, and whether its position came from lon/lat."""
    data, attributes = {}, {}
    for field, value in record.items():
        if field in DATE_FIELDS and isinstance(value, str) and (excel := EXCEL_DATE.fullmatch(value)):
            value = "{}-{:0>2}-{:0>2}".format(*excel.groups())
        if field.startswith("attr."):
            name = field.removeprefix("attr.")
            if name in PERIOD_ATTRIBUTES and isinstance(value, str) and "/" in value:
                value = dict(zip(("start", "end"), value.split("/", 1)))
            attributes[name] = value
        elif field == "type":
            data["type"] = TYPE_BY_TEXT.get(value, value)
        elif field == "status":
            data["status"] = STATUS_BY_TEXT.get(value, value)
        elif field in ("geometry", "persons"):
            data[field] = _json_or_text(value)
        elif field not in ("code", "url", "lon", "lat"):
            data[field] = value
    point = "lon" in record or "lat" in record
    if point:
        data["geometry"] = {"type": "Point", "coordinates": [_number_or_text(record.get("lon")),
                                                             _number_or_text(record.get("lat"))]}
    if attributes:
        data["attributes"] = attributes
    return data, point


def _json_or_text(value):
    """GeoJSON text parsed; anything else is left for check_geometry to reject with its own message."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _number_or_text(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return value  # check_geometry says what a position must be


def _error_field(key: str, point: bool) -> str:
    """The column a clean_asset error key points at."""
    if key.startswith("attributes."):
        return "attr." + key.removeprefix("attributes.")
    if key == "geometry" and point:
        return "position"
    return key


def _fresh_codes(types: list[str], taken: set[str]) -> dict[str, list[str]]:
    """Never-issued codes for rows without one: for each type, as many as it has such rows."""
    fresh = {}
    for type_key, count in Counter(types).items():
        prefix, found = TYPES[type_key].prefix, set()
        while len(found) < count:
            candidates = {codes.generate(prefix) for _ in range(count - len(found))} - found - taken
            for chunk in _chunks(list(candidates), IN_CHUNK):
                candidates -= set(db.session.scalars(sa.select(IdentityCode.code).where(IdentityCode.code.in_(chunk))))
            found |= candidates
        fresh[type_key] = list(found)
    return fresh


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- export -----------------------------------------------------------------------
