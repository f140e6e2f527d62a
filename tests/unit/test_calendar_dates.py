"""Date math of the calendar: 民法典 art. 202, anchor-based recurrence, ISO weeks, seasons, local dates."""
from datetime import date, datetime, timezone

import pytest

from municipal.calendar.engine import dates
from municipal.calendar.engine.dates import MonthDay, Period, add, add_months, add_years, parse_period
from municipal.calendar.engine.rules import RuleTableError, build_settings, load_table


@pytest.mark.parametrize("start, years, expected", [
    (date(2020, 2, 29), 5, date(2025, 2, 28)),    # no 02-29 in 2025: the month's last day, not 03-01 or 02-27
    (date(2020, 2, 29), 4, date(2024, 2, 29)),
    (date(2013, 5, 20), 10, date(2023, 5, 20)),
    (date(2019, 12, 31), 1, date(2020, 12, 31)),
])
def test_years_follow_article_202(start, years, expected):
    assert add_years(start, years) == expected


@pytest.mark.parametrize("start, months, expected", [
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2023, 1, 31), 1, date(2023, 2, 28)),
    (date(2024, 8, 31), 3, date(2024, 11, 30)),
    (date(2024, 11, 30), 3, date(2025, 2, 28)),
    (date(2024, 12, 15), -12, date(2023, 12, 15)),
])
def test_months_follow_article_202(start, months, expected):
    assert add_months(start, months) == expected


def test_recurrence_is_anchor_plus_k_and_does_not_drift():
    anchor = date(2024, 1, 31)
    monthly = parse_period("1mo")
    assert [add(anchor, monthly, k) for k in range(1, 5)] == [
        date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 31)]
    chained = add(add(anchor, monthly), monthly)
    assert chained == date(2024, 3, 29)  # what chaining would give, and why the engine never chains


def test_periods_parse_and_read():
    assert parse_period("5y") == Period(months=60)
    assert parse_period("3mo") == Period(months=3)
    assert parse_period("180d") == Period(days=180)
    assert parse_period("6h") == Period(hours=6)
    assert str(parse_period("10y")) == "10 years" and str(parse_period("1mo")) == "1 month"
    with pytest.raises(ValueError):
        parse_period("five years")


def test_iso_weeks_run_monday_to_sunday_across_years():
    assert dates.iso_week_end(date(2024, 2, 1)) == date(2024, 2, 4)
    assert dates.iso_week_start(date(2024, 2, 4)) == date(2024, 1, 29)
    # 2020 has an ISO week 53, running into January 2021.
    assert date(2020, 12, 31).isocalendar()[1] == 53
    assert dates.iso_week_end(date(2020, 12, 31)) == date(2021, 1, 3)
    weeks = dates.periods_due_in("iso_week", date(2020, 12, 28), date(2021, 1, 10))
    assert [last for _, last in weeks] == [date(2021, 1, 3), date(2021, 1, 10)]


def test_calendar_periods_are_due_on_their_last_day():
    assert dates.periods_due_in("month", date(2024, 2, 1), date(2024, 3, 31)) == [
        (date(2024, 2, 1), date(2024, 2, 29)), (date(2024, 3, 1), date(2024, 3, 31))]
    assert dates.periods_due_in("quarter", date(2024, 1, 1), date(2024, 12, 31))[0] == (
        date(2024, 1, 1), date(2024, 3, 31))
    # A period partly inside the range counts only when its due day is inside.
    assert dates.periods_due_in("month", date(2024, 2, 15), date(2024, 3, 30)) == [
        (date(2024, 2, 1), date(2024, 2, 29))]


def test_month_days_resolve_per_year():
    assert MonthDay.parse("02-29").in_year(2025) == date(2025, 2, 28)
    assert MonthDay.parse("02-29").in_year(2024) == date(2024, 2, 29)
    for bad in ("13-01", "02-30", "4-1", "04/01"):
        with pytest.raises(ValueError):
            MonthDay.parse(bad)


def test_seasons_are_inclusive_and_overridable_per_year():
    settings = build_settings(load_table(), seasons={"2025": {"flood": {"start": "04-10"}}})
    assert settings.in_season("flood", date(2024, 4, 1)) and settings.in_season("flood", date(2024, 10, 15))
    assert not settings.in_season("flood", date(2024, 3, 31)) and not settings.in_season("flood", date(2024, 10, 16))
    assert not settings.in_season("flood", date(2025, 4, 9)) and settings.in_season("flood", date(2025, 4, 10))
    assert settings.season("winter_overhaul", 2024) == (date(2024, 11, 16), date(2025, 3, 15))
    assert settings.in_season("winter_overhaul", date(2025, 1, 10))


def test_district_settings_override_defaults_and_unknown_names_are_refused():
    settings = build_settings(load_table(), {"special_appraisal_days": 90, "pacp_reinspect_years": {"4": 2}})
    assert settings.values["special_appraisal_days"] == 90
    assert settings.values["pacp_reinspect_years"][4] == 2 and settings.values["pacp_reinspect_years"][3] == 3
    with pytest.raises(RuleTableError):
        build_settings(load_table(), {"special_appraisal_dayz": 90})
    with pytest.raises(RuleTableError) as error:
        build_settings(load_table(), seasons={"flood": {"start": "04-31"}})
    assert error.value.path == "seasons.flood.start"


def test_local_dates_are_shanghai_days():
    zone = build_settings(load_table()).zone
    late_utc = datetime(2025, 6, 1, 17, 30, tzinfo=timezone.utc)
    assert dates.local_date(late_utc, zone) == date(2025, 6, 2)
    assert dates.parse_datetime("2025-06-01T09:30:00+08:00").utcoffset().total_seconds() == 8 * 3600
    with pytest.raises(ValueError):
        dates.parse_datetime("2025-06-01T09:30:00")


def test_the_rule_table_keeps_source_and_confidence_of_every_rule():
    table = load_table()
    assert table.version == 1 and len(table.rules) >= 25
    for rule in table.rules:
        assert rule.src and rule.confidence, rule.id
    assert len({rule.id for rule in table.rules}) == len(table.rules)


def test_every_schedule_of_the_table_has_an_evaluator():
    from municipal.calendar.engine.core import EVALUATORS
    from municipal.calendar.engine.rules import SCHEDULES

    assert set(EVALUATORS) == set(SCHEDULES)
    assert {rule.schedule for rule in load_table().rules} <= set(EVALUATORS)


def test_the_engine_imports_nothing_from_flask_or_the_database():
    """Every module of calendar/engine/ imports the standard library, yaml, its own package, and only N_ above it."""
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "municipal" / "calendar" / "engine"
    modules = sorted(package.glob("*.py"))
    assert {"dates.py", "rules.py", "inputs.py", "core.py", "plans.py", "why.py", "wording.py"} <= {
        path.name for path in modules}
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                above = node.level > 1
                assert not above or (node.module == "i18n" and node.level == 3
                                     and [alias.name for alias in node.names] == ["N_"]), (path.name, node.module)
                continue
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
            for module in names:
                assert module.split(".")[0] not in ("flask", "flask_babel", "flask_login", "sqlalchemy", "municipal"), (
                    path.name, module)
