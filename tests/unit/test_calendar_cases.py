"""Every worked case in calendar_cases/ (copied from domain/calendar-cases): exactly the expected items."""
import json
from collections import Counter
from pathlib import Path

import pytest

from municipal.calendar.engine import preview

CASES = sorted((Path(__file__).parent / "calendar_cases").glob("*.json"))


def test_the_cases_are_there():
    assert len(CASES) >= 4


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_worked_case(path):
    case = json.loads(path.read_text(encoding="utf-8"))
    expect = case["expect"]
    response = preview(case["request"])
    returned = Counter((item["due"], item["kind"]) for item in response["items"])
    assert returned == Counter((item["due"], item["kind"]) for item in expect["items"])
    for item in expect.get("absent", []):
        assert (item["due"], item["kind"]) not in returned
    assert set(expect.get("flags_include", [])) <= set(response["flags"])
    for name, value in expect.get("derived", {}).items():
        assert response["derived"].get(name) == value
    with_status = [item for item in expect["items"] if "status" in item]
    statuses = Counter((item["due"], item["kind"], item["status"]) for item in response["items"])
    assert Counter((item["due"], item["kind"], item["status"]) for item in with_status) <= statuses
    assert [item["due"] for item in response["items"]] == sorted(item["due"] for item in response["items"])
