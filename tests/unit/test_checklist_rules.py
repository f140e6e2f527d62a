"""Judging a crew's answers against a checklist: typed values, ranges, required photos, findings."""
import pytest

from municipal.workorders.checklist_rules import DefinitionError, judge, parse_template, items_of

TEMPLATE = {
    "key": "t", "kind": "inspection", "asset_type": "manhole", "name": {"zh": "检查", "en": "Check"},
    "items": [
        {"key": "cover", "label": {"zh": "井盖", "en": "Cover"}, "type": "pass_fail", "required": True,
         "photo": "on_fail", "severity": "critical", "follow_up": True},
        {"key": "depth", "label": {"zh": "水深", "en": "Depth"}, "type": "number", "unit": "m", "min": 0, "max": 1.5,
         "severity": "high"},
        {"key": "silt", "label": {"zh": "淤积", "en": "Silt"}, "type": "choice", "severity": "medium",
         "choices": [{"key": "none", "zh": "无", "en": "None"}, {"key": "heavy", "zh": "严重", "en": "Heavy", "finding": True}]},
        {"key": "view", "label": {"zh": "照片", "en": "Photo"}, "type": "photo", "required": True},
    ],
}
ITEMS = items_of(parse_template(TEMPLATE)["items"])


def test_good_answers_give_clean_values_and_no_findings():
    result = judge(ITEMS, {"cover": "pass", "depth": "0,8", "silt": "none"}, {"view": 1})
    assert result.ok and result.findings == []
    assert result.values == {"cover": True, "depth": 0.8, "silt": "none", "view": 1}


def test_out_of_range_fail_and_finding_choices_are_findings_with_their_severity():
    result = judge(ITEMS, {"cover": "fail", "depth": "-0.2", "silt": "heavy"}, {"view": 1, "cover": 1}, {"silt"})
    assert [(f.item_key, f.severity, f.reason, f.follow_up) for f in result.findings] == [
        ("cover", "critical", "fail", True), ("depth", "high", "below", False), ("silt", "medium", "choice", True)]
    assert result.findings[1].value == "-0.2 m"


@pytest.mark.parametrize("answers, photos, field", [
    ({"depth": "1"}, {"view": 1}, "cover"),                      # required and missing
    ({"cover": "fail"}, {"view": 1}, "cover"),                    # a failure needs its photo
    ({"cover": "pass", "depth": "nan"}, {"view": 1}, "depth"),    # not a finite number
    ({"cover": "pass", "silt": "some"}, {"view": 1}, "silt"),     # not one of the choices
    ({"cover": "pass"}, {}, "view"),                              # the photo item itself
])
def test_each_mistake_is_named_by_its_item(answers, photos, field):
    assert list(judge(ITEMS, answers, photos).errors) == [field]


def test_a_broken_definition_names_the_place():
    broken = {**TEMPLATE, "items": [{**TEMPLATE["items"][1], "min": 3, "max": 1}]}
    with pytest.raises(DefinitionError, match="t.depth: min is above max"):
        parse_template(broken)
    with pytest.raises(DefinitionError, match="zh and en"):
        parse_template({**TEMPLATE, "name": {"zh": "检查"}})


def test_a_failure_wording_is_kept_and_an_item_without_one_is_stored_as_before():
    worded = {**TEMPLATE, "items": [{**TEMPLATE["items"][0], "finding": {"zh": "井盖缺失或破损", "en": "Cover missing or broken"}},
                                    *TEMPLATE["items"][1:]]}
    stored = parse_template(worded)["items"]
    assert stored[0]["finding"] == {"zh": "井盖缺失或破损", "en": "Cover missing or broken"}
    assert items_of(stored)[0].finding["zh"] == "井盖缺失或破损"
    # No wording, no key: the template's digest, and so its version, does not change.
    assert "finding" not in parse_template(TEMPLATE)["items"][0]
    with pytest.raises(DefinitionError, match="t.cover"):
        parse_template({**TEMPLATE, "items": [{**TEMPLATE["items"][0], "finding": {"zh": "井盖缺失"}}]})
