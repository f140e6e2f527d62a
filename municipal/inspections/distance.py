"""How far a phone was from a facility. Pure.

Distances of a few kilometres at most: an equirectangular projection around the phone is exact to
well under a metre there, and lets a line's nearest point be found with plane geometry.
"""
import math

EARTH_RADIUS_M = 6_371_008.8


def _local_xy(lon: float, lat: float, origin_lon: float, origin_lat: float) -> tuple[float, float]:
    x = math.radians(lon - origin_lon) * math.cos(math.radians(origin_lat)) * EARTH_RADIUS_M
    y = math.radians(lat - origin_lat) * EARTH_RADIUS_M
    return x, y


def _to_segment(px: float, py: float, a: tuple, b: tuple) -> float:
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def distance_m(lon: float, lat: float, other_lon: float, other_lat: float) -> float:
    """Metres between two nearby positions."""
    return math.hypot(*_local_xy(other_lon, other_lat, lon, lat))


def distance_to_geometry(lon: float, lat: float, geometry: dict | None) -> float | None:
    """Metres from (lon, lat) to a GeoJSON Point, or to the nearest point of a LineString; None without one."""
    if not geometry:
        return None
    if geometry["type"] == "Point":
        vertices = [geometry["coordinates"]]
    elif geometry["type"] == "LineString":
        vertices = geometry["coordinates"]
    else:
        return None
    points = [_local_xy(v[0], v[1], lon, lat) for v in vertices]
    if len(points) == 1:
        return math.hypot(*points[0])
    return min(_to_segment(0.0, 0.0, a, b) for a, b in zip(points, points[1:]))
