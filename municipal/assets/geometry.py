"""GeoJSON geometry checks (WGS84, inside the district). Pure."""
from ..i18n import N_
from .types import Invalid


def check_geometry(geometry, expected: str, bbox) -> dict:
    """The geometry as clean GeoJSON, or Invalid saying what is wrong.

    `expected` is the type's geometry (Point or LineString); `bbox` is
    (min_lon, min_lat, max_lon, max_lat) of the district.
    """
    if not isinstance(geometry, dict) or "type" not in geometry or "coordinates" not in geometry:
        raise Invalid(N_("must be a GeoJSON geometry with type and coordinates"))
    if geometry["type"] != expected:
        raise Invalid(N_("must be a %(expected)s, not %(given)s"), expected=expected, given=geometry["type"])
    coordinates = geometry["coordinates"]
    positions = [coordinates] if expected == "Point" else coordinates
    if not isinstance(positions, list) or (expected == "LineString" and len(positions) < 2):
        raise Invalid(N_("a LineString needs at least two positions"))
    clean = [_position(p, bbox) for p in positions]
    return {"type": expected, "coordinates": clean[0] if expected == "Point" else clean}


def _position(position, bbox) -> list:
    if (
        not isinstance(position, (list, tuple))
        or len(position) not in (2, 3)
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in position)
    ):
        raise Invalid(N_("positions must be [longitude, latitude] numbers"))
    try:
        lon, lat = float(position[0]), float(position[1])
    except OverflowError:
        raise Invalid(N_("positions must be [longitude, latitude] numbers")) from None
    min_lon, min_lat, max_lon, max_lat = bbox
    # A spreadsheet with its columns the wrong way round is the commonest way to land outside the district.
    if min_lon <= lat <= max_lon and min_lat <= lon <= max_lat:
        raise Invalid(N_("[%(lon)s, %(lat)s] lies outside the district: longitude and latitude look swapped"),
                      lon=lon, lat=lat)
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise Invalid(N_("[%(lon)s, %(lat)s] is not a WGS84 longitude/latitude"), lon=lon, lat=lat)
    if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
        raise Invalid(N_("[%(lon)s, %(lat)s] lies outside the district"), lon=lon, lat=lat)
    return [round(lon, 7), round(lat, 7)]


def representative_point(geometry: dict | None) -> tuple[float, float] | None:
    """(lon, lat) to show or measure from: the point itself, or a line's middle vertex."""
    if not geometry:
        return None
    if geometry["type"] == "Point":
        return tuple(geometry["coordinates"][:2])
    coords = geometry["coordinates"]
    return tuple(coords[len(coords) // 2][:2])
