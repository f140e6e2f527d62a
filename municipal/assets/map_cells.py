"""Keeping the map's cell counts (geo/models.py) equal to the facilities they count.

Every write that adds a located facility, moves one or changes its type, status or area reports the
facility's place before and after to `changed` (the asset services and the import do, in the same
transaction); `rebuild` recounts everything from the facilities (the migration, and loads that write rows
directly); `differences` compares the tables with a fresh recount.
"""
import functools
from collections import defaultdict
from typing import Iterable, NamedTuple

import sqlalchemy as sa

from ..db import conflict_insert
from ..extensions import db
from ..geo import grid
from ..geo.models import MapCell, MapCellArea
from .models import Asset

# The finest level each table holds. The plain one is fine enough that a viewport's frame of facilities read
# one by one stays thin; the one by area stops sooner, as each of its cells holds a row per area and type.
FINEST = {MapCell: 17, MapCellArea: 16}
_SUMS = ("n", "sum_lon", "sum_lat")


class Place(NamedTuple):
    """What the cell counts know of a located facility."""
    geo_key: int
    lon: float
    lat: float
    type: str
    status: str
    area_id: int | None


def place_of(values) -> Place | None:
    """A facility's (or a row's mapping of columns) place; None when it is not located."""
    get = values.get if isinstance(values, dict) else lambda name: getattr(values, name)
    if get("geo_key") is None:
        return None
    return Place(get("geo_key"), get("lon"), get("lat"), get("type"), get("status"), get("area_id"))


def _by_area(model) -> bool:
    return model is MapCellArea


def changed(moves: Iterable[tuple[Place | None, Place | None]]) -> None:
    """Count each facility out of the cells of its place before and into those of its place after (None:
    not located, or not there at all), in the current transaction."""
    deltas = {model: defaultdict(lambda: [0, 0.0, 0.0]) for model in FINEST}
    for before, after in moves:
        if before == after:
            continue
        for place, sign in ((before, -1), (after, 1)):
            if place is None:
                continue
            for model, finest in FINEST.items():
                if _by_area(model) and place.area_id is None:
                    continue
                area = (place.area_id,) if _by_area(model) else ()
                for level in range(grid.COARSEST_LEVEL, finest + 1):
                    key = (level, *area, place.geo_key >> grid.cell_shift(level), place.type, place.status)
                    delta = deltas[model][key]
                    delta[0] += sign
                    delta[1] += sign * place.lon
                    delta[2] += sign * place.lat
    for model, found in deltas.items():
        names = [column.name for column in model.__table__.primary_key.columns]
        # In key order, so that two transactions changing the same cells lock them in the same order.
        rows = [{**dict(zip(names, key)), "n": d[0], "sum_lon": d[1], "sum_lat": d[2]}
                for key, d in sorted(found.items()) if d != [0, 0.0, 0.0]]
        if rows:
            _add(model.__table__, names, rows)


def _add(table, names: list[str], rows: list[dict]) -> None:
    add, delete = _statements(table, tuple(names), db.session.get_bind().dialect.name)
    db.session.execute(add, rows)
    # A cell left with no facility is deleted, so the tables hold only cells some facility is counted in.
    emptied = [{f"k_{name}": row[name] for name in names} for row in rows if row["n"] < 0]
    if emptied:
        db.session.execute(delete, emptied)


@functools.cache
def _statements(table, names: tuple[str, ...], dialect: str):
    """The upsert adding to a cell's counts and the delete of an emptied cell, built once per table: every
    facility written builds them otherwise, which cost more than running them."""
    insert = conflict_insert(table, dialect)
    add = insert.on_conflict_do_update(index_elements=list(names),
                                       set_={name: table.c[name] + insert.excluded[name] for name in _SUMS})
    delete = sa.delete(table).where(*[table.c[name] == sa.bindparam(f"k_{name}") for name in names],
                                    table.c.n == 0)
    return add, delete


def _recount_select(table, level: int, by_area: bool, source=None):
    """The counts of `level` as a select: from the facilities (`source` None) or from the next finer level
    of the table itself."""
    if source is None:
        asset = Asset.__table__
        cell = asset.c.geo_key.op(">>")(sa.literal_column(str(grid.cell_shift(level))))
        area = [asset.c.area_id] if by_area else []
        return (sa.select(sa.literal_column(str(level)).label("level"), *area, cell.label("cell"), asset.c.type,
                          asset.c.status, sa.func.count().label("n"), sa.func.sum(asset.c.lon).label("sum_lon"),
                          sa.func.sum(asset.c.lat).label("sum_lat"))
                .where(asset.c.geo_key.is_not(None), *([asset.c.area_id.is_not(None)] if by_area else []))
                .group_by(*area, cell, asset.c.type, asset.c.status))
    cell = table.c.cell.op(">>")(sa.literal_column("2"))
    area = [table.c.area_id] if by_area else []
    return (sa.select(sa.literal_column(str(level)).label("level"), *area, cell.label("cell"), table.c.type,
                      table.c.status, sa.func.sum(table.c.n).label("n"), sa.func.sum(table.c.sum_lon).label("sum_lon"),
                      sa.func.sum(table.c.sum_lat).label("sum_lat"))
            .where(table.c.level == level + 1).group_by(*area, cell, table.c.type, table.c.status))


def rebuild(connection) -> None:
    """Recount both tables from the facilities: the finest level from them, each coarser one from the
    level below it."""
    for model, finest in FINEST.items():
        table = model.__table__
        by_area = _by_area(model)
        names = [name for name in ("level", "area_id", "cell", "type", "status", *_SUMS)
                 if by_area or name != "area_id"]
        connection.execute(sa.delete(table))
        connection.execute(table.insert().from_select(names, _recount_select(table, finest, by_area)))
        for level in range(finest - 1, grid.COARSEST_LEVEL - 1, -1):
            connection.execute(table.insert().from_select(names, _recount_select(table, level, by_area, table)))


def differences(connection) -> list[str]:
    """Where the tables differ from a recount of the facilities, each level counted from them afresh:
    empty when they agree (positions to a millionth of a degree, summed in another order)."""
    found = []
    for model, finest in FINEST.items():
        table = model.__table__
        by_area = _by_area(model)
        for level in range(grid.COARSEST_LEVEL, finest + 1):
            expected = {tuple(row[:-3]): tuple(row[-3:])
                        for row in connection.execute(_recount_select(table, level, by_area))}
            stored = {tuple(row[:-3]): tuple(row[-3:]) for row in connection.execute(
                sa.select(*[c for c in table.c if c.name not in _SUMS], *[table.c[name] for name in _SUMS])
                .where(table.c.level == level))}
            for key in sorted(expected.keys() | stored.keys(), key=repr):
                want, have = expected.get(key), stored.get(key)
                if want is None or have is None or want[0] != have[0] or any(
                        abs(w - h) > 1e-6 * max(1, want[0]) for w, h in zip(want[1:], have[1:])):
                    found.append(f"{table.name} {key}: counted {want}, stored {have}")
    return found
