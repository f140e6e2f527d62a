"""The spatial key every located facility carries, the cells facilities are clustered in, and lines made
simpler for a zoom. Pure.

The key is the facility's Web Mercator tile at level KEY_LEVEL (~35 m across here), its column and row bits
interleaved (a Z-order curve): every tile of a coarser level is one contiguous range of keys. So a viewport is
a handful of key ranges an ordinary B-tree index serves, on SQLite and PostgreSQL alike, and the cell of a
coarser level is the key shifted right.
"""
import math
from dataclasses import dataclass

KEY_LEVEL = 20
MAX_ZOOM = 20
# Clusters are cells a quarter of a 256-pixel tile across: at zoom z, tiles of level z + 2.
CLUSTER_LEVELS_BELOW_TILE = 2
# From this zoom on, every facility is shown on its own.
SINGLES_FROM_ZOOM = 17
# The viewport is covered by at most this many key ranges (cells of the coarsest level that still fits).
MAX_COVER_CELLS = 64
_MAX_LAT = 85.05112878


def tile(lon: float, lat: float, level: int) -> tuple[int, int]:
    """The Web Mercator tile (column, row) holding the position at `level`."""
    n = 1 << level
    lat = max(-_MAX_LAT, min(_MAX_LAT, lat))
    x = int((lon + 180.0) / 360.0 * n)
    rad = math.radians(lat)
    y = int((1.0 - math.log(math.tan(rad) + 1.0 / math.cos(rad)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def interleave(x: int, y: int) -> int:
    key = 0
    for bit in range(KEY_LEVEL):
        key |= ((x >> bit) & 1) << (2 * bit) | ((y >> bit) & 1) << (2 * bit + 1)
    return key


def geo_key(lon: float, lat: float) -> int:
    return interleave(*tile(lon, lat, KEY_LEVEL))


def cell_shift(level: int) -> int:
    """How far a key is shifted right to give its cell at `level`."""
    return 2 * (KEY_LEVEL - level)


def cluster_level(zoom: int) -> int | None:
    """The level of the cells facilities are clustered in at `zoom`; None when each is shown on its own."""
    if zoom >= SINGLES_FROM_ZOOM:
        return None
    return min(zoom + CLUSTER_LEVELS_BELOW_TILE, KEY_LEVEL)


def key_ranges(bbox: tuple[float, float, float, float], level: int) -> list[tuple[int, int]]:
    """Inclusive key ranges whose cells together cover the bbox (west, south, east, north): a superset, to be
    narrowed by the positions themselves. Cells of `level`, or coarser ones when those would be too many."""
    west, south, east, north = bbox
    x0, y0 = tile(west, north, level)
    x1, y1 = tile(east, south, level)
    while level > 0 and (x1 - x0 + 1) * (y1 - y0 + 1) > MAX_COVER_CELLS:
        level, x0, y0, x1, y1 = level - 1, x0 >> 1, y0 >> 1, x1 >> 1, y1 >> 1
    shift = cell_shift(level)
    starts = sorted(interleave(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1))
    ranges: list[list[int]] = []
    for start in starts:
        low, high = start << shift, ((start + 1) << shift) - 1
        if ranges and ranges[-1][1] + 1 == low:
            ranges[-1][1] = high
        else:
            ranges.append([low, high])
    return [(low, high) for low, high in ranges]


def representative_point(geometry: dict | None) -> tuple[float, float] | None:
    """(lon, lat) a facility is found and clustered at: the point itself, or a line's middle vertex."""
    if not geometry:
        return None
    if geometry["type"] == "Point":
        return float(geometry["coordinates"][0]), float(geometry["coordinates"][1])
    coords = geometry["coordinates"]
    middle = coords[len(coords) // 2]
    return float(middle[0]), float(middle[1])


def spatial_columns(geometry: dict | None) -> dict:
    """The facility's lon, lat and geo_key columns for its geometry (all None without one)."""
    point = representative_point(geometry)
    if point is None:
        return {"lon": None, "lat": None, "geo_key": None}
    return {"lon": point[0], "lat": point[1], "geo_key": geo_key(*point)}


def simplify(coordinates: list, zoom: int) -> list:
    """A line with the vertices a screen at `zoom` cannot show removed (Douglas–Peucker, half a pixel)."""
    if len(coordinates) < 3:
        return coordinates
    tolerance = 360.0 / (256 * (1 << zoom)) / 2
    keep = [False] * len(coordinates)
    keep[0] = keep[-1] = True
    stack = [(0, len(coordinates) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, distance = None, tolerance
        for i in range(first + 1, last):
            d = _off_line(coordinates[i], coordinates[first], coordinates[last])
            if d > distance:
                farthest, distance = i, d
        if farthest is not None:
            keep[farthest] = True
            stack += [(first, farthest), (farthest, last)]
    return [p for p, kept in zip(coordinates, keep) if kept]


def _off_line(p, a, b) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    if dx == 0 and dy == 0:
        return math.hypot(p[0] - a[0], p[1] - a[1])
    return abs(dy * p[0] - dx * p[1] + b[0] * a[1] - b[1] * a[0]) / math.hypot(dx, dy)


# --- counting from the cell tables (geo/cells.py) ---------------------------------------------------------
# Cluster levels up to COUNTED_LEVEL are counted from the cell tables rather than from the facilities; the
# tables hold every level from COARSEST_LEVEL down to their finest one, so a viewport is its cells wholly
# inside it, taken at the coarsest level that fits, plus a thin frame of facilities along its edges.
COARSEST_LEVEL = 2
COUNTED_LEVEL = 15
# Cells named to the database for one viewport, at most: past this, the frame is read from the facilities
# at the level reached (a frame far outside the registry costs index probes that find nothing).
MAX_COUNTED_CELLS = 3000


def inner_rect(bbox: tuple[float, float, float, float], level: int) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1): the cells of `level` every position of which lies inside the bbox, or None. A cell
    strictly between the bbox's corner tiles holds only positions strictly inside it, because tile() is
    monotonic and the same function gave every facility its key: no rounding can put one on the wrong side."""
    west, south, east, north = bbox
    x0, y0 = tile(west, north, level)
    x1, y1 = tile(east, south, level)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return x0 + 1, y0 + 1, x1 - 1, y1 - 1


def _rect_size(rect) -> int:
    return 0 if rect is None else (rect[2] - rect[0] + 1) * (rect[3] - rect[1] + 1)


def _cells(rect, without=None) -> list[int]:
    """The keys of the cells of `rect` not inside `without` (a rectangle of the same level)."""
    if rect is None:
        return []
    x0, y0, x1, y1 = rect
    return sorted(interleave(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)
                  if without is None or not (without[0] <= x <= without[2] and without[1] <= y <= without[3]))


def _children(rect):
    return None if rect is None else (2 * rect[0], 2 * rect[1], 2 * rect[2] + 1, 2 * rect[3] + 1)


@dataclass(frozen=True)
class Cover:
    """A viewport at a cluster level, split into what the cell tables count and what the facilities do.

    counted: {level: cell keys}, cells wholly inside the bbox, none inside another; frame_level and inner:
    the level reached and its rectangle of counted cells (None: nothing counted); frame: the key ranges
    holding the facilities in the bbox but outside `inner`, at frame_level (to be narrowed by position and
    by `inner`, as ranges of cells far apart are joined to keep the query short)."""
    counted: dict
    frame_level: int
    inner: tuple[int, int, int, int] | None
    frame: list


def cover(bbox: tuple[float, float, float, float], level: int, finest: int, max_parts: int) -> Cover:
    """The viewport's cover at cluster `level`, going down to `finest` while the cells stay few."""
    west, south, east, north = bbox
    counted, named = {}, 0
    outer = None
    chosen = level
    previous = None
    for depth in range(level, finest + 1):
        rect = inner_rect(bbox, depth)
        x0, y0 = tile(west, north, depth)
        x1, y1 = tile(east, south, depth)
        new = _rect_size(rect) - 4 * _rect_size(previous)
        frame = (x1 - x0 + 1) * (y1 - y0 + 1) - _rect_size(rect)
        if depth > level and named + new + frame > MAX_COUNTED_CELLS:
            break
        counted[depth] = _cells(rect, _children(previous))
        named += new
        chosen, previous, outer = depth, rect, (x0, y0, x1, y1)
    frame_keys = _cells(outer, previous)
    shift = cell_shift(chosen)
    ranges = [[key << shift, ((key + 1) << shift) - 1] for key in frame_keys]
    merged: list[list[int]] = []
    for low, high in ranges:
        if merged and merged[-1][1] + 1 == low:
            merged[-1][1] = high
        else:
            merged.append([low, high])
    while len(merged) > max_parts:
        # Join the two neighbours with the smallest gap: the query then reads a little more, all of which
        # the position and the `inner` test still keep out.
        gap = min(range(len(merged) - 1), key=lambda i: merged[i + 1][0] - merged[i][1])
        merged[gap:gap + 2] = [[merged[gap][0], merged[gap + 1][1]]]
    return Cover({depth: keys for depth, keys in counted.items() if keys}, chosen, previous,
                 [(low, high) for low, high in merged])


def axis_masks(level: int) -> tuple[int, int]:
    """Masks keeping a key's column bits and its row bits at `level`: each, compared as a number, orders
    keys by their cell's column (or row), so a rectangle of cells is two range tests on the key."""
    shift = cell_shift(level)
    columns = interleave((1 << level) - 1, 0) << shift
    return columns, columns << 1
