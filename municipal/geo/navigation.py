"""Links that open a phone's navigation app at a facility, each in the datum that app reads. Pure."""
from urllib.parse import urlencode

from .datums import from_wgs84


def navigation_links(lon: float, lat: float, name: str) -> dict[str, str]:
    """{"amap": ..., "baidu": ...}: AMap's URI takes GCJ-02 ("gaode"), Baidu's BD-09 ("bd09ll"); converted
    here, so neither app guesses the datum of a bare number pair."""
    glon, glat = from_wgs84(lon, lat, "gcj02")
    blon, blat = from_wgs84(lon, lat, "bd09")
    amap = "https://uri.amap.com/marker?" + urlencode(
        {"position": f"{glon:.6f},{glat:.6f}", "name": name, "coordinate": "gaode", "callnative": 1,
         "src": "municipal"})
    baidu = "https://api.map.baidu.com/marker?" + urlencode(
        {"location": f"{blat:.6f},{blon:.6f}", "title": name, "content": name, "coord_type": "bd09ll",
         "output": "html", "src": "webapp.municipal"})
    return {"amap": amap, "baidu": baidu}
