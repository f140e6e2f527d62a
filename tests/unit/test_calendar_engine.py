"""The engine rule family by rule family, with dates worked by hand from inspection-rules.md."""
from collections import Counter

import pytest

from municipal.calendar.engine.core import due_items, preview
from municipal.calendar.engine.inputs import PreviewError, parse_request
from municipal.calendar.engine.rules import build_settings, load_table

SMALL_EARTH_DAM = {"capacity_m3": 450_000, "dam_height_m": 12, "dam_type": "土坝"}
APPRAISED_2021 = {"kind": "periodic_safety_appraisal", "done_on": "2021-06-01", "result": "一类"}


def run(asset_type="reservoir", attributes=None, history=(), events=(), start="2025-01-01", end="2025-01-31",
        as_of=None, kinds=None, profile=None, seasons=None):
    request = {"from": start, "to": end, "asset": {"type": asset_type, "attributes": attributes or {}},
               "history": list(history), "events": list(events)}
    for name, value in (("as_of", as_of), ("kinds", kinds), ("profile", profile), ("seasons", seasons)):
        if value is not None:
            request[name] = value
    return preview(request)


def pairs(response, kind=None):
    return [(item["due"], item["kind"]) for item in response["items"] if kind is None or item["kind"] == kind]


def dues(response, kind):
    return [item["due"] for item in response["items"] if item["kind"] == kind]


# --- appraisals ------------------------------------------------------------------------------


def test_first_appraisal_fujian_takes_the_earlier_anchor():
    attributes = {**SMALL_EARTH_DAM, "completion_acceptance": "2021-03-15", "first_impoundment_operation": "2019-07-31"}
    response = run(attributes=attributes, start="2024-01-01", end="2026-12-31", kinds=["first_safety_appraisal"])
    assert pairs(response) == [("2024-07-31", "first_safety_appraisal")]
    assert "first_impoundment_operation 2019-07-31 + 5 years" in response["items"][0]["why"]
    national = run(attributes=attributes, start="2024-01-01", end="2026-12-31", kinds=["first_safety_appraisal"],
                   profile="national")
    assert dues(national, "first_safety_appraisal") == ["2026-03-15"]


def test_first_appraisal_national_falls_back_to_impoundment_acceptance():
    attributes = {**SMALL_EARTH_DAM, "impoundment_acceptance": "2020-02-29"}
    response = run(attributes=attributes, start="2025-01-01", end="2025-12-31", as_of="2025-03-01",
                   kinds=["*_safety_appraisal"], profile="national")
    assert [(i["due"], i["status"]) for i in response["items"]] == [("2025-02-28", "overdue")]


def test_periodic_appraisal_window_opens_at_six_years_and_is_due_at_ten():
    history = [{"kind": "periodic_safety_appraisal", "done_on": "2016-02-29", "result": "二类"}]
    response = run(attributes=SMALL_EARTH_DAM, history=history, start="2022-01-01", end="2026-12-31",
                   kinds=["*_safety_appraisal*"])
    assert [(i["due"], i["kind"], i["status"]) for i in response["items"]] == [
        ("2022-02-28", "periodic_safety_appraisal_window_open", "window_open"),
        ("2026-02-28", "periodic_safety_appraisal", "due")]
    without_markers = run(attributes=SMALL_EARTH_DAM, history=history, start="2022-01-01", end="2026-12-31",
                          kinds=["*_safety_appraisal"])
    assert pairs(without_markers) == [("2026-02-28", "periodic_safety_appraisal")]


def test_overdue_appraisal_carries_in_and_makes_the_dam_risky():
    history = [{"kind": "periodic_safety_appraisal", "done_on": "2013-05-20", "result": "一类"}]
    response = run(attributes=SMALL_EARTH_DAM, history=history, start="2024-03-25", end="2024-03-27",
                   as_of="2024-03-01", kinds=["*_safety_appraisal", "routine_patrol"])
    assert [(i["due"], i["kind"], i["status"]) for i in response["items"]] == [
        ("2023-05-20", "periodic_safety_appraisal", "overdue"),
        ("2024-03-25", "routine_patrol", "due"), ("2024-03-26", "routine_patrol", "due"),
        ("2024-03-27", "routine_patrol", "due")]
    assert response["items"][1]["why"] == "risky (appraisal overdue), outside flood season: daily"
    assert {"risky", "require_lowered_level_or_empty"} <= set(response["flags"])


def test_an_appraisal_done_later_completes_the_overdue_one_but_not_the_past_state():
    history = [{"kind": "periodic_safety_appraisal", "done_on": "2013-05-20", "result": "一类"},
               {"kind": "periodic_safety_appraisal", "done_on": "2024-06-01", "result": "一类"}]
    response = run(attributes=SMALL_EARTH_DAM, history=history, start="2024-03-25", end="2024-03-31",
                   as_of="2024-03-01", kinds=["*_safety_appraisal"])
    assert pairs(response) == []
    assert "risky" in response["flags"]  # on as_of the appraisal was overdue
    later = run(attributes=SMALL_EARTH_DAM, history=history, start="2024-07-01", end="2024-07-31",
                as_of="2024-07-01", kinds=["*_safety_appraisal"])
    assert "risky" not in later["flags"]


def test_deadline_day_is_not_yet_overdue():
    attributes = {**SMALL_EARTH_DAM, "completion_acceptance": "2020-02-29"}
    for as_of, status, risky in (("2025-02-28", "due", False), ("2025-03-01", "overdue", True)):
        response = run(attributes=attributes, profile="national", start="2025-02-01", end="2025-03-31",
                       as_of=as_of, kinds=["first_safety_appraisal"])
        assert [i["status"] for i in response["items"]] == [status]
        assert ("risky" in response["flags"]) is risky


def test_special_appraisal_180_days_after_the_event_and_standing():
    events = [{"kind": "strong_earthquake", "start": "2025-03-10"},
              {"kind": "felt_earthquake", "start": "2025-04-01"}]
    response = run(attributes=SMALL_EARTH_DAM, history=[APPRAISED_2021], events=events, start="2025-10-01",
                   end="2025-12-31", as_of="2025-10-01", kinds=["special_safety_appraisal"])
    assert [(i["due"], i["status"]) for i in response["items"]] == [("2025-09-06", "overdue")]
    done = run(attributes=SMALL_EARTH_DAM, events=events, start="2025-10-01", end="2025-12-31",
               history=[APPRAISED_2021, {"kind": "special_safety_appraisal", "done_on": "2025-08-01"}],
               kinds=["*_safety_appraisal"])
    assert pairs(done) == []  # and the periodic clock restarted from 2025-08-01


def test_three_class_dam_tasks_flags_registration_and_twice_daily_patrols():
    history = [{"kind": "periodic_safety_appraisal", "done_on": "2014-05-10", "result": "二类"},
               {"kind": "periodic_safety_appraisal", "done_on": "2024-05-06", "report_date": "2024-05-31",
                "result": "三类"},
               {"kind": "dam_break_loss_assessment", "done_on": "2024-06-20"}]
    response = run(attributes=SMALL_EARTH_DAM, history=history, start="2024-07-01", end="2024-07-02",
                   as_of="2024-07-01")
    kinds = Counter(kind for _, kind in pairs(response))
    assert kinds["reinforce_downgrade_or_decommission_plan"] == kinds["emergency_dam_protection_measures"] == 1
    assert kinds["restricted_operation"] == 1 and kinds["dam_break_loss_assessment"] == 0
    assert dues(response, "restricted_operation") == ["2024-05-31"]
    registration = run(attributes=SMALL_EARTH_DAM, history=history, start="2024-07-01", end="2024-12-31",
                       kinds=["registration_change"])
    assert dues(registration, "registration_change") == ["2024-08-31"]  # 二类 → 三类: report 2024-05-31 + 3 months
    assert dues(response, "routine_patrol") == ["2024-07-01"] * 2 + ["2024-07-02"] * 2
    assert {"risky", "reinforcement_required", "restricted_operation"} <= set(response["flags"])
    assert "appraisal_overdue" not in response["flags"]


def test_reinforcement_ends_the_risky_profile_and_restarts_the_first_appraisal_clock():
    history = [{"kind": "periodic_safety_appraisal", "done_on": "2018-05-10", "result": "三类"},
               {"kind": "reinforcement_completed", "done_on": "2021-12-20",
                "first_impoundment_operation": "2022-04-01"}]
    response = run(attributes=SMALL_EARTH_DAM, history=history, start="2026-01-01", end="2027-12-31",
                   kinds=["*_safety_appraisal*"], as_of="2026-01-01")
    # Fujian: the earlier of 2022-04-01 + 5 y and 2021-12-20 + 5 y; the 2028 periodic window is superseded.
    assert pairs(response) == [("2026-12-20", "first_safety_appraisal")]
    assert "risky" not in response["flags"] and "reinforcement_required" not in response["flags"]


# --- reservoir patrols ----------------------------------------------------------------------


def test_flood_season_boundaries_are_inclusive():
    history = [APPRAISED_2021, {"kind": "routine_patrol", "done_on": "2025-10-08"}]
    response = run(attributes=SMALL_EARTH_DAM, history=history, start="2025-10-14", end="2025-10-31",
                   kinds=["routine_patrol"])
    # Daily on 10-14 and 10-15; then the weekly chain restarts from the last daily instance.
    assert dues(response, "routine_patrol") == ["2025-10-14", "2025-10-15", "2025-10-22", "2025-10-29"]


def test_flood_season_override_for_one_year():
    history = [APPRAISED_2021, {"kind": "routine_patrol", "done_on": "2025-03-30"}]
    response = run(attributes=SMALL_EARTH_DAM, history=history, start="2025-03-31", end="2025-04-12",
                   kinds=["routine_patrol"], seasons={"2025": {"flood": {"start": "04-10", "end": "10-15"}}})
    assert dues(response, "routine_patrol") == ["2025-04-06", "2025-04-10", "2025-04-11", "2025-04-12"]


def test_rainstorm_below_50_mm_is_no_rainstorm():
    history = [APPRAISED_2021, {"kind": "routine_patrol", "done_on": "2025-11-16"}]
    light = [{"kind": "rainstorm", "start": "2025-11-19", "rain_24h_mm": 49.9}]
    response = run(attributes=SMALL_EARTH_DAM, history=history, events=light, start="2025-11-17",
                   end="2025-11-30", kinds=["*_patrol"])
    assert pairs(response) == [("2025-11-23", "routine_patrol"), ("2025-11-30", "routine_patrol")]
    heavy = [{"kind": "rainstorm", "start": "2025-11-19", "rain_24h_mm": 50.0}]
    response = run(attributes=SMALL_EARTH_DAM, history=history, events=heavy, start="2025-11-17",
                   end="2025-11-30", kinds=["*_patrol"])
    assert pairs(response) == [("2025-11-19", "special_patrol"), ("2025-11-20", "special_patrol"),
                               ("2025-11-27", "routine_patrol")]


# --- overlapping events -----------------------------------------------------------------------


PATROLLED_16TH = [APPRAISED_2021, {"kind": "routine_patrol", "done_on": "2025-11-16"}]


def test_two_overlapping_rainstorms_give_one_special_patrol_a_day_naming_both():
    storms = [{"kind": "rainstorm", "start": "2025-11-19", "end": "2025-11-21", "rain_24h_mm": 80},
              {"kind": "rainstorm", "start": "2025-11-20", "end": "2025-11-22", "rain_24h_mm": 120}]
    response = run(attributes=SMALL_EARTH_DAM, history=PATROLLED_16TH, events=storms, start="2025-11-17",
                   end="2025-11-30", kinds=["*_patrol"])
    # The first storm's days and its day after (19–22), the second's (20–22) and its day after (23): once each.
    assert Counter(dues(response, "special_patrol")) == Counter(
        {"2025-11-19": 1, "2025-11-20": 1, "2025-11-21": 1, "2025-11-22": 1, "2025-11-23": 1})
    both = next(i for i in response["items"] if i["due"] == "2025-11-21")
    assert "80 mm" in both["why"] and "120 mm" in both["why"]
    # The weekly chain restarts from the last special patrol.
    assert dues(response, "routine_patrol") == ["2025-11-30"]


def test_the_same_storm_recorded_twice_still_gives_one_patrol_a_day():
    storm = {"kind": "rainstorm", "start": "2025-11-19", "end": "2025-11-20", "rain_24h_mm": 80}
    once = run(attributes=SMALL_EARTH_DAM, history=PATROLLED_16TH, events=[storm], start="2025-11-17",
               end="2025-11-30", kinds=["*_patrol"])
    twice = run(attributes=SMALL_EARTH_DAM, history=PATROLLED_16TH, events=[storm, dict(storm)], start="2025-11-17",
                end="2025-11-30", kinds=["*_patrol"])
    assert pairs(twice) == pairs(once)


def test_a_rainstorm_and_an_earthquake_overlapping_share_their_patrol_days_and_the_quake_adds_its_appraisal():
    events = [{"kind": "rainstorm", "start": "2025-11-19", "end": "2025-11-20", "rain_24h_mm": 80},
              {"kind": "strong_earthquake", "start": "2025-11-20"}]
    response = run(attributes=SMALL_EARTH_DAM, history=PATROLLED_16TH, events=events, start="2025-11-17",
                   end="2026-06-30", as_of="2025-11-17", kinds=["special_patrol", "special_safety_appraisal"])
    # The storm: 19, 20 and the day after; the quake: 20 and the day after. One patrol a day.
    assert pairs(response, "special_patrol") == [("2025-11-19", "special_patrol"), ("2025-11-20", "special_patrol"),
                                                 ("2025-11-21", "special_patrol")]
    shared = next(i for i in response["items"] if i["due"] == "2025-11-20")
    assert "rainstorm" in shared["why"] and "strong_earthquake" in shared["why"]
    # The quake alone calls a special appraisal, 180 days on (2025-11-20 + 180 days).
    assert dues(response, "special_safety_appraisal") == ["2026-05-19"]


def test_a_rainstorm_then_a_felt_earthquake_the_next_day_run_on_without_a_gap_or_a_double():
    events = [{"kind": "rainstorm", "start": "2025-11-19", "rain_24h_mm": 80},
              {"kind": "felt_earthquake", "start": "2025-11-20"}]
    response = run(attributes=SMALL_EARTH_DAM, history=PATROLLED_16TH, events=events, start="2025-11-17",
                   end="2025-11-30", kinds=["*_patrol"])
    assert pairs(response) == [("2025-11-19", "special_patrol"), ("2025-11-20", "special_patrol"),
                               ("2025-11-21", "special_patrol"), ("2025-11-28", "routine_patrol")]


def test_overlapping_events_in_the_flood_season_keep_the_daily_routine_and_add_one_special_patrol_a_day():
    events = [{"kind": "typhoon_response", "start": "2025-07-10", "end": "2025-07-12"},
              {"kind": "rainstorm", "start": "2025-07-11", "end": "2025-07-12", "rain_24h_mm": 210}]
    response = run(attributes=SMALL_EARTH_DAM, history=[APPRAISED_2021], events=events, start="2025-07-09",
                   end="2025-07-14", kinds=["*_patrol"])
    assert Counter(dues(response, "special_patrol")) == Counter(
        {"2025-07-10": 1, "2025-07-11": 1, "2025-07-12": 1, "2025-07-13": 1})
    assert Counter(dues(response, "routine_patrol")) == Counter({f"2025-07-{d:02d}": 1 for d in range(9, 15)})


def test_high_water_gives_two_patrols_a_day_on_its_days_only():
    events = [{"kind": "high_water", "start": "2025-06-10", "end": "2025-06-11"}]
    response = run(attributes=SMALL_EARTH_DAM, history=[APPRAISED_2021], events=events, start="2025-06-09",
                   end="2025-06-12", kinds=["*_patrol"], as_of="2025-06-10")
    assert Counter(dues(response, "routine_patrol")) == Counter(
        {"2025-06-09": 1, "2025-06-10": 2, "2025-06-11": 2, "2025-06-12": 1})
    assert dues(response, "special_patrol") == []  # high water changes the routine, it calls no special patrol
    assert "high_water" in response["flags"]
    assert [i["status"] for i in response["items"]][0] == "overdue"  # 06-09, before as_of, not done


def test_a_patrol_done_completes_one_of_two():
    events = [{"kind": "high_water", "start": "2025-06-10"}]
    history = [APPRAISED_2021, {"kind": "routine_patrol", "done_on": "2025-06-10"}]
    response = run(attributes=SMALL_EARTH_DAM, history=history, events=events, start="2025-06-10",
                   end="2025-06-10", kinds=["routine_patrol"])
    assert dues(response, "routine_patrol") == ["2025-06-10"]


def test_first_impoundment_is_daily_outside_the_flood_season():
    attributes = {**SMALL_EARTH_DAM, "first_impoundment_period": {"start": "2025-11-20", "end": "2025-12-10"}}
    history = [{"kind": "routine_patrol", "done_on": "2025-11-15"}]
    events = [{"kind": "first_filling_start", "start": "2025-11-20"}]
    response = run(attributes=attributes, history=history, events=events, start="2025-11-16", end="2025-12-20",
                   kinds=["*_patrol"], as_of="2025-11-16")
    routine = dues(response, "routine_patrol")
    assert routine[0] == "2025-11-20" and routine[20] == "2025-12-10" and routine[21:] == ["2025-12-17"]
    assert dues(response, "special_patrol") == ["2025-11-20", "2025-11-21"]
    assert "first_impoundment" not in response["flags"]


def test_patrols_are_never_carried_in_but_appraisals_are():
    history = [{"kind": "periodic_safety_appraisal", "done_on": "2010-01-15"}]
    response = run(attributes=SMALL_EARTH_DAM, history=history, start="2025-06-01", end="2025-06-01",
                   as_of="2025-06-01", kinds=["routine_patrol", "periodic_safety_appraisal", "annual_*"])
    assert pairs(response) == [("2020-01-15", "periodic_safety_appraisal"), ("2025-06-01", "routine_patrol"),
                               ("2025-06-01", "routine_patrol")]


def test_annual_inspections_and_termite_only_for_earth_dams():
    history = [APPRAISED_2021, {"kind": "annual_pre_flood", "done_on": "2025-03-10"}]
    response = run(attributes=SMALL_EARTH_DAM, history=history, start="2025-01-01", end="2025-12-31",
                   kinds=["annual_*"])
    assert pairs(response) == [("2025-06-30", "annual_termite"), ("2025-11-15", "annual_post_flood")]
    concrete = run(attributes={**SMALL_EARTH_DAM, "dam_type": "混凝土坝"}, history=[APPRAISED_2021],
                   start="2025-01-01", end="2025-12-31", kinds=["annual_*"])
    assert [kind for _, kind in pairs(concrete)] == ["annual_pre_flood", "annual_post_flood"]


# --- rivers and roads -------------------------------------------------------------------------


def test_river_keeper_daily_and_a_done_patrol_completes_its_period():
    attributes = {"chiefs": [{"level": "river_keeper"}, {"level": "village", "river_chief_day": False}]}
    history = [{"kind": "chief_patrol", "done_on": "2020-12-29", "level": "village"},
               {"kind": "chief_patrol", "done_on": "2021-01-01", "level": "river_keeper"}]
    response = run("river_segment", attributes, history, start="2020-12-28", end="2021-01-10")
    village = [i["due"] for i in response["items"] if i["why"].startswith("village")]
    # ISO week 53 of 2020 (12-28..2021-01-03) is done; week 1 of 2021 is due on 01-10.
    assert village == ["2021-01-10"]
    keeper = [i["due"] for i in response["items"] if i["why"].startswith("river_keeper")]
    assert len(keeper) == 13 and "2021-01-01" not in keeper


def test_road_chiefs_by_quarter_month_and_week():
    attributes = {"chiefs": [{"level": "county"}, {"level": "township"}]}
    response = run("road_segment", attributes, start="2024-01-01", end="2024-06-30")
    assert dues(response, "chief_patrol") == ["2024-01-31", "2024-02-29", "2024-03-31", "2024-03-31",
                                              "2024-04-30", "2024-05-31", "2024-06-30", "2024-06-30"]


# --- bridges ---------------------------------------------------------------------------------


def test_highway_bridge_first_periodic_then_every_three_years_and_monthly_routine():
    attributes = {"regime": "JTG", "maint_level": "Ⅱ", "opening_date": "2020-02-29"}
    response = run("bridge", attributes, start="2020-01-01", end="2024-12-31", as_of="2020-01-01",
                   kinds=["periodic_inspection"])
    # Never done: the chain runs from the first one's due date (P2), 2021-02-28 + 3 years.
    assert dues(response, "periodic_inspection") == ["2021-02-28", "2024-02-28"]
    routine = run("bridge", attributes, start="2024-02-01", end="2024-03-31", kinds=["routine_check"])
    assert dues(routine, "routine_check") == ["2024-02-29", "2024-03-31"]


def test_highway_bridge_class_3_finding_triggers_a_periodic_inspection_now():
    attributes = {"regime": "JTG", "maint_level": "Ⅰ", "opening_date": "2015-06-30"}
    history = [{"kind": "periodic_inspection", "done_on": "2023-07-01"},
               {"kind": "routine_check", "done_on": "2024-03-12", "finding_class": 3}]
    response = run("bridge", attributes, history, start="2024-04-01", end="2025-12-31", as_of="2024-04-01",
                   kinds=["periodic_inspection"])
    # The 2024-07-01 projection is superseded by the triggered one, which anchors the next (P3).
    assert [(i["due"], i["status"]) for i in response["items"]] == [
        ("2024-03-12", "overdue"), ("2025-03-12", "due")]


def test_urban_bridge_structural_window_regular_test_and_routine_cycle():
    attributes = {"regime": "CJJ99", "maint_category": "Ⅳ", "opening_date": "2012-09-01"}
    history = [{"kind": "structural_periodic_test", "done_on": "2016-09-01"},
               {"kind": "regular_periodic_test", "done_on": "2024-05-31"},
               {"kind": "routine_check", "done_on": "2025-01-02"}]
    response = run("bridge", attributes, history, start="2022-01-01", end="2026-12-31",
                   kinds=["structural_*", "regular_*"], as_of="2022-01-01")
    assert pairs(response) == [("2022-09-01", "structural_periodic_test_window_open"),
                               ("2025-05-31", "regular_periodic_test"),
                               ("2026-05-31", "regular_periodic_test"),
                               ("2026-09-01", "structural_periodic_test")]
    routine = run("bridge", attributes, history, start="2025-01-03", end="2025-01-20", kinds=["routine_check"])
    assert dues(routine, "routine_check") == ["2025-01-09", "2025-01-16"]
    category_one = run("bridge", {**attributes, "maint_category": "Ⅰ"}, history, start="2022-01-01",
                       end="2026-12-31", kinds=["structural_*"])
    assert pairs(category_one) == []


# --- sewers, manholes, buildings, pump stations ----------------------------------------------------


@pytest.mark.parametrize("rating, expected", [
    ("4213", ["2024-05-10", "2025-05-10"]), ("3100", []), ("5112", ["2023-05-10"]),
])
def test_sewer_cctv_by_worst_structural_grade(rating, expected):
    history = [{"kind": "cctv_reinspection", "done_on": "2023-05-10", "quick_rating": rating}]
    response = run("sewer_segment", {}, history, start="2024-01-01", end="2025-12-31", as_of="2024-01-01")
    assert dues(response, "cctv_reinspection") == expected
    assert ("rehabilitation_required" in response["flags"]) is rating.startswith("5")


def test_manhole_sla_in_hours_with_offsets():
    events = [{"kind": "report_received_missing_cover", "start": "2025-06-01T22:30:00+08:00"},
              {"kind": "patrol_found_missing_cover", "start": "2025-06-03T01:15:00Z"}]
    history = [{"kind": "guardrail_and_sign", "done_at": "2025-06-01T23:10:00+08:00"}]
    response = run("manhole", {}, history, events, start="2025-06-02", end="2025-06-03", as_of="2025-06-02")
    assert [(i["due"], i["kind"]) for i in response["items"]] == [
        ("2025-06-02T04:30:00+08:00", "cover_restore"),
        ("2025-06-03T09:15:00+08:00", "warning_sign"),
        ("2025-06-03T15:15:00+08:00", "cover_restore")]


def test_manhole_sla_steps_carry_in_as_overdue():
    events = [{"kind": "patrol_found_missing_cover", "start": "2025-05-30T10:00:00+08:00"}]
    response = run("manhole", {}, (), events, start="2025-06-01", end="2025-06-02")
    assert [(i["due"], i["status"]) for i in response["items"]] == [
        ("2025-05-30T10:00:00+08:00", "overdue"), ("2025-05-30T16:00:00+08:00", "overdue")]


def test_building_grades():
    history = [{"kind": "safety_recheck", "done_on": "2024-01-31", "grade": "C"}]
    response = run("old_building", {}, history, start="2024-02-01", end="2024-04-30")
    assert dues(response, "safety_recheck") == ["2024-02-29", "2024-03-31", "2024-04-30"]
    danger = [{"kind": "safety_recheck", "done_on": "2024-01-31", "grade": "D"}]
    response = run("old_building", {}, danger, start="2024-02-01", end="2024-04-30", as_of="2024-02-01")
    assert [(i["due"], i["kind"], i["status"]) for i in response["items"] if i["kind"] != "danger_watch"] == [
        ("2024-01-31", "stop_use", "overdue")]
    # Not vacated: watched every day of the range (§4.1.5), the days before it not carried in.
    assert dues(response, "danger_watch")[0] == "2024-02-01" and len(dues(response, "danger_watch")) == 90
    assert "stop_use" in response["flags"]


def test_pump_station_pre_flood_and_winter_overhaul():
    response = run("pump_station", {}, start="2025-01-01", end="2025-12-31",
                   kinds=["pre_flood_check", "winter_overhaul"])
    assert pairs(response) == [("2025-03-15", "winter_overhaul"), ("2025-03-31", "pre_flood_check")]


# --- kinds filter, settings, lower-level API -------------------------------------------------------


def test_kinds_filter_with_patterns_and_unmatched_entries():
    history = [{"kind": "periodic_safety_appraisal", "done_on": "2016-06-15", "result": "一类"}]
    base = dict(attributes=SMALL_EARTH_DAM, history=history, start="2022-01-01", end="2026-12-31")
    assert {k for _, k in pairs(run(**base, kinds=["*_safety_appraisal*"]))} == {
        "periodic_safety_appraisal", "periodic_safety_appraisal_window_open"}
    assert pairs(run(**base, kinds=["no_such_kind"])) == []
    assert {k for _, k in pairs(run(**base, kinds=["annual_*", "nothing*"]))} == {
        "annual_pre_flood", "annual_post_flood", "annual_termite"}


def test_district_settings_change_policy_values():
    events = [{"kind": "major_accident", "start": "2025-01-10"}]
    request = {"from": "2025-01-01", "to": "2025-12-31", "kinds": ["special_safety_appraisal"],
               "asset": {"type": "reservoir", "attributes": SMALL_EARTH_DAM}, "history": [APPRAISED_2021],
               "events": events}
    assert pairs(preview(request, settings={"special_appraisal_days": 90})) == [
        ("2025-04-10", "special_safety_appraisal")]


def test_due_items_gives_stable_natural_keys():
    table = load_table()
    settings = build_settings(table)
    parsed = parse_request({"from": "2024-02-01", "to": "2024-02-29",
                            "asset": {"type": "river_segment", "attributes": {"chiefs": [{"level": "district"}]}}},
                           table, settings.zone)
    items = due_items(parsed.asset_type, parsed.attributes, parsed.history, parsed.events, parsed.start,
                      parsed.end, parsed.as_of, settings)
    again = due_items(parsed.asset_type, parsed.attributes, parsed.history, parsed.events, parsed.start,
                      parsed.end, parsed.as_of, settings)
    assert [item.key for item in items] == [item.key for item in again] == [
        "RIVER-CHIEF-PATROL/chief_patrol/0:district/2024-02-29"]


# --- bad requests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("change, field", [
    ({"asset": {"type": "reservoir", "attributes": {"capcity_m3": 1}}}, "asset.attributes.capcity_m3"),
    ({"asset": {"type": "castle", "attributes": {}}}, "asset.type"),
    ({"from": "2025-02-30"}, "from"),
    ({"to": "2024-12-31"}, "to"),
    ({"history": [{"kind": "tea_break", "done_on": "2025-01-01"}]}, "history.0.kind"),
    ({"history": [{"kind": "routine_patrol"}]}, "history.0.done_on"),
    ({"events": [{"kind": "meteor", "start": "2025-01-01"}]}, "events.0.kind"),
    ({"events": [{"kind": "rainstorm", "start": "2025-01-01"}]}, "events.0.rain_24h_mm"),
    ({"events": [{"kind": "patrol_found_missing_cover", "start": "2025-01-01"}]}, "events.0.start"),
    ({"seasons": {"flood": {"start": "04-31"}}}, "seasons.flood.start"),
    ({"profile": "beijing"}, "profile"),
    ({"kinds": "routine_patrol"}, "kinds"),
    ({"colour": "red"}, "colour"),
])
def test_bad_requests_name_the_field(change, field):
    request = {"from": "2025-01-01", "to": "2025-01-31",
               "asset": {"type": "reservoir", "attributes": SMALL_EARTH_DAM}, **change}
    with pytest.raises(PreviewError) as error:
        preview(request)
    assert field in error.value.fields
