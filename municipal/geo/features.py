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
        # than running them (most of a second against a few milliseconds). And each is planned for its own
        # values: psycopg prepares a statement run five times, and PostgreSQL would then soon plan it once for
        # any viewport, reading a whole bbox's worth of index for a frame's few cells (tens of milliseconds
        # against a few). For this transaction only.
        db.session.execute(sa.text("SELECT set_config('jit', 'off', true), "
                                   "set_config('plan_cache_mode', 'force_custom_plan', true)"))
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


def _in_view(query: Query, columns, *conditions):
    """`columns` of the facilities in the bbox meeting `conditions`, as a subquery read by indexed key ranges:
    on PostgreSQL the ranges as rows, each read by an index range scan (see _by_ranges); on SQLite a union of
    one select per range, every part an index range scan, where one OR of ranges has SQLite fetch each row
    from the table."""
    west, south, east, north = query.bbox
    level = grid.cluster_level(query.zoom) or grid.KEY_LEVEL
    ranges = grid.key_ranges(query.bbox, level)
    conditions = (Asset.lon.between(west, east), Asset.lat.between(south, north), *conditions)
    if db.session.get_bind().dialect.name == "postgresql":
        return _by_ranges(columns, ranges, conditions, "in_view")
    parts = [sa.select(*columns).where(Asset.geo_key.between(low, high), *conditions) for low, high in ranges]
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
        # One statement: the facilities in view read once, with what their features show.
        view = _in_view(query, (Asset.id, *_SHOWN_COLUMNS), *conditions)
        listed = sa.select(*[view.c[c.key] for c in (Asset.id, *_SHOWN_COLUMNS)]).order_by(view.c.id)
        found = _facility_features(listed.limit(room + 1).subquery("listed"), query.zoom, now)
        return found[:room], len(found) > room
    model = MapCellArea if query.area is not None or scope.limits_areas else MapCell
    if level <= cells.FINEST[model]:
        counts = _counted_cells(model, scope, query, statuses, level, conditions)
    else:
        # No id on PostgreSQL: it then answers from the index alone, without visiting each facility's row (a
        # town's facilities in view at zoom 15: a hundred milliseconds). SQLite's index holds the id anyway.
        located = (Asset.geo_key, Asset.lon, Asset.lat)
        if db.session.get_bind().dialect.name != "postgresql":
            located = (Asset.id, *located)
        counts = _raw_cells(_in_view(query, located, *conditions), level)
    rows = sorted(counts.items(), key=lambda item: (-item[1].n, item[0]))
    kept = rows[:room]
    clusters = [{"type": "Feature", "id": f"cluster:{level}:{cell}",
                 "geometry": {"type": "Point", "coordinates": [round(c.lon / c.n, 7), round(c.lat / c.n, 7)]},
                 "properties": {"cluster": True, "count": c.n}} for cell, c in kept if c.n > 1]
    single_ids = _single_ids([c for _cell, c in kept if c.n == 1], _in_bbox(query, conditions))
    singles = _facility_features(sa.select(Asset.id, *_SHOWN_COLUMNS).where(Asset.id.in_(single_ids))
                                 .subquery("listed"), query.zoom, now) if single_ids else []
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
            _cell_sums(model, depth, [key for key, _x, _y in todo], filters))}
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


def _cell_sums(model, level: int, keys: list[int], filters):
    """A select of the counts and position sums of the cells `keys` of `level` in a cell table, by cell."""
    if db.session.get_bind().dialect.name != "postgresql":
        return (sa.select(model.cell, sa.func.sum(model.n).label("n"), sa.func.sum(model.sum_lon).label("lon"),
                          sa.func.sum(model.sum_lat).label("lat"))
                .where(model.level == level, model.cell.in_(keys), *filters).group_by(model.cell))
    # Asked for a list of cells, PostgreSQL descends the index once per cell (and area), or, guessing that too
    # dear, reads the whole level and keeps the cells listed (tens of milliseconds for a town's supervisor at
    # zoom 12). A viewport's cells lie in runs of consecutive keys: a range scan each, run once per run as
    # the frame's are.
    ranges = _ranges_cte(grid.joined_ranges(keys, grid.KEY_LEVEL, len(keys)), "cell")
    each = (sa.select(model.cell, model.n, model.sum_lon, model.sum_lat)
            .where(model.level == level, model.cell.between(ranges.c.low, ranges.c.high), *filters)
            .offset(0).lateral("cell_rows"))
    return (sa.select(each.c.cell, sa.func.sum(each.c.n).label("n"), sa.func.sum(each.c.sum_lon).label("lon"),
                      sa.func.sum(each.c.sum_lat).label("lat"))
            .select_from(ranges).join(each, sa.true()).group_by(each.c.cell))


def _ranges_cte(ranges: list[tuple[int, int]], name: str):
    """PostgreSQL: inclusive ranges (low, high) as rows of a CTE. Two arrays, so that the statement's text is
    the same for every viewport: compiled once and kept, where a text of its own each time filled the
    statement cache with objects the garbage collector then walks."""
    return (sa.text(f"SELECT low, high FROM unnest(CAST(:{name}_lows AS BIGINT[]), CAST(:{name}_highs AS BIGINT[]))"
                    " AS r(low, high)")
            .bindparams(**{f"{name}_lows": [low for low, _high in ranges],
                           f"{name}_highs": [high for _low, high in ranges]})
            .columns(sa.column("low", sa.BigInteger), sa.column("high", sa.BigInteger)).cte(f"{name}_ranges"))


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
    # No id: PostgreSQL then answers from the index alone, without visiting each row of the frame.
    return _by_ranges((Asset.geo_key, Asset.lon, Asset.lat), grid.joined_ranges(keys, depth, MAX_RANGES),
                      (Asset.lon.between(west, east), Asset.lat.between(south, north), *outside, *conditions),
                      "frame")


def _by_ranges(columns, ranges: list[tuple[int, int]], conditions, name: str):
    """`columns` of the facilities whose keys lie in `ranges` and that meet `conditions`, as a subquery.
    The ranges are rows joined to the facilities: each an index range scan, as a union of one select per
    range would be, without building and compiling hundreds of selects per request."""
    if db.session.get_bind().dialect.name != "postgresql":
        # Written out as text because they are our own integers, and rendering hundreds of literals through
        # the compiler cost more than the query; SQLite names a VALUES list's columns column1, column2, and
        # loops over the ranges, searching the index for each.
        rows = ", ".join(f"({low}, {high})" for low, high in ranges)
        frame = (sa.text(f"SELECT column1 AS low, column2 AS high FROM (VALUES {rows}) AS {name}_values")
                 .columns(sa.column("low", sa.BigInteger), sa.column("high", sa.BigInteger)).cte(f"{name}_ranges"))
        return sa.select(*columns).where(Asset.geo_key.between(frame.c.low, frame.c.high), *conditions).subquery(name)
    frame = _ranges_cte(ranges, name)
    found = sa.select(*columns).where(Asset.geo_key.between(frame.c.low, frame.c.high), *conditions)
    # PostgreSQL cannot tell how little a join on ranges selects and would scan the whole table; made lateral
    # (and kept apart by OFFSET 0, which it would otherwise flatten back into a join), the select runs once
    # per range, an index scan each.
    each = found.offset(0).lateral(f"{name}_rows")
    return sa.select(each).select_from(frame).join(each, sa.true()).subquery(name)


def _in_bbox(query: Query, conditions) -> list:
    west, south, east, north = query.bbox
    return [Asset.lon.between(west, east), Asset.lat.between(south, north), *conditions]


def _single_ids(lone: list, conditions) -> list[int]:
    """The ids of cells' lone facilities: known when read with their ids, else looked up in the cell that
    counted them (with the bbox among `conditions`, for a cell the bbox cuts)."""
    ids = [cell.first for cell in lone if cell.holder is None]
    ranges = [(key << grid.cell_shift(depth), ((key + 1) << grid.cell_shift(depth)) - 1)
              for depth, key in (cell.holder for cell in lone if cell.holder is not None)]
    # "+ 0": on min(id) alone PostgreSQL walks the primary key from the smallest id until a row in the cell
    # turns up (most of a second for a cell of late ids); as an expression it reads the cell.
    first = sa.func.min(Asset.id + 0)
    if ranges and db.session.get_bind().dialect.name == "postgresql":
        # The cells as rows, each looked up by its own index range scan, in one statement of the same text
        # whatever their number (a union of hundreds of selects took longer to build than to run).
        frame = _ranges_cte(ranges, "lone")
        each = sa.select(first.label("id")).where(Asset.geo_key.between(frame.c.low, frame.c.high),
                                                  *conditions).lateral("lone_rows")
        ids += db.session.scalars(sa.select(each.c.id).select_from(frame).join(each, sa.true())).all()
    else:
        for start in range(0, len(ranges), MAX_RANGES):
            parts = [sa.select(first).where(Asset.geo_key.between(low, high), *conditions)
                     for low, high in ranges[start:start + MAX_RANGES]]
            ids += db.session.scalars(sa.union_all(*parts) if len(parts) > 1 else parts[0]).all()
    return sorted(i for i in ids if i is not None)


# What a facility's feature shows of it, besides its id.
_SHOWN_COLUMNS = (Asset.name, Asset.type, Asset.geometry)


def _facility_features(listed, zoom: int, now: datetime) -> list:
    """The features of the facilities `listed` (a subquery of their ids and _SHOWN_COLUMNS), in the order of
    their ids, with their codes and open work, in one statement. The code and the work are looked up per
    facility, by their indexes: a join the planner could turn into a read of every code or order."""
    open_work = (WorkOrder.asset_id == listed.c.id, WorkOrder.status.in_(OPEN))
    code = (sa.select(sa.func.min(IdentityCode.code))
            .where(IdentityCode.asset_id == listed.c.id, IdentityCode.status == "bound").scalar_subquery())
    rows = db.session.execute(
        sa.select(listed, code.label("code"),
                  sa.select(sa.func.count()).where(*open_work).scalar_subquery().label("open_work"),
                  sa.exists().where(*open_work, WorkOrder.due_at < now).label("overdue"))
        .order_by(listed.c.id)
    ).all()
    return [{"type": "Feature", "id": f"asset:{r.id}", "geometry": _shown(r.geometry, zoom),
             "properties": {"kind": "asset", "id": r.id, "code": r.code, "name": r.name, "type": r.type,
                            "open_work": r.open_work, "overdue": bool(r.overdue)}} for r in rows]


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
