"""Asset types: attribute validation, derived values, chainage."""
import pytest

from municipal.assets import types
from municipal.assets.geometry import check_geometry

BBOX = (119.15, 25.95, 119.65, 26.50)


@pytest.mark.parametrize("capacity,expected", [
    (99_999, None), (100_000, "小(2)型"), (999_999, "小(2)型"), (1_000_000, "小(1)型"),
    (9_999_999, "小(1)型"), (10_000_000, "中型"), (99_999_999, "中型"), (100_000_000, "大(2)型"),
    (1_000_000_000, "大(1)型"),
])
def test_scale_class_boundaries_follow_sl252(capacity, expected):
    assert types.scale_class(capacity) == expected


def test_reservoir_attributes_are_typed_and_units_accepted():
    cleaned, errors = types.clean_attributes("reservoir", {
        "capacity_m3": "3,500,000 m³", "dam_height_m": 18, "dam_type": "土坝",
        "first_impoundment_period": {"start": "2010-03-01", "end": "2010-09-30"},
    })
    assert errors == {}
    assert cleaned["capacity_m3"] == 3_500_000.0
    assert cleaned["first_impoundment_period"] == {"start": "2010-03-01", "end": "2010-09-30"}


def test_every_bad_attribute_is_named():
    _, errors = types.clean_attributes("reservoir", {
        "capacity_m3": "a lot", "dam_type": "纸坝", "completion_acceptance": "2023-02-30", "colour": "blue",
    })
    assert set(errors) == {"capacity_m3", "dam_height_m", "dam_type", "completion_acceptance", "colour"}
    assert "exist" in str(errors["completion_acceptance"])


def test_chainage_round_trip():
    assert types.parse_chainage("K1+250") == 1250
    assert types.format_chainage(1250) == "K1+250"
    assert types.format_chainage(35) == "K0+035"
    with pytest.raises(types.Invalid):
        types.parse_chainage("K1+abc")


def test_geometry_must_match_the_type_and_lie_in_the_district():
    assert check_geometry({"type": "Point", "coordinates": [119.3, 26.1]}, "Point", BBOX)["type"] == "Point"
    for bad in ({"type": "Point", "coordinates": [116.4, 39.9]},  # Beijing
                {"type": "LineString", "coordinates": [[119.3, 26.1], [119.31, 26.1]]},
                {"type": "Point", "coordinates": ["a", 1]}, "POINT(119 26)"):
        with pytest.raises(types.Invalid):
            check_geometry(bad, "Point", BBOX)


def test_every_type_has_a_unique_prefix_from_the_code_alphabet():
    from municipal.assets.identity.codes import ALPHABET

    prefixes = [t.prefix for t in types.TYPES.values()]
    assert len(set(prefixes)) == len(prefixes) == 11
    assert all(c in ALPHABET for p in prefixes for c in p)
