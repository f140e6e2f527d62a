"""The one range of dates the platform accepts."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from municipal.datebounds import EARLIEST, OutOfRange, check, latest

TODAY = date(2026, 11, 26)


def test_the_range_runs_from_1900_to_ten_years_ahead():
    check(EARLIEST, TODAY)
    check(date(2036, 11, 26), TODAY)
    with pytest.raises(OutOfRange, match="1900-01-01"):
        check(date(1899, 12, 31), TODAY)
    with pytest.raises(OutOfRange, match="2036-11-26"):
        check(date(9999, 12, 31), TODAY)
    assert latest(date(2028, 2, 29)) == date(2038, 2, 28)


def test_a_past_date_may_not_be_after_today_and_a_time_is_judged_by_its_local_day():
    check(TODAY, TODAY, past=True)
    with pytest.raises(OutOfRange, match="2026-11-26"):
        check(date(2026, 11, 27), TODAY, past=True)
    # 17:00 UTC on the 26th is already the 27th in Shanghai.
    late = datetime(2026, 11, 26, 17, tzinfo=timezone.utc)
    with pytest.raises(OutOfRange):
        check(late, TODAY, past=True, zone=ZoneInfo("Asia/Shanghai"))


def test_a_moment_without_a_local_day_is_out_of_range_not_an_error():
    edge = datetime.fromisoformat("9999-12-31T23:00:00-10:00")
    with pytest.raises(OutOfRange):
        check(edge, TODAY, zone=ZoneInfo("Asia/Shanghai"))
