"""The map's features API and page, on whichever database the suite runs on: the expected answers are worked
out here from the positions alone, so the same test passing on SQLite and PostgreSQL proves they agree."""
from datetime import timedelta

import pytest

from municipal.auth.services import set_user_areas
from municipal.geo import features as map_features
from municipal.geo import grid
from tests.web.api_helpers import error_of

DISTRICT = "119.15,25.95,119.65,26.5"
# A dense block of manholes in the town, two far apart, a pipe with a wobble too small for a zoomed-out map.
BLOCK = [(119.30 + i * 0.0003, 26.08 + j * 0.0003) for i in range(5) for j in range(4)]
FAR = [(119.55, 26.40), (119.20, 26.00)]
PIPE = [[119.40 + i * 0.0005, 26.20 + (0.000005 if i % 2 else 0)] for i in range(21)]


@pytest.fixture
def towns(db, area):
    from municipal.assets.models import Area

    town = Area(code="huanxi", name="宦溪镇", name_en="Huanxi Town", level="town", parent=area.parent)
    db.session.add(town)
    db.session.flush()
    town.path = f"{area.parent.path}{town.id}/"
    db.session.commit()
    return town


@pytest.fixture
def spread(make_asset, towns):
    made = [make_asset("manhole", f"井{n}", geometry={"type": "Point", "coordinates": list(p)})
            for n, p in enumerate(BLOCK + FAR)]
    made.append(make_asset("water_pipe", "连江北路给水管", attributes={},
                           geometry={"type": "LineString", "coordinates": PIPE}, area=towns.code))
    make_asset("manhole", "废井", geometry={"type": "Point", "coordinates": [119.301, 26.081]},
               status="decommissioned")
    make_asset("manhole", "无位置井", geometry=None)
    return made


def get(client, **args):
    return client.get("/api/v1/map/features", query_string=args)


def counted(collection) -> int:
    return sum(f["properties"]["count"] if f["properties"].get("cluster") else 1 for f in collection["features"])


def test_clusters_and_singles_add_up_to_the_located_facilities(client, login, spread):
    login("viewer")
    for zoom in (8, 10, 12, 14, 16):
        body = get(client, bbox=DISTRICT, zoom=zoom).get_json()
        assert body["type"] == "FeatureCollection" and body["truncated"] is False
        assert counted(body) == len(BLOCK) + len(FAR) + 1, zoom
    zoomed_out = get(client, bbox=DISTRICT, zoom=10).get_json()["features"]
    clusters = [f for f in zoomed_out if f["properties"].get("cluster")]
    assert [c["properties"]["count"] for c in clusters] == [len(BLOCK)]
    lon, lat = clusters[0]["geometry"]["coordinates"]
    assert lon == pytest.approx(sum(p[0] for p in BLOCK) / len(BLOCK), abs=1e-6)
    assert lat == pytest.approx(sum(p[1] for p in BLOCK) / len(BLOCK), abs=1e-6)
    singles = {f["properties"]["name"] for f in zoomed_out if not f["properties"].get("cluster")}
    assert singles == {"井20", "井21", "连江北路给水管"}


def test_a_bbox_counts_only_what_lies_inside_it(client, login, spread):
    login("supervisor")
    bbox = (119.3005, 26.0795, 119.3011, 26.0811)
    inside = [p for p in BLOCK if bbox[0] <= p[0] <= bbox[2] and bbox[1] <= p[1] <= bbox[3]]
    for zoom in (9, 13, 15, 18):
        body = get(client, bbox=",".join(map(str, bbox)), zoom=zoom).get_json()
        assert counted(body) == len(inside) == 8


def test_one_facility_at_zoom_18_with_its_card_and_work(client, login, spread, users):
    from municipal.workorders.services import create_work_order

    target = spread[7]
    clock = client.application.extensions["clock"]
    create_work_order(users["supervisor"], asset_id=target.id, kind="repair", title="井盖破损",
                      due_at=clock.now() + timedelta(days=2))
    create_work_order(users["supervisor"], asset_id=target.id, kind="repair", title="清淤",
                      due_at=clock.now() + timedelta(hours=1))
    clock.set(clock.now() + timedelta(hours=3))
    from municipal.extensions import db
    db.session.commit()
    login("supervisor")
    lon, lat = target.geometry["coordinates"]
    bbox = f"{lon - 0.0001},{lat - 0.0001},{lon + 0.0001},{lat + 0.0001}"
    body = get(client, bbox=bbox, zoom=18, layers="assets,work").get_json()
    assets = [f for f in body["features"] if f["properties"]["kind"] == "asset"]
    assert assets == [{"type": "Feature", "id": f"asset:{target.id}", "geometry": target.geometry,
                       "properties": {"kind": "asset", "id": target.id, "code": target.code.code, "name": "井7",
                                      "type": "manhole", "open_work": 2, "overdue": True}}]
    work = sorted((f["properties"]["overdue"], f["properties"]["state"]) for f in body["features"]
                  if f["properties"]["kind"] == "work_order")
    assert work == [(False, "new"), (True, "new")]
    overdue_only = get(client, bbox=bbox, zoom=18, layers="work", state="overdue").get_json()["features"]
    assert [f["properties"]["overdue"] for f in overdue_only] == [True]
    assert overdue_only[0]["properties"]["due_at"].startswith(str(clock.now().date()))


def test_lines_are_simplified_for_the_zoom(client, login, spread):
    stored = spread[-1].geometry["coordinates"]
    login("viewer")
    far = get(client, bbox="119.39,26.19,119.42,26.21", zoom=16, type="water_pipe").get_json()["features"]
    near = get(client, bbox="119.39,26.19,119.42,26.21", zoom=20, type="water_pipe").get_json()["features"]
    assert far[0]["geometry"]["coordinates"] == [stored[0], stored[-1]]
    assert near[0]["geometry"]["coordinates"] == stored


def test_filters_by_type_state_and_area(client, login, spread, towns):
    login("admin")
    assert counted(get(client, bbox=DISTRICT, zoom=10, type="water_pipe").get_json()) == 1
    assert counted(get(client, bbox=DISTRICT, zoom=10, area=towns.code).get_json()) == 1
    assert counted(get(client, bbox=DISTRICT, zoom=10, state="decommissioned").get_json()) == 1


def test_the_map_shows_only_what_the_person_may_see(client, login, spread, users, towns):
    set_user_areas(users["admin"], users["supervisor"], [towns.code])
    from municipal.extensions import db
    db.session.commit()
    login("supervisor")
    body = get(client, bbox=DISTRICT, zoom=10).get_json()
    assert [f["properties"]["name"] for f in body["features"]] == ["连江北路给水管"]


def test_more_than_the_limit_is_cut_and_said(client, login, spread, monkeypatch):
    monkeypatch.setattr(map_features, "MAX_FEATURES", 5)
    login("viewer")
    body = get(client, bbox=DISTRICT, zoom=18).get_json()
    assert body["truncated"] is True and len(body["features"]) == 5
    assert get(client, bbox=DISTRICT, zoom=10).get_json()["truncated"] is False


@pytest.mark.parametrize("args, field", [
    ({"zoom": 10}, "bbox"),
    ({"bbox": "1,2,3", "zoom": 10}, "bbox"),
    ({"bbox": "a,b,c,d", "zoom": 10}, "bbox"),
    ({"bbox": "119.6,26,119.2,26.5", "zoom": 10}, "bbox"),
    ({"bbox": "119.2,26,119.6,91", "zoom": 10}, "bbox"),
    ({"bbox": "119.2,26,119.6,nan", "zoom": 10}, "bbox"),
    ({"bbox": DISTRICT, "zoom": 21}, "zoom"),
    ({"bbox": DISTRICT, "zoom": "near"}, "zoom"),
    ({"bbox": DISTRICT, "zoom": 10, "layers": "assets,parks"}, "layers"),
    ({"bbox": DISTRICT, "zoom": 10, "type": "castle"}, "type"),
    ({"bbox": DISTRICT, "zoom": 10, "state": "sleeping"}, "state"),
    ({"bbox": DISTRICT, "zoom": 10, "area": "nowhere"}, "area"),
])
def test_bad_input_is_named(client, login, db, args, field):
    login("viewer")
    error = error_of(get(client, **args), 422)
    assert list(error["fields"]) == [field]


def test_the_key_follows_the_facility_when_it_moves(client, login, spread, users):
    from municipal.assets.services import update_asset

    moved = spread[0]
    update_asset(users["supervisor"], moved, {"geometry": {"type": "Point", "coordinates": [119.6, 26.45]}},
                 moved.version)
    from municipal.extensions import db
    db.session.commit()
    assert moved.geo_key == grid.geo_key(119.6, 26.45) and (moved.lon, moved.lat) == (119.6, 26.45)
    login("viewer")
    body = get(client, bbox="119.59,26.44,119.61,26.46", zoom=15).get_json()
    assert [f["properties"]["name"] for f in body["features"]] == ["井0"]


def test_the_map_page_draws_on_the_configured_background(client, login, db, monkeypatch):
    login("crew")
    page = client.get("/map")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="map-config"' in html and "vendor/leaflet/leaflet.js" in html and "cdn" not in html.lower()
    assert "tianditu" not in page.headers["Content-Security-Policy"]
    monkeypatch.setitem(client.application.config, "MAP_TILES", "tianditu:abc123")
    page = client.get("/map")
    assert "https://*.tianditu.gov.cn" in page.headers["Content-Security-Policy"]
    assert "tk=abc123" in page.get_data(as_text=True)


def test_the_facility_page_links_to_navigation_apps_in_their_datums(client, login, make_asset):
    from municipal.geo.datums import from_wgs84

    asset = make_asset("manhole", "导航井", geometry={"type": "Point", "coordinates": [119.31, 26.09]})
    login("crew")
    html = client.get(f"/assets/{asset.id}").get_data(as_text=True)
    glon, glat = from_wgs84(119.31, 26.09, "gcj02")
    blon, blat = from_wgs84(119.31, 26.09, "bd09")
    assert f"position={glon:.6f}%2C{glat:.6f}" in html and "coordinate=gaode" in html
    assert f"location={blat:.6f}%2C{blon:.6f}" in html and "coord_type=bd09ll" in html


def test_the_offline_pack_carries_the_crew_map_and_its_facilities(client, login, db, users, make_asset):
    from municipal.workorders import services as work

    well = make_asset("manhole", "温泉路3号井", geometry={"type": "Point", "coordinates": [119.31, 26.09]})
    clock = client.application.extensions["clock"]
    work.create_work_order(users["supervisor"], asset_id=well.id, kind="inspection", title="月度巡查",
                           assignee_user_id=users["crew"].id, due_at=clock.now() + timedelta(days=2))
    db.session.commit()
    login("crew")
    body = client.get("/field/pack").json
    assert "/field/map" in body["urls"]
    assert body["facilities"] == [{"name": "温泉路3号井", "type": "manhole", "url": f"/assets/{well.id}",
                                   "geometry": {"type": "Point", "coordinates": [119.31, 26.09]}}]
    assert "/static/vendor/leaflet/leaflet.js" in body["static"] and "/static/js/fieldmap.js" in body["static"]
    page = client.get("/field/map")
    assert page.status_code == 200 and "js/fieldmap.js" in page.get_data(as_text=True)
