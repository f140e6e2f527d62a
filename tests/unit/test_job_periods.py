"""Job periods: keys that do not depend on when or where a run happens, and sort in time order."""
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from municipal.jobs.periods import Day, Slot, keys_between, local_moment

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_slot_is_named_by_its_utc_start_whatever_the_zone_of_the_moment():
    moment = datetime(2026, 11, 26, 10, 29, 59, tzinfo=SHANGHAI)
    assert Slot(15).key(moment, SHANGHAI) == "2026-11-26T02:15Z"
    assert Slot(15).key(moment.astimezone(timezone.utc), SHANGHAI) == "2026-11-26T02:15Z"
    assert Slot(1).key(moment, SHANGHAI) == "2026-11-26T02:29Z"
    assert Slot(15).start("2026-11-26T02:15Z", SHANGHAI) == datetime(2026, 11, 26, 2, 15, tzinfo=timezone.utc)
    assert Slot(15).before("2026-11-26T00:00Z", SHANGHAI) == "2026-11-25T23:45Z"


def test_a_day_is_the_local_date():
    # 23:30 UTC is already the next morning in Shanghai.
    assert Day().key(datetime(2026, 11, 25, 23, 30, tzinfo=timezone.utc), SHANGHAI) == "2026-11-26"
    assert Day().start("2026-11-26", SHANGHAI) == datetime(2026, 11, 25, 16, 0, tzinfo=timezone.utc)
    assert Day().before("2026-03-01", SHANGHAI) == "2026-02-28"
    assert Day(time(2, 30)).cron(SHANGHAI) == {"hour": 2, "minute": 30, "timezone": SHANGHAI}


def test_a_slot_must_divide_the_hour():
    with pytest.raises(ValueError):
        Slot(7)


def test_keys_between_are_oldest_first_and_all_of_them():
    assert keys_between(Day(), "2026-11-20", "2026-11-23", SHANGHAI) == ["2026-11-21", "2026-11-22", "2026-11-23"]
    assert keys_between(Day(), "2026-11-23", "2026-11-23", SHANGHAI) == []
    # Across a month end and a leap day: every day, none twice.
    days = keys_between(Day(), "2024-01-31", "2024-03-11", SHANGHAI)
    assert len(days) == 40 and days[0] == "2024-02-01" and "2024-02-29" in days and days[-1] == "2024-03-11"
    assert keys_between(Slot(15), "2026-11-26T00:00Z", "2026-11-26T01:00Z", SHANGHAI) == [
        "2026-11-26T00:15Z", "2026-11-26T00:30Z", "2026-11-26T00:45Z", "2026-11-26T01:00Z"]


def test_a_local_date_or_time_becomes_an_aware_moment():
    assert local_moment("2026-11-26", SHANGHAI) == datetime(2026, 11, 26, tzinfo=SHANGHAI)
    assert local_moment("2026-11-26T08:30", SHANGHAI) == datetime(2026, 11, 26, 8, 30, tzinfo=SHANGHAI)
    with pytest.raises(ValueError):
        local_moment("26.11.2026", SHANGHAI)
