"""Distance from the phone to a facility: points directly, lines by their nearest point."""
import pytest

from municipal.inspections.distance import distance_to_geometry


def test_a_point_a_kilometre_north():
    # One minute of latitude is 1,853 m; 0.009° is about 1,000 m.
    assert distance_to_geometry(119.3, 26.1, {"type": "Point", "coordinates": [119.3, 26.109]}) == pytest.approx(1000.7, abs=1)


def test_a_line_measures_to_its_nearest_point_not_to_a_vertex():
    line = {"type": "LineString", "coordinates": [[119.30, 26.10], [119.32, 26.10]]}
    # Standing 0.001° (111 m) north of the middle of a 2 km pipe: the vertices are a kilometre away.
    assert distance_to_geometry(119.31, 26.101, line) == pytest.approx(111.2, abs=1)
    # Beyond the end, the end is nearest.
    assert distance_to_geometry(119.33, 26.10, line) == pytest.approx(1000, abs=5)


def test_no_geometry_no_distance():
    assert distance_to_geometry(119.3, 26.1, None) is None
