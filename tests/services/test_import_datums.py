"""Imports take the datum their positions are in, store WGS-84, and refuse positions outside the district's
bounds by row, saying when longitude and latitude look swapped."""
import json
from io import BytesIO

import pytest
import sqlalchemy as sa

from municipal.assets.models import Asset
from municipal.assets.transfer import importing
from municipal.geo import datums, grid

HEADER = "type,name,area,lon,lat,attr.network"


@pytest.fixture
def cli(app, monkeypatch):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")
    return app.test_cli_runner()


def stored(db, name):
    return db.session.scalar(sa.select(Asset).where(Asset.name == name))


def test_a_csv_in_gcj02_is_stored_as_wgs84_with_its_map_key(db, cli, users, area, tmp_path):
    path = tmp_path / "amap.csv"
    path.write_text(f"{HEADER}\nmanhole,高德井,gushan,119.31,26.09,污水\n", encoding="utf-8")

    result = cli.invoke(args=["import-assets", str(path), "--datum", "gcj02"])

    assert result.exit_code == 0, result.output
    asset = stored(db, "高德井")
    lon, lat = datums.gcj02_to_wgs84(119.31, 26.09)
    assert asset.geometry["coordinates"] == [round(lon, 7), round(lat, 7)]
    assert (asset.lon, asset.lat) == tuple(asset.geometry["coordinates"])
    assert asset.geo_key == grid.geo_key(asset.lon, asset.lat)
    assert abs(asset.lon - 119.31) > 0.004  # the shift here is about 500 m: not converting would misplace it


def test_a_geojson_in_bd09_is_stored_as_wgs84_lines_included(db, users, area):
    line = [[119.40, 26.20], [119.41, 26.21]]
    document = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": line},
         "properties": {"type": "water_pipe", "name": "百度管", "area": "gushan"}}]}

    importing.import_geojson(users["admin"], BytesIO(json.dumps(document).encode()), datum="bd09")
    db.session.commit()

    coordinates = stored(db, "百度管").geometry["coordinates"]
    for given, kept in zip(line, coordinates):
        lon, lat = datums.to_wgs84(*given, "bd09")
        assert kept == [round(lon, 7), round(lat, 7)]


def test_swapped_and_outside_positions_are_refused_by_row(db, cli, users, area, tmp_path):
    path = tmp_path / "swapped.csv"
    path.write_text(f"{HEADER}\nmanhole,好井,gushan,119.31,26.09,污水\nmanhole,反井,gushan,26.09,119.31,污水\n"
                    f"manhole,远井,gushan,121.5,31.2,污水\n", encoding="utf-8")

    result = cli.invoke(args=["import-assets", str(path)])

    assert result.exit_code == 2
    assert "Row 3, lon/lat: [26.09, 119.31] lies outside the district: longitude and latitude look swapped" \
        in result.output
    assert "Row 4, lon/lat: [121.5, 31.2] lies outside the district" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Asset)) == 0


def test_the_district_bounds_are_a_setting(db, users, area, monkeypatch, app):
    monkeypatch.setitem(app.config, "DISTRICT_BBOX", (119.0, 25.0, 120.0, 27.0))
    importing.import_csv(users["admin"], BytesIO(f"{HEADER}\nmanhole,宽井,gushan,119.9,26.9,污水\n".encode()))
    assert stored(db, "宽井").geo_key is not None
