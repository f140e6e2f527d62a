"""The spatial key every located facility carries, the cells facilities are clustered in, and lines made
simpler for a zoom. Pure.

The key is the facility's Web Mercator tile at level KEY_LEVEL (~35 m across here), its column and row bits
interleaved (a Z-order curve): every tile of a coarser level is one contiguous range of keys. So a viewport is
a handful of key ranges an ordinary B-tree index serves, on SQLite and PostgreSQL alike, and the cell of a
coarser level is the key shifted right.
"""
import math

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


def _spread_byte(value: int) -> int:
    return sum(((value >> bit) & 1) << (2 * bit) for bit in range(8))


# A byte's bits spread to every other bit: a map counts a few thousand cells per request, a byte at a time.
_SPREAD = [_spread_byte(value) for value in range(256)]


def interleave(x: int, y: int) -> int:
    """The key of column x and row y (of KEY_LEVEL bits or fewer): their bits interleaved, x's first."""
    return (_SPREAD[x & 0xFF] | _SPREAD[(x >> 8) & 0xFF] << 16 | _SPREAD[(x >> 16) & 0xF] << 32
            | (_SPREAD[y & 0xFF] | _SPREAD[(y >> 8) & 0xFF] << 16 | _SPREAD[(y >> 16) & 0xF] << 32) << 1)


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


# Metres in a degree of latitude (the mean Earth radius): enough to draw a box around a pin.
_METRES_PER_DEGREE = 6_371_008.8 * math.pi / 180


def around(lon: float, lat: float, metres: float) -> tuple[float, float, float, float]:
    """The bbox (west, south, east, north) holding every position within `metres` of (lon, lat), with a
    hundredth to spare: what key_ranges() narrows a "near here" question to."""
    dlat = metres * 1.01 / _METRES_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    return (max(lon - dlon, -180.0), max(lat - dlat, -90.0), min(lon + dlon, 180.0), min(lat + dlat, 90.0))


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


# --- counting from the cell tables (assets/map_cells.py) ---------------------------------------------------------
# The coarsest level the cell tables hold: the cluster level of zoom 0.
COARSEST_LEVEL = 2


def tile_rect(bbox: tuple[float, float, float, float], level: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1): the cells of `level` the bbox touches."""
    west, south, east, north = bbox
    return (*tile(west, north, level), *tile(east, south, level))


def inner_rect(bbox: tuple[float, float, float, float], level: int) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1): the cells of `level` every position of which lies inside the bbox, or None. A cell
    strictly between the bbox's corner tiles holds only positions strictly inside it, because tile() is
    monotonic and the same function gave every facility its key: no rounding can put one on the wrong side."""
    x0, y0, x1, y1 = tile_rect(bbox, level)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return x0 + 1, y0 + 1, x1 - 1, y1 - 1


def inside(rect, x: int, y: int) -> bool:
    return rect is not None and rect[0] <= x <= rect[2] and rect[1] <= y <= rect[3]


def cells_of(rect) -> list[tuple[int, int, int]]:
    """(key, x, y) of every cell of the rectangle."""
    x0, y0, x1, y1 = rect
    return [(interleave(x, y), x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def children(key: int, x: int, y: int, rect) -> list[tuple[int, int, int]]:
    """(key, x, y) of the cell's four children of the next level that lie in `rect`."""
    return [((key << 2) | (dy << 1) | dx, 2 * x + dx, 2 * y + dy) for dy in (0, 1) for dx in (0, 1)
            if inside(rect, 2 * x + dx, 2 * y + dy)]


def joined_ranges(keys: list[int], level: int, max_parts: int) -> list[tuple[int, int]]:
    """Key ranges holding the cells `keys` of `level`: neighbours joined, then the nearest ranges joined
    until there are at most `max_parts` (the caller keeps out what the joins take in)."""
    shift = cell_shift(level)
    merged: list[list[int]] = []
    for key in sorted(keys):
        if merged and merged[-1][1] + 1 == key << shift:
            merged[-1][1] = ((key + 1) << shift) - 1
        else:
            merged.append([key << shift, ((key + 1) << shift) - 1])
    if len(merged) > max_parts:
        gaps = sorted(range(len(merged) - 1), key=lambda i: (merged[i + 1][0] - merged[i][1], i))
        joined = set(gaps[:len(merged) - max_parts])
        out: list[list[int]] = []
        for i, part in enumerate(merged):
            if i - 1 in joined:
                out[-1][1] = part[1]
            else:
                out.append(list(part))
        merged = out
    return [(low, high) for low, high in merged]


def axis_masks(level: int) -> tuple[int, int]:
    """Masks keeping a key's column bits and its row bits at `level`: each, compared as a number, orders
    keys by their cell's column (or row), so a rectangle of cells is two range tests on the key."""
    shift = cell_shift(level)
    columns = interleave((1 << level) - 1, 0) << shift
    return columns, columns << 1
