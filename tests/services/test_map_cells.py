"""The map's cell counts (assets/map_cells.py) stay equal to a recount of the facilities through every write that
places a facility, moves it, or changes its type, status or area; the check itself finds a wrong count."""
import json
from io import BytesIO

import pytest
import sqlalchemy as sa

from municipal.assets import services
from municipal.assets.models import Area
from municipal.assets.transfer import importing
from municipal.assets import map_cells as cells
from municipal.geo.models import MapCell, MapCellArea


def point(lon, lat):
    return {"type": "Point", "coordinates": [lon, lat]}


@pytest.fixture
def town(db, area):
    made = Area(code="huanxi", name="宦溪镇", name_en="Huanxi Town", level="town", parent=area.parent)
    db.session.add(made)
    db.session.flush()
    made.path = f"{area.parent.path}{made.id}/"
    db.session.commit()
    return made


def recounted(db) -> list[str]:
    db.session.flush()
    return cells.differences(db.session.connection())


def rows(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_every_write_keeps_the_cells_equal_to_a_recount(db, users, area, town, make_asset):
    editor = users["supervisor"]
    well = make_asset("manhole", "北门井", geometry=point(119.31, 26.09))
    pipe = make_asset("water_pipe", "给水管", attributes={},
                      geometry={"type": "LineString", "coordinates": [[119.4, 26.2], [119.401, 26.2005]]})
    nowhere = make_asset("manhole", "无位置井", geometry=None)
    assert recounted(db) == []
    # Each level of both tables holds the two located facilities.
    assert db.session.scalar(sa.select(sa.func.sum(MapCell.n)).where(MapCell.level == 10)) == 2
    assert db.session.scalar(sa.select(sa.func.sum(MapCellArea.n)).where(MapCellArea.level == 10)) == 2

    steps = [
        (well, {"geometry": point(119.5, 26.3)}),  # moved far: other cells at every level
        (well, {"geometry": point(119.500001, 26.300001)}),  # moved within its finest cell
        (well, {"area": town.code}),
        (well, {"status": "under_repair"}),
        (pipe, {"geometry": {"type": "LineString", "coordinates": [[119.2, 26.0], [119.21, 26.01],
                                                                   [119.22, 26.0]]}}),
        (nowhere, {"geometry": point(119.35, 26.15)}),  # located for the first time
        (pipe, {"area": ""}),  # no area: out of the table by area only
    ]
    for asset, change in steps:
        services.update_asset(editor, asset, change, asset.version)
        assert recounted(db) == [], change
    services.retire_asset(editor, well, well.version)
    assert recounted(db) == []
    assert db.session.scalar(sa.select(MapCell.status).where(MapCell.level == 17, MapCell.type == "manhole",
                                                            MapCell.cell == well.geo_key >> 6)) == "decommissioned"
    db.session.commit()

    importing.import_csv(users["admin"], BytesIO(
        "type,name,area,lon,lat,attr.network\n"
        "manhole,东门井,gushan,119.32,26.1,雨水\n"
        "manhole,西门井,huanxi,119.32,26.1,污水\n"
        "manhole,南门井,,119.45,26.2,污水\n".encode()))
    assert recounted(db) == []
    importing.import_geojson(users["admin"], BytesIO(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": point(119.33, 26.11), "properties": {"type": "manhole", "name": "甲井",
                                                                          "area": "gushan"}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[119.3, 26.1], [119.31, 26.1]]},
         "properties": {"type": "water_pipe", "name": "乙管", "area": "huanxi"}},
    ]}).encode()))
    assert recounted(db) == []
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.sum(MapCell.n)).where(MapCell.level == 2)) == 8


def test_the_check_finds_a_wrong_count_and_a_rebuild_mends_it(db, make_asset):
    make_asset("manhole", "北门井", geometry=point(119.31, 26.09))
    make_asset("manhole", "南门井", geometry=point(119.32, 26.08))
    db.session.execute(sa.update(MapCell).where(MapCell.level == 12).values(n=MapCell.n + 1))
    db.session.execute(sa.delete(MapCellArea).where(MapCellArea.level == 15))
    found = recounted(db)
    assert found and all(line.startswith(("map_cell (12,", "map_cell_area (15,")) for line in found)
    before = rows(db, MapCell), rows(db, MapCellArea)
    cells.rebuild(db.session.connection())
    assert recounted(db) == []
    assert (rows(db, MapCell), rows(db, MapCellArea)) == (before[0], before[1] + len(
        [line for line in found if line.startswith("map_cell_area")]))


def test_the_demo_district_is_counted(db, demo):
    assert rows(db, MapCell) > 0 and recounted(db) == []


def _answer(actor, query, now) -> list:
    """The facilities of an answer, cluster positions to a millionth of a degree (their sums are added in
    another order when counted from the tables)."""
    from municipal.geo import features

    collection = features.features(actor, query, now)
    return [(f["id"], f["properties"], [round(c, 6) for c in f["geometry"]["coordinates"]]
             if f["properties"].get("cluster") else f["geometry"]) for f in collection["features"]]


def test_a_map_counted_from_the_cells_answers_as_one_counted_from_the_facilities(
        app, db, users, area, town, monkeypatch):
    import random

    from municipal.auth.services import set_user_areas
    from municipal.geo import features

    rng = random.Random(28)
    lines = ["type,name,area,status,lon,lat"]
    for n in range(400):
        lon, lat = (rng.uniform(119.28, 119.36), rng.uniform(26.06, 26.12)) if n % 5 else (119.3, 26.1)
        lines.append(f"{rng.choice(['manhole', 'public_toilet', 'water_station'])},设施{n},"
                     f"{rng.choice(['gushan', 'huanxi', ''])},"
                     f"{rng.choice(['in_service', 'in_service', 'under_repair', 'decommissioned'])},"
                     f"{lon:.6f},{lat:.6f}")
    importing.import_csv(users["admin"], BytesIO(("\n".join(lines) + "\n").encode()))
    from municipal.auth.services import create_user
    typed = create_user("typed", "correct horse battery", "supervisor")
    typed.asset_types = "manhole,water_station"
    set_user_areas(users["admin"], users["supervisor"], [town.code])
    db.session.commit()
    assert recounted(db) == []
    actors = [users["admin"], users["supervisor"], typed, users["viewer"], users["crew"]]
    filters = [{}, {"types": ("manhole",)}, {"area": area}, {"states": ("decommissioned", "under_repair")}]
    now = app.extensions["clock"].now()
    compared = 0
    for round_ in range(120):
        zoom = rng.randint(8, 16)
        lon, lat = rng.uniform(119.27, 119.37), rng.uniform(26.05, 26.13)
        half = 360.0 / (256 * 2 ** zoom) * rng.uniform(100, 700)
        query = features.Query((lon - half, lat - half * 0.7, lon + half, lat + half * 0.7), zoom,
                               **filters[round_ % len(filters)])
        actor = actors[round_ % len(actors)]
        # Few cells and few ranges on some rounds: the frame is then read at a coarser level, in joined ranges.
        monkeypatch.setattr(features, "MAX_COUNTED_CELLS", rng.choice([2000, 12]))
        monkeypatch.setattr(features, "MAX_RANGES", rng.choice([250, 3]))
        counted = _answer(actor, query, now)
        with monkeypatch.context() as raw:  # every level from the facilities, as before the tables
            raw.setattr(cells, "FINEST", {MapCell: 0, MapCellArea: 0})
            assert _answer(actor, query, now) == counted, (query, actor.username)
        compared += len(counted)
    assert compared > 500


def test_the_command_reports_differences_and_recounts(app, db, make_asset):
    make_asset("manhole", "北门井", geometry=point(119.31, 26.09))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["map-cells"]).exit_code == 0
    db.session.execute(sa.delete(MapCell).where(MapCell.level == 9))
    db.session.commit()
    found = runner.invoke(args=["map-cells"])
    assert found.exit_code == 2 and "map_cell (9," in found.output
    assert runner.invoke(args=["map-cells", "--rebuild"]).exit_code == 0
    db.session.expire_all()
    assert recounted(db) == []
