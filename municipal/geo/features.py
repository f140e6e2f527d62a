"""A viewport's features for the map: facilities (clustered when zoomed out), open work and citizen reports,
as an RFC 7946 FeatureCollection. What a person sees is what auth/scope.py lets them see."""
import math
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from ..assets.models import Area, Asset, IdentityCode, find_area
from ..assets.types import STATUSES, TYPES
from ..auth.scope import Scope
from ..errors import ValidationError
from ..extensions import db
from ..intake.models import CitizenReport
from ..workorders.models import WorkOrder
from ..workorders.states import OPEN
from ..assets import map_cells as cells
from . import grid
from .models import MapCell, MapCellArea

MAX_FEATURES = 5000
LAYERS = ("assets", "work", "reports")
WORK_STATES = ("open", "overdue")
# Decommissioned facilities are off the map unless asked for by state.
SHOWN_STATUSES = tuple(s for s in STATUSES if s != "decommissioned")


@dataclass(frozen=True)
class Query:
    bbox: tuple[float, float, float, float]
    zoom: int
    layers: tuple[str, ...] = ("assets",)
    types: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    area: Area | None = None


def parse_query(args) -> Query:
    """The query string as a Query, or a ValidationError naming every field that is wrong."""
    errors = {}
    bbox = _bbox(args.get("bbox"), errors)
    zoom = None
    try:
        zoom = int(args.get("zoom", ""))
        if not 0 <= zoom <= grid.MAX_ZOOM:
            raise ValueError
    except ValueError:
        errors["zoom"] = _("must be a whole number from 0 to %(max)s", max=grid.MAX_ZOOM)
    layers = _choices(args.get("layers") or "assets", LAYERS, "layers", errors)
    types = _choices(args.get("type"), tuple(TYPES), "type", errors)
    states = _choices(args.get("state"), (*STATUSES, *WORK_STATES), "state", errors)
    area = None
    if args.get("area"):
        area = find_area(args["area"])
        if area is None:
            errors["area"] = _("no such area")
    if errors:
        raise ValidationError(_("The map cannot show this: %(n)s field(s) need attention.", n=len(errors)), errors)
    return Query(bbox, zoom, layers, types, states, area)


def _bbox(text, errors):
    parts = (text or "").split(",")
    try:
        values = tuple(float(p) for p in parts)
        if len(values) != 4 or not all(math.isfinite(v) for v in values):
            raise ValueError
    except ValueError:
        errors["bbox"] = _("must be four numbers: west,south,east,north")
        return None
    west, south, east, north = values
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        errors["bbox"] = _("longitudes must lie between -180 and 180")
    elif not (-90 <= south <= 90 and -90 <= north <= 90):
        errors["bbox"] = _("latitudes must lie between -90 and 90")
    elif west > east:
        errors["bbox"] = _("west must not be greater than east")
    elif south > north:
        errors["bbox"] = _("south must not be greater than north")
    return values


def _choices(text, allowed, field, errors) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(p.strip() for p in (text or "").split(",") if p.strip()))
    unknown = [c for c in chosen if c not in allowed]
    if unknown:
        errors[field] = _("unknown: %(unknown)s; choose from %(choices)s", unknown=", ".join(unknown),
                          choices=", ".join(allowed))
    return chosen


def features(actor, query: Query, now: datetime) -> dict:
    scope = Scope.of(actor)
    if db.session.get_bind().dialect.name == "postgresql":
        # The map's queries are index reads by key ranges, whose rows PostgreSQL cannot estimate before it
        # runs them; on its guess it would compile them to machine code first, which costs many times more
        # than running them (most of a second against a few milliseconds). For this transaction only.
        db.session.execute(sa.text("SET LOCAL jit = off"))
    out, truncated = [], False
    if "assets" in query.layers:
        found, truncated = _facilities(scope, query, now, MAX_FEATURES)
        out += found
    if "work" in query.layers:
        found, cut = _work(scope, query, now, MAX_FEATURES - len(out))
        out, truncated = out + found, truncated or cut
    if "reports" in query.layers:
        found, cut = _reports(scope, query, MAX_FEATURES - len(out))
        out, truncated = out + found, truncated or cut
    return {"type": "FeatureCollection", "bbox": list(query.bbox), "zoom": query.zoom, "truncated": truncated,
            "features": out}


def _in_view(query: Query, *conditions):
    """The facilities in the bbox meeting `conditions`, as a union of one indexed key range each: every part
    an index range scan, where one OR of ranges has SQLite fetch each row from the table."""
    west, south, east, north = query.bbox
    level = grid.cluster_level(query.zoom) or grid.KEY_LEVEL
    parts = [sa.select(Asset.id, Asset.geo_key, Asset.lon, Asset.lat)
             .where(Asset.geo_key.between(low, high), Asset.lon.between(west, east),
                    Asset.lat.between(south, north), *conditions)
             for low, high in grid.key_ranges(query.bbox, level)]
    return (sa.union_all(*parts) if len(parts) > 1 else parts[0]).subquery("in_view")


def _facility_filters(query: Query) -> list:
    conditions = []
    if query.types:
        conditions.append(Asset.type.in_(query.types))
    if query.area is not None:
        conditions.append(Asset.area_id.in_(sa.select(Area.id).where(Area.path.startswith(query.area.path))))
    return conditions


def _facilities(scope: Scope, query: Query, now: datetime, room: int) -> tuple[list, bool]:
    statuses = [s for s in query.states if s in STATUSES] or SHOWN_STATUSES
    conditions = [*_facility_filters(query), Asset.status.in_(statuses), scope.clause(Asset)]
    level = grid.cluster_level(query.zoom)
    if level is None:
        view = _in_view(query, *conditions)
        ids = db.session.scalars(sa.select(view.c.id).order_by(view.c.id).limit(room + 1)).all()
        return _facility_features(ids[:room], query.zoom, now), len(ids) > room
    model = MapCellArea if query.area is not None or scope.limits_areas else MapCell
    if level <= cells.FINEST[model]:
        counts = _counted_cells(model, scope, query, statuses, level, conditions)
    else:
        counts = _raw_cells(_in_view(query, *conditions), level)
    rows = sorted(counts.items(), key=lambda item: (-item[1].n, item[0]))
    kept = rows[:room]
    clusters = [{"type": "Feature", "id": f"cluster:{level}:{cell}",
                 "geometry": {"type": "Point", "coordinates": [round(c.lon / c.n, 7), round(c.lat / c.n, 7)]},
                 "properties": {"cluster": True, "count": c.n}} for cell, c in kept if c.n > 1]
    singles = _facility_features(_single_ids([c for _cell, c in kept if c.n == 1], _in_bbox(query, conditions)),
                                 query.zoom, now)
    return clusters + singles, len(rows) > room


@dataclass
class _Cell:
    """A cluster cell's facilities in the viewport: how many, the sums of their positions, and where a lone
    one is to be found (its id when read with it, else the cell (level, key) holding it)."""
    n: int = 0
    lon: float = 0.0
    lat: float = 0.0
    first: int | None = None
    holder: tuple[int, int] | None = None


def _raw_cells(view, level: int, into: dict | None = None) -> dict:
    """The viewport's facilities (`view`) summed by cluster cell of `level`, into `into`. A view without ids
    (read from the index alone) leaves a lone facility to be looked up in its cell."""
    into = {} if into is None else into
    # The shift is ours, not the caller's: written into the SQL so both databases see one constant expression.
    cell = view.c.geo_key.op(">>")(sa.literal_column(str(grid.cell_shift(level))))
    first = sa.func.min(view.c.id) if "id" in view.c else sa.null()
    for r in db.session.execute(
        sa.select(cell.label("cell"), sa.func.count().label("n"), sa.func.sum(view.c.lon).label("lon"),
                  sa.func.sum(view.c.lat).label("lat"), first.label("first")).group_by(cell)):
        found = into.setdefault(r.cell, _Cell())
        found.n, found.lon, found.lat, found.first = found.n + r.n, found.lon + r.lon, found.lat + r.lat, r.first
        if r.n == 1 and r.first is None:
            found.holder = (level, r.cell)
    return into


# Key ranges read per viewport at most: past this, the nearest are joined.
MAX_RANGES = 400
# Cells asked of a cell table at once, at most: past this, the viewport's edge is read from the facilities at
# the level reached (a map zoomed out far over a registry that goes on beyond the viewport).
MAX_COUNTED_CELLS = 2000


def _counted_cells(model, scope: Scope, query: Query, statuses, level: int, conditions) -> dict:
    """The viewport's facilities by cluster cell, counted from a cell table: the cells wholly inside the bbox
    from their counts, the cells it cuts through level by level down to the table's finest, where the
    facilities in the cells still cut are read one by one. Only cells holding something are followed down,
    so an edge running outside the registry costs nothing. The table by area serves a filter by area and a
    person limited to areas; both apply the same scope rule as the facilities do."""
    by_area = model is MapCellArea
    filters = [model.status.in_(statuses), scope.place_clause(model.area_id if by_area else None, model.type)]
    if query.types:
        filters.append(model.type.in_(query.types))
    if query.area is not None:
        filters.append(model.area_id.in_(sa.select(Area.id).where(Area.path.startswith(query.area.path))))
    found: dict = {}
    todo, depth = grid.cells_of(grid.tile_rect(query.bbox, level)), level
    while True:
        inner = grid.inner_rect(query.bbox, depth)
        totals = {r.cell: r for r in db.session.execute(
            sa.select(model.cell, sa.func.sum(model.n).label("n"), sa.func.sum(model.sum_lon).label("lon"),
                      sa.func.sum(model.sum_lat).label("lat"))
            .where(model.level == depth, model.cell.in_([key for key, _x, _y in todo]), *filters)
            .group_by(model.cell))}
        cut = []
        for key, x, y in todo:
            r = totals.get(key)
            if r is None:
                continue
            if grid.inside(inner, x, y):
                cell = found.setdefault(key >> (2 * (depth - level)), _Cell())
                cell.n, cell.lon, cell.lat = cell.n + r.n, cell.lon + r.lon, cell.lat + r.lat
                if r.n == 1:
                    cell.holder = (depth, key)
            else:
                cut.append((key, x, y))
        below = grid.tile_rect(query.bbox, depth + 1)
        deeper = [child for key, x, y in cut for child in grid.children(key, x, y, below)]
        if not cut or depth == cells.FINEST[model] or len(deeper) > MAX_COUNTED_CELLS:
            break
        todo, depth = deeper, depth + 1
    if cut:
        _raw_cells(_frame(query, depth, inner, [key for key, _x, _y in cut], conditions), level, found)
    return found


def _frame(query: Query, depth: int, inner, keys: list[int], conditions):
    """The facilities in the bbox and in the cells `keys` of `depth` (cut by its edge), as a subquery. Ranges
    joined across a gap may take in cells counted already: the key's column and row keep those out."""
    west, south, east, north = query.bbox
    outside = []
    if inner is not None:
        x0, y0, x1, y1 = inner
        column_bits, row_bits = grid.axis_masks(depth)
        shift = grid.cell_shift(depth)
        column = Asset.geo_key.op("&")(sa.literal_column(str(column_bits)))
        row = Asset.geo_key.op("&")(sa.literal_column(str(row_bits)))
        outside.append(sa.not_(sa.and_(
            column.between(grid.interleave(x0, 0) << shift, grid.interleave(x1, 0) << shift),
            row.between(grid.interleave(0, y0) << shift, grid.interleave(0, y1) << shift))))
    # The ranges as rows joined to the facilities: each an index range scan, as a union of one select per
    # range would be, without building and compiling hundreds of selects per request. Written out as text
    # because they are our own integers, and rendering hundreds of literals through the compiler cost more
    # than the query; both databases name a VALUES list's columns column1, column2.
    rows = ", ".join(f"({low}, {high})" for low, high in grid.joined_ranges(keys, depth, MAX_RANGES))
    ranges = (sa.text(f"SELECT column1 AS low, column2 AS high FROM (VALUES {rows}) AS frame_values")
              .columns(sa.column("low", sa.BigInteger), sa.column("high", sa.BigInteger)).cte("frame_ranges"))
    # No id: PostgreSQL then answers from the index alone, without visiting each row of the frame.
    found = (sa.select(Asset.geo_key, Asset.lon, Asset.lat)
             .where(Asset.geo_key.between(ranges.c.low, ranges.c.high), Asset.lon.between(west, east),
                    Asset.lat.between(south, north), *outside, *conditions))
    if db.session.get_bind().dialect.name != "postgresql":
        return found.subquery("frame")  # SQLite loops over the ranges and searches the index for each
    # PostgreSQL cannot tell how little a join on ranges selects and would scan the whole table; made lateral
    # (and kept apart by OFFSET 0, which it would otherwise flatten back into a join), the select runs once
    # per range, an index scan each.
    each = found.offset(0).lateral("frame_rows")
    return sa.select(each).select_from(ranges).join(each, sa.true()).subquery("frame")


def _in_bbox(query: Query, conditions) -> list:
    west, south, east, north = query.bbox
    return [Asset.lon.between(west, east), Asset.lat.between(south, north), *conditions]


def _single_ids(lone: list, conditions) -> list[int]:
    """The ids of cells' lone facilities: known when read with their ids, else looked up in the cell that
    counted them (with the bbox among `conditions`, for a cell the bbox cuts)."""
    ids = [cell.first for cell in lone if cell.holder is None]
    wanted = [cell.holder for cell in lone if cell.holder is not None]
    for start in range(0, len(wanted), MAX_RANGES):
        parts = []
        for depth, key in wanted[start:start + MAX_RANGES]:
            shift = grid.cell_shift(depth)
            # "+ 0": on min(id) alone PostgreSQL walks the primary key from the smallest id until a row in
            # the cell turns up (most of a second for a cell of late ids); as an expression it reads the cell.
            parts.append(sa.select(sa.func.min(Asset.id + 0))
                         .where(Asset.geo_key.between(key << shift, ((key + 1) << shift) - 1), *conditions))
        ids += db.session.scalars(sa.union_all(*parts) if len(parts) > 1 else parts[0]).all()
    return sorted(i for i in ids if i is not None)


def _facility_features(ids, zoom: int, now: datetime) -> list:
    if not ids:
        return []
    rows = db.session.execute(
        sa.select(Asset.id, Asset.name, Asset.type, Asset.geometry, IdentityCode.code)
        .outerjoin(IdentityCode, sa.and_(IdentityCode.asset_id == Asset.id, IdentityCode.status == "bound"))
        .where(Asset.id.in_(ids)).order_by(Asset.id)
    ).all()
    overdue_case = sa.case((WorkOrder.due_at < now, 1), else_=0)
    work = {r.asset_id: (r.n, r.overdue) for r in db.session.execute(
        sa.select(WorkOrder.asset_id, sa.func.count().label("n"), sa.func.sum(overdue_case).label("overdue"))
        .where(WorkOrder.asset_id.in_(ids), WorkOrder.status.in_(OPEN)).group_by(WorkOrder.asset_id))}
    out = []
    for r in rows:
        open_work, overdue = work.get(r.id, (0, 0))
        out.append({"type": "Feature", "id": f"asset:{r.id}", "geometry": _shown(r.geometry, zoom),
                    "properties": {"kind": "asset", "id": r.id, "code": r.code, "name": r.name, "type": r.type,
                                   "open_work": open_work, "overdue": bool(overdue)}})
    return out


def _shown(geometry: dict, zoom: int) -> dict:
    if geometry["type"] == "LineString":
        return {"type": "LineString", "coordinates": grid.simplify(geometry["coordinates"], zoom)}
    return geometry


def _work(scope: Scope, query: Query, now: datetime, room: int) -> tuple[list, bool]:
    if room <= 0:
        return [], True
    west, south, east, north = query.bbox
    # Open work is few beside the registry: found by its state, then placed by its facility.
    conditions = [Asset.lon.between(west, east), Asset.lat.between(south, north), *_facility_filters(query),
                  WorkOrder.status.in_(OPEN), scope.clause(WorkOrder)]
    if "overdue" in query.states and "open" not in query.states:
        conditions.append(WorkOrder.due_at < now)
    rows = db.session.execute(
        sa.select(WorkOrder.id, WorkOrder.status, WorkOrder.due_at, WorkOrder.asset_id, Asset.lon, Asset.lat)
        .join(Asset, Asset.id == WorkOrder.asset_id).where(*conditions)
        .order_by(WorkOrder.due_at, WorkOrder.id).limit(room + 1)
    ).all()
    return [{"type": "Feature", "id": f"work_order:{r.id}",
             "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
             "properties": {"kind": "work_order", "id": r.id, "state": r.status, "due_at": r.due_at.isoformat(),
                            "overdue": r.due_at < now, "asset_id": r.asset_id}} for r in rows[:room]], len(rows) > room


def _reports(scope: Scope, query: Query, room: int) -> tuple[list, bool]:
    if room <= 0:
        return [], True
    west, south, east, north = query.bbox
    lon = sa.func.coalesce(CitizenReport.lon, Asset.lon)
    lat = sa.func.coalesce(CitizenReport.lat, Asset.lat)
    conditions = [CitizenReport.status != "closed", lon.between(west, east), lat.between(south, north),
                  scope.clause(CitizenReport)]
    if query.types or query.area is not None:
        conditions += _facility_filters(query)
    rows = db.session.execute(
        sa.select(CitizenReport.id, CitizenReport.number, CitizenReport.status, lon.label("lon"), lat.label("lat"))
        .outerjoin(Asset, Asset.id == CitizenReport.asset_id).where(*conditions)
        .order_by(CitizenReport.id).limit(room + 1)
    ).all()
    return [{"type": "Feature", "id": f"report:{r.number}",
             "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
             "properties": {"kind": "report", "number": r.number, "status": r.status}}
            for r in rows[:room]], len(rows) > room
