"""Supervisors' own plans: the days they fall on, without drift, within their season."""
from datetime import date

import pytest

from municipal.calendar.engine.plans import PlanError, PlanSpec, occurrences
from municipal.calendar.engine.rules import build_settings, load_table

SETTINGS = build_settings(load_table())


def days(**spec):
    start, end = spec.pop("start"), spec.pop("end")
    return occurrences(PlanSpec.parse(**spec), start, end, SETTINGS)


def test_every_ten_days_counts_from_the_start_not_from_the_last_one():
    assert days(every=10, unit="day", starts_on=date(2026, 1, 5), start=date(2026, 1, 20), end=date(2026, 2, 10)) == [
        date(2026, 1, 25), date(2026, 2, 4)]


def test_every_second_week_on_monday_and_thursday():
    # 2026-01-05 is a Monday; the next weeks of the plan begin 01-19 and 02-02.
    assert days(every=2, unit="week", weekdays="1,4", starts_on=date(2026, 1, 5), start=date(2026, 1, 10),
                end=date(2026, 2, 5)) == [date(2026, 1, 19), date(2026, 1, 22), date(2026, 2, 2), date(2026, 2, 5)]


def test_the_31st_falls_on_the_last_day_of_shorter_months():
    assert days(every=1, unit="month", month_days="15,31", starts_on=date(2024, 1, 1), start=date(2024, 2, 1),
                end=date(2024, 4, 30)) == [date(2024, 2, 15), date(2024, 2, 29), date(2024, 3, 15), date(2024, 3, 31),
                                           date(2024, 4, 15), date(2024, 4, 30)]


def test_a_flood_season_plan_starts_on_the_first_day_of_the_season_inclusive():
    found = days(every=1, unit="day", season="flood", starts_on=date(2026, 3, 1), start=date(2026, 3, 30),
                 end=date(2026, 4, 2))
    assert found == [date(2026, 4, 1), date(2026, 4, 2)]


@pytest.mark.parametrize("spec, field", [
    ({"every": 0, "unit": "day"}, "every"),
    ({"every": 1, "unit": "year"}, "unit"),
    ({"every": 1, "unit": "week", "weekdays": "8"}, "weekdays"),
    ({"every": 1, "unit": "day", "month_days": "3"}, "month_days"),
    ({"every": 1, "unit": "day", "ends_on": date(2025, 1, 1)}, "ends_on"),
])
def test_a_bad_plan_names_its_field(spec, field):
    with pytest.raises(PlanError) as refused:
        PlanSpec.parse(starts_on=date(2026, 1, 1), **spec)
    assert field in refused.value.fields
