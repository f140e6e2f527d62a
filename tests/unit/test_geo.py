"""Datums against published reference points, the spatial key's cover of a viewport, and line simplification."""
import math
import random

import pytest

from municipal.geo import datums, grid
from municipal.geo.navigation import navigation_links

# The reference outputs published with wandergis/coordtransform (test/app.js) for the input (116.404, 39.915).
REFERENCE = 116.404, 39.915


def close(a, b, tolerance=1e-9):
    return all(abs(x - y) <= tolerance for x, y in zip(a, b))


def test_bd09_and_gcj02_match_the_published_reference_points():
    # Baidu's own inverse (which the reference uses) is a few centimetres off; ours is refined to exact.
    assert close(datums.bd09_to_gcj02(*REFERENCE), (116.39762729119315, 39.90865673957631), 1e-6)
    assert close(datums.gcj02_to_bd09(*datums.bd09_to_gcj02(*REFERENCE)), REFERENCE, 1e-10)
    assert close(datums.gcj02_to_bd09(*REFERENCE), (116.41036949371029, 39.92133699351021))


def test_wgs84_to_gcj02_matches_the_published_reference_point():
    assert close(datums.wgs84_to_gcj02(*REFERENCE), (116.41024449916938, 39.91640428150164))


def test_gcj02_to_wgs84_is_exact_where_the_common_one_step_inverse_is_off_by_metres():
    published_one_step = (116.39775550083061, 39.91359571849836)
    exact = datums.gcj02_to_wgs84(*REFERENCE)
    assert close(datums.wgs84_to_gcj02(*exact), REFERENCE, 1e-9)
    assert close(exact, published_one_step, 2e-5)  # within two metres of the published approximation


def test_round_trips_across_the_district_stay_within_a_millimetre():
    rng = random.Random(7)
    for _ in range(200):
        lon, lat = rng.uniform(119.15, 119.65), rng.uniform(25.95, 26.5)
        for datum in datums.DATUMS:
            assert close(datums.to_wgs84(*datums.from_wgs84(lon, lat, datum), datum), (lon, lat), 1e-8)


def test_the_shift_in_fuzhou_is_a_few_hundred_metres_and_none_abroad():
    glon, glat = datums.wgs84_to_gcj02(119.30, 26.08)
    metres = math.hypot((glon - 119.30) * 100_000, (glat - 26.08) * 111_000)
    assert 300 < metres < 800
    assert datums.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)


def test_geometries_are_converted_and_malformed_ones_left_for_the_check():
    line = {"type": "LineString", "coordinates": [[119.3, 26.08], [119.31, 26.09]]}
    converted = datums.convert_geometry(line, "gcj02")
    assert close(converted["coordinates"][0], datums.gcj02_to_wgs84(119.3, 26.08))
    assert datums.convert_geometry({"type": "Point", "coordinates": ["x", 1]}, "bd09")["coordinates"] == ["x", 1]
    assert datums.convert_geometry(line, "wgs84") is line


def test_the_key_ranges_cover_every_position_in_the_viewport():
    rng = random.Random(3)
    for zoom in (8, 11, 14, 16, 18):
        span = 360 / 2 ** zoom * 4
        west, south = rng.uniform(119.2, 119.5), rng.uniform(26.0, 26.4)
        bbox = (west, south, west + span, south + span * 0.7)
        ranges = grid.key_ranges(bbox, grid.cluster_level(zoom) or grid.KEY_LEVEL)
        assert len(ranges) <= grid.MAX_COVER_CELLS
        for _ in range(300):
            key = grid.geo_key(rng.uniform(bbox[0], bbox[2]), rng.uniform(bbox[1], bbox[3]))
            assert any(low <= key <= high for low, high in ranges)


def test_a_cell_of_a_coarser_level_is_the_key_shifted():
    key = grid.geo_key(119.3, 26.08)
    for level in (4, 10, 16):
        assert key >> grid.cell_shift(level) == grid.interleave(*grid.tile(119.3, 26.08, level))


def test_lines_lose_the_vertices_a_zoom_cannot_show():
    line = [[119.3 + i * 1e-4, 26.08 + (1e-7 if i % 2 else 0)] for i in range(50)]
    assert grid.simplify(line, 10) == [line[0], line[-1]]
    bent = [[119.3, 26.08], [119.31, 26.09], [119.32, 26.08]]
    assert grid.simplify(bent, 10) == bent


def test_navigation_links_name_their_datum():
    links = navigation_links(119.30, 26.08, "登云水库")
    glon, glat = datums.wgs84_to_gcj02(119.30, 26.08)
    assert f"position={glon:.6f}%2C{glat:.6f}" in links["amap"] and "coordinate=gaode" in links["amap"]
    blon, blat = datums.from_wgs84(119.30, 26.08, "bd09")
    assert f"location={blat:.6f}%2C{blon:.6f}" in links["baidu"] and "coord_type=bd09ll" in links["baidu"]


@pytest.mark.parametrize("zoom, level", [(8, 10), (16, 18), (17, None), (20, None)])
def test_clusters_are_quarter_tiles_until_singles(zoom, level):
    assert grid.cluster_level(zoom) == level
