"""The map's background as MUNICIPAL_MAP_TILES names it: where tiles come from, in which datum, and the hosts
the page's content policy must let images come from. Pure."""

_TIANDITU = "https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=%s" \
            "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%s"


def tile_source(setting: str) -> dict:
    """{"kind", "datum", "layers": [{url, subdomains, attribution}], "hosts"}. 天地图 is CGCS2000, which is
    WGS-84 to within centimetres; AMap's tiles are GCJ-02, so the page shifts our WGS-84 overlays onto them."""
    if setting.startswith("tianditu:"):
        key = setting.split(":", 1)[1]
        return {"kind": "tianditu", "datum": "wgs84", "hosts": ["https://*.tianditu.gov.cn"],
                "layers": [{"url": _TIANDITU % (layer, layer, key), "subdomains": "01234567",
                            "attribution": "© 天地图"} for layer in ("vec", "cva")]}
    if setting == "osm":
        return {"kind": "osm", "datum": "wgs84", "hosts": ["https://tile.openstreetmap.org"],
                "layers": [{"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "subdomains": "",
                            "attribution": "© OpenStreetMap contributors"}]}
    if setting == "amap":
        return {"kind": "amap", "datum": "gcj02", "hosts": ["https://*.is.autonavi.com"],
                "layers": [{"url": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                                   "&style=8&x={x}&y={y}&z={z}", "subdomains": "1234", "attribution": "© 高德地图"}]}
    return {"kind": "none", "datum": "wgs84", "hosts": [], "layers": []}
