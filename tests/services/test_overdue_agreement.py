"""The compliance page and the work board count overdue by one definition (workorders.overdue): on the demo
district, after the calendar has made its work and as days pass, their numbers agree. The board holds the field
work and the office list (办公事项) the office's obligations: the compliance page counts both."""
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from municipal.auth.models import User
from municipal.calendar import compliance, office, queries
from municipal.jobs import runner
from municipal.jobs.registry import JOBS
from municipal.workorders.lists import BoardFilters, count_overdue
from tests.conftest import DEMO_PASSWORD, csrf_token

ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def supervisor(db, demo):
    return db.session.query(User).filter_by(username="supervisor").one()


def numbers(supervisor, now: datetime) -> tuple[int, int]:
    """Overdue on the compliance page; overdue on the board and the office list together."""
    today = now.astimezone(ZONE).date()
    report = compliance.compliance(supervisor, date(today.year, 1, 1), date(today.year, 12, 31), today,
                                   queries.Filters(), carry_in=True)
    return report.totals.overdue, (count_overdue(supervisor, BoardFilters(source="calendar"), now)
                                   + office.counts(supervisor, now)["overdue"])


def test_the_board_and_the_compliance_page_agree_on_the_demo(app, client, clock, supervisor):
    start = datetime(2026, 11, 26, 0, 5, tzinfo=ZONE)
    assert runner.run(JOBS["calendar"], start).status == "ok"
    overdue, on_board = numbers(supervisor, clock.now())
    # Standing obligations overdue since 2023 (the 二类 dam's tasks) and the year's three-persons reviews.
    assert overdue == on_board and overdue >= 6

    # Two days on, before the calendar runs again: yesterday's patrols are overdue on both, not yet missed.
    clock.set(datetime(2026, 11, 28, 9, 0, tzinfo=ZONE))
    later, later_on_board = numbers(supervisor, clock.now())
    assert later == later_on_board and later > overdue

    # The calendar runs: the passed patrols are missed (their work withdrawn), off the board and off overdue.
    assert runner.run(JOBS["calendar"], datetime(2026, 11, 28, 9, 5, tzinfo=ZONE)).status == "ok"
    settled, settled_on_board = numbers(supervisor, clock.now())
    assert settled == settled_on_board == overdue
    today = clock.now().astimezone(ZONE).date()
    report = compliance.compliance(supervisor, date(today.year, 1, 1), today, today, queries.Filters(), carry_in=True)
    assert report.totals.missed > 0

    # The pages say the same numbers.
    client.post("/login", data={"username": "supervisor", "password": DEMO_PASSWORD,
                                "csrf_token": csrf_token(client)})
    on_board = client.get("/work/summary?source=calendar").json["overdue"]
    office_page = client.get("/office").get_data(as_text=True)
    in_office = int(re.search(r'state=overdue">[^<]*<b>(\d+)</b>', office_page).group(1))
    assert on_board + in_office == settled and on_board > 0 and in_office > 0
    page = client.get("/calendar/compliance").get_data(as_text=True)
    total = re.search(r"<tfoot>.*?</tfoot>", page, re.S).group(0)
    cells = [int(cell) for cell in re.findall(r'<td class="n[^"]*">(\d+)</td>', total)]
    assert cells[4] == settled  # items due, on time, late, missed, overdue
    assert client.get("/api/v1/calendar/compliance").json["totals"]["overdue"] == settled
