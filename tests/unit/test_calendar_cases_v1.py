"""The worked cases of inspection-rules.md §4.1 ("Settled in v1"), one or more per clause, in the format of
calendar_cases/: exactly the expected items, and none of those under `absent`."""
import json
from pathlib import Path

import pytest

from municipal.calendar.engine.core import preview
from tests.calendar_expect import assert_expected

CASES = sorted((Path(__file__).parent / "calendar_cases_v1").glob("*.json"))


def test_every_settled_clause_has_cases():
    clauses = {path.name.split("-")[1][0] for path in CASES}
    # Clause 6 (readings become events) is the platform's, not the engine's.
    assert clauses >= {"1", "2", "3", "4", "5", "7"}


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_worked_case(path):
    case = json.loads(path.read_text(encoding="utf-8"))
    assert_expected(case["expect"], preview(case["request"]))
