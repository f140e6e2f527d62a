"""A district's calendar settings and the rule table file: a value of the wrong shape is refused when the
settings are built, naming the setting, never taken silently or left to fail half-way through a run."""
import pytest

from municipal.calendar.engine.rules import RuleTableError, build_settings, load_table


@pytest.mark.parametrize("overrides, path", [
    ({"rolling_patrol_days": "seven"}, "settings.rolling_patrol_days"),
    ({"rolling_patrol_days": 0}, "settings.rolling_patrol_days"),
    ({"rolling_patrol_days": True}, "settings.rolling_patrol_days"),
    ({"rainstorm_24h_mm": float("nan")}, "settings.rainstorm_24h_mm"),
    ({"special_appraisal_days": -1}, "settings.special_appraisal_days"),
    ({"river_chief_day_of_month": 32}, "settings.river_chief_day_of_month"),
    ({"sla_hours": 6}, "settings.sla_hours"),
    ({"sla_hours": {"cover_fixed": 6}}, "settings.sla_hours.cover_fixed"),
    ({"sla_hours": {"cover_restore": "six"}}, "settings.sla_hours.cover_restore"),
    ({"river_chief_frequency": {"village": "fortnight"}}, "settings.river_chief_frequency.village"),
    ({"jgj125_followup": {"C": "soon"}}, "settings.jgj125_followup.C"),
    ({"fujian_first_appraisal": "latest"}, "settings.fujian_first_appraisal"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
])
def test_a_setting_of_the_wrong_shape_is_refused_by_name(overrides, path):
    with pytest.raises(RuleTableError) as refused:
        build_settings(load_table(), overrides)
    assert refused.value.path == path and str(refused.value).startswith(path)


def test_good_overrides_are_taken_with_the_defaults_kept_around_them():
    settings = build_settings(load_table(), {
        "rolling_patrol_days": 5, "rainstorm_24h_mm": 80, "pacp_reinspect_years": {"5": 1},
        "sla_hours": {"cover_restore": 4}, "river_chief_frequency": {"village": "month"},
        "jgj125_followup": {"C": "2mo", "B": "immediate"}, "fujian_first_appraisal": "fujian_anchor"})
    assert settings.values["rolling_patrol_days"] == 5 and settings.values["rainstorm_24h_mm"] == 80
    assert settings.values["pacp_reinspect_years"][5] == 1 and settings.values["pacp_reinspect_years"][4] == 1
    assert settings.values["sla_hours"] == {"warning_sign": 0, "guardrail_and_sign": 2, "cover_restore": 4}


@pytest.mark.parametrize("text", ["rules: [unclosed\n", "just a line\n", "version: 1\nrules: []\n"])
def test_a_broken_rule_file_is_a_table_error_naming_the_file(tmp_path, text):
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleTableError) as refused:
        load_table(path)
    assert str(path) in str(refused.value)
