"""Every worked case in calendar_cases/ (copied from domain/calendar-cases): exactly the expected items."""
import json
from pathlib import Path

import pytest

from municipal.calendar.engine.core import preview
from tests.calendar_expect import assert_expected

CASES = sorted((Path(__file__).parent / "calendar_cases").glob("*.json"))
# The domain's own folder, beside the repository where the project's shared files are laid out.
SHARED = Path(__file__).resolve().parents[3] / "shared" / "domain" / "calendar-cases"


def test_the_cases_are_there():
    assert len(CASES) >= 4


@pytest.mark.skipif(not SHARED.is_dir(), reason="the domain's shared folder is not beside this repository")
def test_the_copies_are_the_domain_s_cases():
    shared = {path.name: path.read_bytes() for path in SHARED.glob("*.json")}
    assert {path.name: path.read_bytes() for path in CASES} == shared


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_worked_case(path):
    case = json.loads(path.read_text(encoding="utf-8"))
    assert_expected(case["expect"], preview(case["request"]))
