"""§4.1 of inspection-rules.md beyond the worked cases: the three-persons flag, the season a window follows
when a district fixes its own dates, and the rules the table holds only as local policy."""
import pytest
from babel.support import Translations

from municipal.calendar.engine import why
from municipal.calendar.engine.core import preview
from municipal.calendar.engine.inputs import PreviewError
from municipal.calendar.engine.rules import build_settings, load_table
from tests.unit.test_why import CATALOGUES, english_words

PERSONS = {"administrative": {"name": "林建国", "unit": "寿山乡人民政府", "phone": "0591-87001234"},
           "technical": {"name": "陈海峰", "unit": "晋安区水利局", "phone": "0591-87005678"},
           "patrol": {"name": "王德明", "unit": "岭头村委会", "phone": "0591-87009012"}}


def flags(capacity, persons=None, settings=None):
    attributes = {"capacity_m3": capacity}
    if persons is not None:
        attributes["responsible_persons"] = persons
    request = {"from": "2025-03-01", "to": "2025-03-31", "asset": {"type": "reservoir", "attributes": attributes}}
    return preview(request, settings)["flags"]


def test_a_small_reservoir_without_its_three_persons_is_flagged():
    assert "three_persons_incomplete" in flags(450_000)
    assert "three_persons_incomplete" in flags(450_000, {"administrative": PERSONS["administrative"]})
    assert "three_persons_incomplete" in flags(450_000, {**PERSONS, "patrol": {"name": "王德明", "phone": " "}})
    assert "three_persons_incomplete" not in flags(450_000, PERSONS)


def test_a_medium_or_large_reservoir_is_never_flagged():
    assert "three_persons_incomplete" not in flags(50_000_000)
    assert "three_persons_incomplete" not in flags(250_000_000, {})


def test_an_unknown_role_is_refused_naming_the_attribute():
    with pytest.raises(PreviewError) as error:
        flags(450_000, {"chairman": {"name": "某某"}})
    assert "asset.attributes.responsible_persons" in error.value.fields


def test_the_district_s_flood_season_moves_the_windows_unless_it_fixes_them():
    table = load_table()
    moved = build_settings(table, {"seasons": {"flood": {"start": "04-15", "end": "10-31"}}})
    assert moved.season("pre_flood", 2027) == (moved.season("flood", 2027)[0].replace(month=3, day=15),
                                               moved.season("flood", 2027)[0].replace(day=14))
    fixed = build_settings(table, {"seasons": {"flood": {"start": "04-15", "end": "10-31"},
                                               "pre_flood": {"start": "03-01", "end": "03-20"}}})
    first, last = fixed.season("pre_flood", 2027)
    assert (first.isoformat(), last.isoformat()) == ("2027-03-01", "2027-03-20")
    assert fixed.season("post_flood", 2027)[1].isoformat() == "2027-12-01"


@pytest.mark.parametrize("asset_type, kinds", [("public_toilet", ["cleaning_check", "facility_check"]),
                                               ("pump_station", ["routine_patrol"])])
def test_rules_of_local_policy_say_so_in_both_languages(asset_type, kinds):
    chinese = Translations.load(str(CATALOGUES), ["zh"]).gettext
    response = preview({"from": "2025-03-30", "to": "2025-04-02", "kinds": kinds,
                        "asset": {"type": asset_type, "attributes": {}}})
    assert response["items"]
    for item in response["items"]:
        assert item["why"].startswith("local policy: ")
        translated = why.localize(item["why"], chinese, english=False)
        assert translated.startswith("本地规定") and english_words(translated) == []
