"""The iCalendar writer: RFC 5545 lines, folding, escaping, all-day and timed events, read back by icalendar
and by vobject, a second parser, without a warning or an error."""
import warnings
from datetime import date, datetime, timedelta, timezone

import icalendar
import pytest
import vobject

from municipal.calendar import ical

NOW = datetime(2025, 7, 15, 2, 0, tzinfo=timezone.utc)


def _events():
    return [
        ical.Event(uid="calendar-item-1@municipal.test", summary="日常巡查 · 登云水库, 东坝",
                   description="every 7 days; last 2025-07-08\n下一次", day=date(2025, 7, 15),
                   url="http://municipal.test/work/3", sequence=2, modified=NOW - timedelta(hours=5)),
        ical.Event(uid="calendar-item-2@municipal.test", summary="恢复井盖 · 鼓山新村井", description="",
                   day=date(2025, 7, 15), at=datetime(2025, 7, 15, 4, 30, tzinfo=timezone.utc)),
        ical.Event(uid="calendar-item-3@municipal.test", summary="x", description="", day=date(2025, 7, 16),
                   cancelled=True),
    ]


def test_lines_end_in_crlf_and_fold_at_75_octets_between_characters():
    text = ical.calendar(_events() + [ical.Event(uid="calendar-item-4@h", summary="水库" * 60, description="",
                                                  day=date(2025, 7, 1))],
                         name="巡查日历", zone_name="Asia/Shanghai", now=NOW)
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in lines)
    continued = [line for line in lines if line.startswith(" ")]
    assert continued  # the long summary was folded, and unfolds to the original
    unfolded = text.replace("\r\n ", "")
    assert "SUMMARY:" + "水库" * 60 + "\r\n" in unfolded


def test_escaping():
    assert ical.escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_read_back_by_icalendar():
    parsed = icalendar.Calendar.from_ical(ical.calendar(_events(), name="巡查日历", zone_name="Asia/Shanghai", now=NOW))
    events = {str(e["UID"]): e for e in parsed.walk("VEVENT")}
    assert set(events) == {"calendar-item-1@municipal.test", "calendar-item-2@municipal.test",
                           "calendar-item-3@municipal.test"}
    day = events["calendar-item-1@municipal.test"]
    assert day["DTSTART"].dt == date(2025, 7, 15) and day["DTEND"].dt == date(2025, 7, 16)
    assert str(day["SUMMARY"]) == "日常巡查 · 登云水库, 东坝"
    assert str(day["DESCRIPTION"]) == "every 7 days; last 2025-07-08\n下一次"
    timed = events["calendar-item-2@municipal.test"]["DTSTART"]
    assert timed.params["TZID"] == "Asia/Shanghai"
    assert timed.dt.replace(tzinfo=None) == datetime(2025, 7, 15, 12, 30)
    assert timed.dt.astimezone(timezone.utc) == datetime(2025, 7, 15, 4, 30, tzinfo=timezone.utc)
    assert str(events["calendar-item-3@municipal.test"]["STATUS"]) == "CANCELLED"
    zones = list(parsed.walk("VTIMEZONE"))
    assert len(zones) == 1 and str(zones[0]["TZID"]) == "Asia/Shanghai"
    assert str(parsed["X-WR-CALNAME"]) == "巡查日历"


def test_no_timezone_block_without_timed_events_and_utc_where_the_offset_changes():
    text = ical.calendar(_events()[:1], name="n", zone_name="Asia/Shanghai", now=NOW)
    assert "VTIMEZONE" not in text
    summer_and_winter = [
        ical.Event(uid="a@h", summary="a", description="", day=date(2025, 1, 10),
                   at=datetime(2025, 1, 10, 9, 0, tzinfo=timezone.utc)),
        ical.Event(uid="b@h", summary="b", description="", day=date(2025, 7, 10),
                   at=datetime(2025, 7, 10, 9, 0, tzinfo=timezone.utc)),
    ]
    text = ical.calendar(summer_and_winter, name="n", zone_name="Europe/Berlin", now=NOW)
    assert "VTIMEZONE" not in text and "DTSTART:20250110T090000Z" in text


def _strictly(text: str):
    """Both parsers, every warning an error: a calendar program's importer would take the feed as it is."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parsed = icalendar.Calendar.from_ical(text)
        assert [component.errors for component in parsed.walk() if component.errors] == []
        second = vobject.readOne(text, validate=True)
        assert second.validate(raiseException=True)
    return parsed, second


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Europe/Berlin"])
def test_the_feed_parses_without_warnings_in_two_parsers(zone):
    events = _events() + [ical.Event(uid="calendar-item-4@h", summary="水库;巡查," * 20, description="a\\b\nc",
                                     day=date(2025, 12, 31), at=datetime(2025, 12, 31, 23, 0, tzinfo=timezone.utc))]
    parsed, second = _strictly(ical.calendar(events, name="巡查日历", zone_name=zone, now=NOW))
    assert len(list(parsed.walk("VEVENT"))) == len(second.vevent_list) == 4
    by_uid = {event.uid.value: event for event in second.vevent_list}
    assert by_uid["calendar-item-4@h"].summary.value == "水库;巡查," * 20
    assert by_uid["calendar-item-1@municipal.test"].dtstart.value == date(2025, 7, 15)


def test_sequence_and_last_modified_say_which_copy_is_newer():
    parsed = icalendar.Calendar.from_ical(ical.calendar(_events(), name="n", zone_name="Asia/Shanghai", now=NOW))
    events = {str(e["UID"]): e for e in parsed.walk("VEVENT")}
    first = events["calendar-item-1@municipal.test"]
    assert first["SEQUENCE"] == 2 and first["LAST-MODIFIED"].dt == NOW - timedelta(hours=5)
    assert first["DTSTAMP"].dt == NOW
    assert events["calendar-item-2@municipal.test"]["SEQUENCE"] == 0
    assert "LAST-MODIFIED" not in events["calendar-item-2@municipal.test"]
