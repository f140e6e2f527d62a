"""How the annual report words a finding: the checklist's failure wording, a finding choice by its name, a
value out of range with the item it measured, and otherwise where it was found; the crew's notes as written."""
from types import SimpleNamespace

from municipal.reports.records import crew_note, problem

TEMPLATE = SimpleNamespace(items=[
    {"key": "crest", "type": "pass_fail", "section": {"zh": "坝顶", "en": "Crest"},
     "label": {"zh": "坝顶完好", "en": "Crest sound"}, "finding": {"zh": "坝顶开裂", "en": "Crest cracked"}},
    {"key": "drain", "type": "pass_fail", "section": {"zh": "坝脚", "en": "Toe"}, "label": {"zh": "排水畅通", "en": "Drain clear"}},
    {"key": "level", "type": "number", "label": {"zh": "库水位", "en": "Water level"}},
    {"key": "seepage", "type": "choice", "label": {"zh": "渗水情况", "en": "Seepage"},
     "choices": [{"key": "turbid", "zh": "渗水浑浊", "en": "Turbid seepage", "finding": True}]},
    {"key": "remarks", "type": "note", "label": {"zh": "其他情况", "en": "Other"}},
])


def test_a_finding_is_worded_as_the_problem_never_as_the_passing_item():
    assert problem(TEMPLATE, "crest", "fail", "fail") == {"text": {"zh": "坝顶开裂", "en": "Crest cracked"}}
    assert problem(TEMPLATE, "seepage", "turbid", "choice") == {"text": {"zh": "渗水浑浊", "en": "Turbid seepage"}}
    assert problem(TEMPLATE, "level", "31.2 m", "above") == {
        "range": "above", "item": {"zh": "库水位", "en": "Water level"}, "value": "31.2 m"}
    # No wording in the checklist: where it was found, not "排水畅通".
    assert problem(TEMPLATE, "drain", "fail", "fail") == {"place": {"zh": "坝脚", "en": "Toe"}}


def test_the_crew_note_joins_the_note_items_and_the_inspection_notes():
    inspection = SimpleNamespace(template=TEMPLATE, answers={"remarks": "坝脚有积水"}, notes=" 已拍照上报 ")
    assert crew_note(inspection) == "坝脚有积水\n已拍照上报"
    assert crew_note(SimpleNamespace(template=None, answers={}, notes="")) == ""
