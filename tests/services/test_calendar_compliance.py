"""The compliance numbers against a year counted by hand (see tests/calendar_seed.py)."""
from datetime import date

import pytest

from municipal.calendar import compliance, queries
from municipal.errors import ValidationError
from tests.calendar_seed import TODAY, YEAR, seed_year


@pytest.fixture
def year(db, users, make_asset, area):
    return seed_year(db, users, make_asset, area)


def _numbers(counts) -> tuple:
    return counts.on_time, counts.late, counts.missed, counts.overdue, counts.not_yet_due


def _report(actor, group_by="month", **filters):
    return compliance.compliance(actor, *YEAR, TODAY, queries.Filters(**filters), group_by)


def test_the_year_in_total(users, year):
    report = _report(users["admin"])
    totals = report.totals
    assert _numbers(totals) == (3, 2, 3, 2, 3)
    assert totals.total == 13 and totals.due_so_far == 10 and totals.done == 5
    assert totals.completion_rate == 0.5 and totals.on_time_rate == 0.3


def test_by_month(users, year):
    groups = {g.key: _numbers(g.counts) for g in _report(users["admin"], "month").groups}
    assert groups == {
        "2025-01": (1, 0, 1, 0, 0),
        "2025-02": (2, 0, 0, 0, 0),
        "2025-03": (0, 2, 0, 0, 0),
        "2025-04": (0, 0, 1, 0, 0),
        "2025-05": (0, 0, 0, 1, 0),  # the standing item stays overdue
        "2025-07": (0, 0, 1, 1, 1),  # June held only the superseded item
        "2025-08": (0, 0, 0, 0, 1),
        "2025-12": (0, 0, 0, 0, 1),
    }
    assert [g.key for g in _report(users["admin"], "month").groups] == sorted(groups)


def test_by_facility_type_area_team_and_kind(users, year):
    assets, teams = year["assets"], year["teams"]
    by_facility = {g.key: (g.name, _numbers(g.counts)) for g in _report(users["admin"], "facility").groups}
    assert by_facility == {assets["A"].id: ("登云水库", (2, 1, 1, 1, 1)),
                           assets["B"].id: ("鼓山新村井", (0, 1, 1, 1, 2)),
                           assets["C"].id: ("岳峰井", (1, 0, 1, 0, 0))}
    by_type = {g.key: _numbers(g.counts) for g in _report(users["admin"], "type").groups}
    assert by_type == {"reservoir": (2, 1, 1, 1, 1), "manhole": (1, 1, 2, 1, 2)}
    by_area = {g.key: (g.name, g.name_en, _numbers(g.counts)) for g in _report(users["admin"], "area").groups}
    assert by_area == {year["town"].id: ("鼓山镇", "Gushan Town", (2, 1, 1, 1, 1)),
                       year["village"].id: ("鼓山新村", "Gushan Xincun", (0, 1, 1, 1, 2)),
                       year["other_town"].id: ("岳峰镇", "Yuefeng Town", (1, 0, 1, 0, 0))}
    by_team = [(g.key, g.name, _numbers(g.counts)) for g in _report(users["admin"], "team").groups]
    assert by_team == [(teams["A"].id, "鼓山一队", (2, 1, 1, 1, 1)), (teams["B"].id, "鼓山二队", (0, 1, 1, 1, 2)),
                       (None, "", (1, 0, 1, 0, 0))]  # no team last
    by_kind = {g.key: _numbers(g.counts) for g in _report(users["admin"], "kind").groups}
    assert by_kind == {"routine_patrol": (2, 1, 1, 1, 1), "routine_check": (1, 1, 2, 1, 2)}


def test_filters(users, year):
    assets, teams = year["assets"], year["teams"]
    assert _numbers(_report(users["admin"], area=year["town"]).totals) == (2, 2, 2, 2, 3)  # with the village
    assert _numbers(_report(users["admin"], area=year["village"]).totals) == (0, 1, 1, 1, 2)
    assert _numbers(_report(users["admin"], asset_type="manhole").totals) == (1, 1, 2, 1, 2)
    assert _numbers(_report(users["admin"], facility=assets["C"].id).totals) == (1, 0, 1, 0, 0)
    assert _numbers(_report(users["admin"], team=teams["B"].id).totals) == (0, 1, 1, 1, 2)
    assert _numbers(_report(users["admin"], kind="routine_patrol").totals) == (2, 1, 1, 1, 1)


def test_a_shorter_period_and_nothing_due_yet(users, year):
    march = compliance.compliance(users["admin"], date(2025, 3, 1), date(2025, 3, 31), TODAY, queries.Filters())
    assert _numbers(march.totals) == (0, 2, 0, 0, 0) and march.totals.completion_rate == 1.0
    autumn = compliance.compliance(users["admin"], date(2025, 8, 1), date(2025, 12, 31), TODAY, queries.Filters())
    assert autumn.totals.total == 2 and autumn.totals.completion_rate is None


def test_scoped_like_the_board(db, users, year):
    supervisor = users["supervisor"]
    supervisor.areas = [year["other_town"]]
    db.session.commit()
    assert _numbers(_report(supervisor).totals) == (1, 0, 1, 0, 0)
    crew = users["crew"]
    year["teams"]["A"].members.append(crew)
    db.session.commit()
    assert _numbers(_report(crew).totals) == (2, 1, 1, 1, 1)


def test_bad_periods_and_filters_name_the_field(users, year):
    with pytest.raises(ValidationError) as error:
        queries.parse_period("2025-02-30", "", YEAR)
    assert set(error.value.fields) == {"from"}
    with pytest.raises(ValidationError) as error:
        queries.parse_period("2025-06-01", "2025-05-01", YEAR)
    assert set(error.value.fields) == {"to"}
    with pytest.raises(ValidationError) as error:
        queries.parse_period("2020-01-01", "2025-01-01", YEAR)
    assert set(error.value.fields) == {"to"}
    with pytest.raises(ValidationError) as error:
        queries.parse_filters({"area": "nowhere", "type": "castle", "facility": "x", "team": "999", "status": "odd"})
    assert set(error.value.fields) == {"area", "type", "facility", "team", "status"}
    with pytest.raises(ValidationError) as error:
        compliance.parse_group("colour")
    assert set(error.value.fields) == {"group_by"}
    assert queries.parse_filters({"area": "gushan-xincun"}).area.id == year["village"].id
