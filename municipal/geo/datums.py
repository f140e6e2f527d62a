"""WGS-84, GCJ-02 and BD-09: the three datums positions arrive in from Chinese phones and maps. Pure.

GCJ-02 is WGS-84 with the state's published obfuscation applied (what AMap, Tencent and most phone maps show);
BD-09 is Baidu's further shift of GCJ-02. Everything is stored as WGS-84: positions in the other two are
converted on the way in, and WGS-84 is converted out only for a map or a navigation link that expects them.
"""
import math

DATUMS = ("wgs84", "gcj02", "bd09")

_A = 6378245.0  # the Krasovsky ellipsoid GCJ-02 is defined on
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0


def outside_china(lon: float, lat: float) -> bool:
    """GCJ-02 leaves positions outside mainland China's rough box unshifted."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _shift_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _shift_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if outside_china(lon, lat):
        return lon, lat
    dlat = _shift_lat(lon - 105.0, lat - 35.0)
    dlon = _shift_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """The exact inverse: the one-step inverse common online is off by up to a few metres, a manhole's width."""
    return _invert(wgs84_to_gcj02, lon, lat, (lon, lat))


def _invert(forward, lon: float, lat: float, start: tuple[float, float]) -> tuple[float, float]:
    """The position `forward` takes to (lon, lat), by fixed-point iteration from `start`."""
    x, y = start
    for _ in range(30):
        fx, fy = forward(x, y)
        dx, dy = fx - lon, fy - lat
        x, y = x - dx, y - dy
        if abs(dx) < 1e-11 and abs(dy) < 1e-11:
            break
    return x, y


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Baidu's published inverse, refined: on its own it is off by a few centimetres."""
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return _invert(gcj02_to_bd09, lon, lat, (z * math.cos(theta), z * math.sin(theta)))


def to_wgs84(lon: float, lat: float, datum: str) -> tuple[float, float]:
    """A position given in `datum` as WGS-84."""
    if datum == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if datum == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    if datum == "wgs84":
        return lon, lat
    raise ValueError(f"unknown datum {datum!r}")


def from_wgs84(lon: float, lat: float, datum: str) -> tuple[float, float]:
    """A stored WGS-84 position in `datum`, for a map or a navigation app that expects it."""
    if datum == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if datum == "bd09":
        return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    if datum == "wgs84":
        return lon, lat
    raise ValueError(f"unknown datum {datum!r}")


def convert_geometry(geometry, datum: str):
    """A GeoJSON Point or LineString given in `datum`, its positions as WGS-84; anything malformed is returned
    as it came, for the geometry check to name what is wrong."""
    if datum == "wgs84" or not isinstance(geometry, dict):
        return geometry
    coordinates = geometry.get("coordinates")
    try:
        if geometry.get("type") == "Point":
            return {**geometry, "coordinates": _position(coordinates, datum)}
        if geometry.get("type") == "LineString" and isinstance(coordinates, list):
            return {**geometry, "coordinates": [_position(p, datum) for p in coordinates]}
    except (TypeError, ValueError, IndexError):
        pass
    return geometry


def _position(position, datum: str) -> list:
    if isinstance(position[0], bool) or isinstance(position[1], bool):
        raise TypeError("not a number")
    lon, lat = to_wgs84(float(position[0]), float(position[1]), datum)
    return [lon, lat, *position[2:]]
