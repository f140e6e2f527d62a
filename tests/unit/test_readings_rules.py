"""The pure rules of readings: what is believable, and the events readings show."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from municipal.readings import rules

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)
LIMITS = rules.Limits(bed_m=98.0, crest_m=116.0, flood_limit_m=112.5, normal_m=113.0)


def hours_ago(hours):
    return NOW - timedelta(hours=hours)


def test_a_time_without_an_offset_is_local():
    clean = rules.check("water_level", "108.5", "2026-11-26T08:00", None, LIMITS, NOW, ZONE)
    assert clean.observed_at == datetime(2026, 11, 26, 0, 0, tzinfo=timezone.utc) and clean.value == 108.5


@pytest.mark.parametrize("value, ok", [(97.0, True), (96.9, False), (118.0, True), (118.1, False)])
def test_levels_within_a_metre_below_the_bed_and_two_above_the_crest(value, ok):
    if ok:
        rules.check("water_level", value, NOW, None, LIMITS, NOW, ZONE)
    else:
        with pytest.raises(rules.Refused) as refused:
            rules.check("water_level", value, NOW, None, LIMITS, NOW, ZONE)
        assert refused.value.field == "value"


@pytest.mark.parametrize("mm, period, ok", [(300, 60, True), (300.1, 60, False), (600, 120, True), (290, 5, True),
                                            (0, 60, True), (-0.1, 60, False)])
def test_rain_is_never_negative_nor_over_300_mm_an_hour(mm, period, ok):
    if ok:
        assert rules.check("rainfall", mm, NOW, period, LIMITS, NOW, ZONE).period_minutes == period
    else:
        with pytest.raises(rules.Refused):
            rules.check("rainfall", mm, NOW, period, LIMITS, NOW, ZONE)


def test_five_minutes_ahead_is_allowed_more_is_not():
    rules.check("rainfall", 1, NOW + timedelta(minutes=5), None, LIMITS, NOW, ZONE)
    with pytest.raises(rules.Refused) as refused:
        rules.check("rainfall", 1, NOW + timedelta(minutes=5, seconds=1), None, LIMITS, NOW, ZONE)
    assert refused.value.field == "observed_at"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), None, [], True, "1e400"])
def test_what_is_not_a_finite_number_is_refused(value):
    with pytest.raises(rules.Refused) as refused:
        rules.check("water_level", value, NOW, None, LIMITS, NOW, ZONE)
    assert refused.value.field == "value"


def test_rainstorm_at_fifty_millimetres_within_any_24_hours():
    rain = [(1, hours_ago(30), 30.0), (2, hours_ago(10), 25.0), (3, hours_ago(2), 20.0)]
    [storm] = rules.rainstorms(rain, hours_ago(30), ZONE)
    # 30 + 25 within 20 hours; the 25 + 20 of the last 24 hours alone would be no rainstorm
    assert storm.measurements == {"rain_24h_mm": 55.0} and storm.basis == [1, 2]


def test_45_mm_is_no_rainstorm_and_5_minute_tips_adding_to_50_are():
    assert rules.rainstorms([(i, hours_ago(20 - i), 4.5) for i in range(10)], hours_ago(30), ZONE) == []
    tips = [(i, hours_ago(24) + timedelta(minutes=2 * (i + 1)), 0.1) for i in range(500)]
    [storm] = rules.rainstorms(tips, hours_ago(30), ZONE)
    assert storm.measurements["rain_24h_mm"] == 50.0 and len(storm.basis) == 500


def test_a_rise_of_more_than_the_threshold_within_24_hours():
    levels = [(1, hours_ago(30), 106.0), (2, hours_ago(20), 108.0), (3, hours_ago(1), 109.1)]
    [change] = rules.rapid_changes(levels, hours_ago(1), ZONE, 1.0)
    assert change.measurements == {"level_change_24h_m": 1.1} and change.basis == [2, 3]
    assert rules.rapid_changes(levels, hours_ago(1), ZONE, 1.2) == []


def test_high_water_at_or_above_the_flood_limit_one_a_day():
    levels = [(1, hours_ago(3), 112.4), (2, hours_ago(2), 112.5), (3, hours_ago(1), 112.9)]
    [found] = rules.high_water(levels, LIMITS, ZONE)
    assert found.measurements == {"level_m": 112.9} and found.basis == [2, 3]
    assert rules.high_water(levels, rules.Limits(), ZONE) == []


def test_a_persons_rain_counts_only_where_no_gauge_measured_its_period():
    morning = hours_ago(0)
    person = (9, morning, 30.0, 1440, "manual")
    gauge = [(i, hours_ago(i * 3), 5.0, 60, "device") for i in range(1, 7)]
    # the gauge's six hours lie in the person's 24: the same rain, counted once, from the gauge
    assert rules.rain_counted(sorted([*gauge, person], key=lambda r: r[1])) == [r[:3] for r in reversed(gauge)]
    # a gauge hour ending just after the person's reading but begun before it overlaps too
    late = (20, morning + timedelta(minutes=30), 1.0, 60, "import")
    assert [r[0] for r in rules.rain_counted([person, late])] == [20]
    # gauge readings a day before, or starting after the person's moment, leave it counted
    before = (21, hours_ago(24), 3.0, 60, "device")
    after = (22, morning + timedelta(minutes=61), 1.0, 60, "device")
    assert [r[0] for r in rules.rain_counted([before, person, after])] == [21, 9, 22]


def test_without_a_gauge_a_persons_55_mm_is_a_rainstorm_and_with_one_30_and_30_is_not():
    person = (9, hours_ago(0), 55.0, 1440, "manual")
    [storm] = rules.rainstorms(rules.rain_counted([person]), hours_ago(30), ZONE)
    assert storm.measurements == {"rain_24h_mm": 55.0}
    both = [(i, hours_ago(i * 3), 5.0, 60, "device") for i in range(6, 0, -1)] + [(9, hours_ago(0), 30.0, 1440, "manual")]
    assert rules.rainstorms(rules.rain_counted(both), hours_ago(30), ZONE) == []
    assert rules.rainstorms([r[:3] for r in both], hours_ago(30), ZONE) != []  # what counting both would say
