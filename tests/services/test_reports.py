"""The annual report's numbers against a hand-counted year, the compliance page, the queue and the archive."""
import hashlib
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from municipal.assets import services as asset_services
from municipal.calendar import compliance
from municipal.calendar import materialise as calendar_materialise
from municipal.calendar.models import FacilityHistory
from municipal.calendar.queries import Filters
from municipal.db import utcnow
from municipal.errors import NotFound, PermissionDenied, ValidationError
from municipal.jobs import runner
from municipal.jobs.registry import JOBS
from municipal.reports import district, facility, measures, queries, render, services
from municipal.reports.models import Report
from municipal.reports.scope import Scope, parse_scope, parse_year
from tests import report_seed

TODAY = date(2026, 11, 26)


@pytest.fixture
def year(app, db):
    return report_seed.seed(db, app.config["MEDIA_DIR"])


def _counts(counts) -> dict:
    return {name: getattr(counts, name) for name in report_seed.EXPECTED}


def test_a_reservoirs_year_is_counted_as_by_hand(year):
    report = facility.facility_report(year["users"]["admin"], year["reservoir"], 2025, utcnow())
    inspections = report["inspections"]
    assert _counts(inspections["totals"]) == report_seed.EXPECTED
    assert round(inspections["totals"].completion_rate, 3) == 0.714
    by_kind = {kind: _counts(counts) for kind, counts in inspections["by_kind"]}
    assert by_kind["routine_patrol"] == {"total": 5, "on_time": 2, "late": 1, "missed": 1, "overdue": 1,
                                         "not_yet_due": 0}
    assert by_kind["annual_pre_flood"]["on_time"] == 1 and by_kind["special_patrol"]["on_time"] == 1
    patrols = dict(inspections["patrols_by_month"])
    assert (patrols[1].on_time, patrols[1].late, patrols[2].missed, patrols[3].on_time, patrols[4].overdue) == (1, 1, 1, 1, 1)
    assert patrols[5].total == 0 and patrols[6].total == 0  # the superseded patrol, the special one is no routine

    findings = report["findings"]
    assert [(f["severity"], f["status"]) for f in findings] == [("low", "open"), ("high", "closed"), ("critical", "open")]
    low, high, critical = findings
    assert low["work_order"] is None
    assert high["closed_at"].date() == date(2025, 3, 20) and "坝顶" in high["item"]["zh"]
    assert critical["work_order"].startswith("WO-") and critical["deadline"].date() == date(2025, 7, 1)
    assert "迎水坡" in critical["item"]["zh"]

    work = report["work"]
    assert (work["count"], work["completed"], work["open"]) == (3, 2, 1)
    assert work["mean_repair_hours"] == pytest.approx(240.0)
    assert work["by_kind"] == {"rectification": 2, "repair": 1}

    [event] = report["events"]
    assert event["event"].kind == "rainstorm"
    assert [(w["kind"], w["standing"]) for w in event["work"]] == [("special_patrol", "done")]

    ident = report["identity"]
    assert ident["scale_class"] == "小(1)型" and ident["safety_category"] == "二类"
    assert {p["role"] for p in ident["persons"]} == {"administrative", "technical", "patrol"}
    assert all(value is None for value in ident["key_links"].values())
    assert len(report["next_year"]["carried_over"]) == 2


def test_the_report_agrees_with_the_compliance_page(year):
    admin = year["users"]["admin"]
    cutoff = utcnow()
    today = cutoff.astimezone(measures.zone()).date()
    report = facility.facility_report(admin, year["reservoir"], 2025, cutoff)
    page = compliance.compliance(admin, date(2025, 1, 1), date(2025, 12, 31), today,
                                 Filters(facility=year["reservoir"].id), "kind")
    assert report["inspections"]["totals"] == page.totals

    summary = district.district_report(admin, Scope("district"), 2025, cutoff)
    for group_by, lines in (("type", summary["by_type"]), ("area", summary["by_area"])):
        page = compliance.compliance(admin, date(2025, 1, 1), date(2025, 12, 31), today, Filters(), group_by)
        assert {g.key: g.counts for g in page.groups} == {line["key"]: line["counts"] for line in lines
                                                          if line["counts"].total}
        assert summary["totals"] == page.totals
    assert summary["reservoirs"]["total"] == 2
    lines = {line["name"]: line for line in summary["reservoirs"]["lines"]}
    assert _counts(lines["登云水库"]["counts"]) == report_seed.EXPECTED
    assert (lines["登云水库"]["findings"], lines["登云水库"]["open_findings"], lines["登云水库"]["work"]) == (3, 2, 3)
    assert summary["findings_by_severity"]["critical"] == {"count": 1, "closed": 0, "open": 1}
    assert summary["overdue"]["item_count"] == 1 and summary["overdue"]["finding_count"] == 1
    assert summary["work"]["count"] == 3 and summary["work"]["mean_repair_hours"] == pytest.approx(240.0)


def test_a_facility_in_service_mid_year_is_counted_from_its_start(year):
    report = facility.facility_report(year["users"]["admin"], year["later"], 2025, utcnow())
    assert report["starts_mid_year"] and report["period"][0] == date(2025, 7, 1)
    assert report["inspections"]["totals"].total == 1 and report["inspections"]["totals"].on_time == 1
    before = facility.facility_report(year["users"]["admin"], year["later"], 2024, utcnow())
    assert before["period"] is None and before["inspections"] is None


def test_a_year_without_records_is_an_empty_report(year):
    report = queries.annual(year["users"]["admin"], parse_scope(f"facility:{year['reservoir'].id}"), 2024, utcnow())
    entry = report["facilities"][0]
    assert entry["inspections"]["totals"].total == 0 and entry["findings"] == [] and entry["work"]["count"] == 0
    summary = queries.annual(year["users"]["admin"], Scope("district"), 2024, utcnow())["summary"]
    assert summary["totals"].total == 0 and summary["findings"]["count"] == 0


def test_bad_years_and_scopes_name_their_field(year):
    for text, message in (("2027", "2027"), ("", None), ("abc", None), ("1999", None)):
        with pytest.raises(ValidationError) as caught:
            parse_year(text, TODAY)
        assert "year" in caught.value.fields
        if message:
            assert message in caught.value.message
    assert parse_year("2026", TODAY) == 2026
    with pytest.raises(ValidationError) as caught:
        parse_scope("type:castle")
    assert "scope" in caught.value.fields
    for text in ("facility:RSV-00000-0", "facility:999999", "area:nowhere", "RSV-ZZZZZ-Z"):
        with pytest.raises(NotFound) as missing:
            parse_scope(text)
        assert "scope" in missing.value.fields
    code = year["reservoir"].code.code
    assert parse_scope(code.lower()).asset.id == year["reservoir"].id
    assert parse_scope(f"facility:{code}").key == f"facility:{year['reservoir'].id}"
    assert parse_scope("area:gushan").key == "area:gushan" and parse_scope("").key == "district"


def test_a_supervisor_sees_only_reports_of_their_areas(db, year):
    supervisor = year["users"]["supervisor"]
    supervisor.areas.append(year["towns"]["yuefeng"])
    db.session.commit()
    with pytest.raises(PermissionDenied):
        services.queue(supervisor, parse_scope(f"facility:{year['reservoir'].id}"), 2025, "zh")
    for text in ("district", "type:reservoir", "area:gushan"):
        with pytest.raises(PermissionDenied):
            services.queue(supervisor, parse_scope(text), 2025, "zh")
    mine = services.queue(supervisor, parse_scope(f"facility:{year['later'].id}"), 2025, "zh")
    theirs = services.queue(year["users"]["admin"], parse_scope("district"), 2025, "zh")
    db.session.commit()
    assert [row.id for row in services.archive(supervisor)] == [mine.id]
    assert {row.id for row in services.archive(year["users"]["admin"])} == {mine.id, theirs.id}
    with pytest.raises(PermissionDenied):
        services.visible_report(supervisor, theirs.id)


def test_queue_job_archive_and_versions(app, db, year):
    scope = parse_scope(f"facility:{year['reservoir'].id}")
    first = services.queue(year["users"]["supervisor"], scope, 2025, "zh")
    db.session.commit()
    assert first.status == "queued" and first.version == 1
    result = runner.run(JOBS["reports"], utcnow())
    assert (result.status, result.count) == ("ok", 1)
    db.session.expire_all()
    first = db.session.get(Report, first.id)
    assert first.status == "done" and first.pages >= 3 and first.cutoff_at is not None
    data = services.file_of(first).read_bytes()
    assert data.startswith(b"%PDF-") and hashlib.sha256(data).hexdigest() == first.sha256
    assert first.size_bytes == len(data) and first.generator_version.startswith("municipal")

    second = services.queue(year["users"]["admin"], scope, 2025, "zh")
    db.session.commit()
    assert second.version == 2
    services.process_queue()
    db.session.expire_all()
    second = db.session.get(Report, second.id)
    assert second.status == "done" and second.path != first.path
    assert services.file_of(first).read_bytes() == data  # the old version stays as it was


def test_a_report_that_cannot_be_made_is_marked_failed(db, year, monkeypatch):
    row = services.queue(year["users"]["admin"], Scope("district"), 2025, "zh")
    db.session.commit()

    def broken(*args):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(services, "read", broken)
    assert services.process_queue() == 0
    db.session.expire_all()
    row = db.session.get(Report, row.id)
    assert row.status == "failed" and "no fonts" in row.error and row.path is None


def test_the_job_commits_each_report_and_a_failure_on_its_own(db, year, monkeypatch):
    """Through the job, a report that cannot be made is committed as failed and does not stop the next; what
    each piece wrote is committed when it ends (another connection sees it), not at the end of the run."""
    first = services.queue(year["users"]["admin"], Scope("district"), 2025, "zh")
    second = services.queue(year["users"]["admin"], parse_scope(f"facility:{year['reservoir'].id}"), 2025, "zh")
    db.session.commit()
    real_read, seen = services.read, []

    def read_failing_the_district(actor, scope, *args):
        with db.engine.connect() as other:
            seen.append(dict(other.execute(sa.select(Report.id, Report.status)).all()))
        if scope.kind == "district":
            raise RuntimeError("no fonts")
        return real_read(actor, scope, *args)

    monkeypatch.setattr(services, "read", read_failing_the_district)
    result = runner.run(JOBS["reports"], utcnow())

    assert (result.status, result.count) == ("ok", 1)
    # The claim of each was committed before it was rendered, and the failure before the next began.
    assert seen == [{first.id: "running", second.id: "queued"}, {first.id: "failed", second.id: "running"}]
    with db.engine.connect() as other:
        stored = {row.id: row for row in other.execute(sa.select(Report.id, Report.status, Report.error, Report.path))}
    assert stored[first.id].status == "failed" and "no fonts" in stored[first.id].error
    assert stored[first.id].path is None and stored[second.id].status == "done"


def test_the_january_job_queues_last_years_reports_once(db, year):
    new_year = datetime(2026, 1, 1, 2, 0, tzinfo=timezone.utc)
    result = runner.run(JOBS["annual-reports"], new_year)
    assert (result.status, result.count) == ("ok", 3)
    scopes = sorted(row.scope for row in db.session.query(Report))
    assert scopes == sorted([f"facility:{year['reservoir'].id}", f"facility:{year['later'].id}", "district"])
    again = runner.run(JOBS["annual-reports"], datetime(2026, 1, 2, 2, 0, tzinfo=timezone.utc))
    assert (again.status, again.count) == ("ok", 0)
    assert runner.run(JOBS["annual-reports"], datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)).count == 0
    assert {row.year for row in db.session.query(Report)} == {2025}
    assert all(row.requested_by_id is None for row in db.session.query(Report))


def test_archived_files_live_under_the_media_folder(app, db, year):
    row = services.queue(year["users"]["admin"], Scope("type", asset_type="reservoir"), 2025, "en")
    db.session.commit()
    services.process_queue()
    db.session.expire_all()
    row = db.session.get(Report, row.id)
    assert Path(app.config["MEDIA_DIR"]) in services.file_of(row).parents and row.path.startswith("annual-reports/2025/")


def test_a_version_taken_meanwhile_gives_the_next(db, year, monkeypatch):
    scope = Scope("district")
    taken = Report(kind="annual", year=2025, scope="district", lang="zh", version=1, title="")
    db.session.add(taken)
    db.session.commit()
    reads = iter([None, 1])
    real_scalar = db.session.scalar

    def stale_then_fresh(statement, *args, **kwargs):
        if "max(report.version)" in str(statement):
            return next(reads)
        return real_scalar(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "scalar", stale_then_fresh)
    row = services.queue(year["users"]["admin"], scope, 2025, "zh")
    db.session.commit()
    assert row.version == 2


def _reservoir(db, users, name, attributes, appraised_on):
    asset = asset_services.create_asset(users["supervisor"], {
        "type": "reservoir", "name": name, "area": "gushan", "in_service_on": "1978-05-01",
        "attributes": {"capacity_m3": 500_000, "dam_height_m": 12, "dam_type": "土坝", **attributes},
        "geometry": {"type": "Point", "coordinates": [119.36, 26.16]}})
    db.session.add(FacilityHistory(asset_id=asset.id, kind="periodic_safety_appraisal", done_on=appraised_on,
                                   result="一类"))
    db.session.commit()
    return asset


def test_key_links_come_from_the_registry_and_the_next_appraisal_from_the_rules(db, year):
    users = year["users"]
    asset = _reservoir(db, users, "北峰水库", {"rain_level_reporting": "已落实", "dispatch_plan_approved": "2026-03-10"},
                       date(2024, 1, 31))
    ident = facility.facility_report(users["admin"], asset, 2025, utcnow())["identity"]
    assert ident["key_links"] == {"rain_level_reporting": "已落实", "dispatch_plan_approved": date(2026, 3, 10),
                                  "emergency_plan_approved": None}
    # 一类 on 2024-01-31: the periodic appraisal's window opens 6 years on, its deadline is 10 years on.
    assert ident["next_appraisal_due"] == date(2034, 1, 31)
    # The report's attributes are the registry's; the engine reads only its own and finds nothing amiss.
    calendar = calendar_materialise.facility_calendar(asset, date(2026, 1, 1), date(2026, 12, 31), TODAY)
    assert calendar["problems"] == {} and calendar["due"]

    late = _reservoir(db, users, "宦溪水库", {}, date(2010, 5, 1))
    ident = facility.facility_report(users["admin"], late, 2025, utcnow())["identity"]
    assert ident["next_appraisal_due"] == date(2020, 5, 1)  # overdue, and still the one to do
    assert set(ident["key_links"].values()) == {None}

    with pytest.raises(ValidationError) as error:
        asset_services.update_asset(users["supervisor"], asset, {"attributes": {
            "capacity_m3": 500_000, "dam_height_m": 12, "dam_type": "土坝", "rain_level_reporting": "yes"}},
            asset.version)
    assert "attributes.rain_level_reporting" in str(error.value.fields)


def test_the_report_shows_the_key_links_and_the_next_appraisal(app, db, year):
    asset = _reservoir(db, year["users"], "北峰水库", {"rain_level_reporting": "未落实",
                                                 "emergency_plan_approved": "2026-04-02"}, date(2024, 1, 31))
    report = queries.annual(year["users"]["admin"], Scope("facility", asset=asset), 2025, utcnow())
    html = render.render_html(report, "zh")
    assert "未落实" in html and "2026-04-02" in html and "2034-01-31" in html


def test_the_cost_of_work_is_summed_where_it_was_recorded(db, year):
    admin, reservoir = year["users"]["admin"], year["reservoir"]
    work = facility.facility_report(admin, reservoir, 2025, utcnow())["work"]
    assert (work["cost_yuan"], work["costed"]) == (None, 0)
    first, second, _third = work["orders"]
    first.cost_yuan, second.cost_yuan = Decimal("1200.50"), Decimal("300")
    db.session.commit()
    report = queries.annual(admin, Scope("facility", asset=reservoir), 2025, utcnow())
    work = report["facilities"][0]["work"]
    assert (work["cost_yuan"], work["costed"], work["count"]) == (Decimal("1500.50"), 2, 3)
    assert "1,500.50" in render.render_html(report, "zh")
    summary = district.district_report(admin, Scope("district"), 2025, utcnow())
    assert (summary["work"]["cost_yuan"], summary["work"]["costed"]) == (Decimal("1500.50"), 2)
    [reservoirs] = [line for line in summary["by_type"] if line["key"] == "reservoir"]
    assert reservoirs["work"]["cost_yuan"] == Decimal("1500.50")


def test_a_scheduler_down_all_january_still_queues_last_years_reports(db, year):
    assert runner.run(JOBS["annual-reports"], datetime(2025, 12, 31, 2, 0, tzinfo=timezone.utc)).count == 0
    back = datetime(2026, 2, 3, 2, 0, tzinfo=timezone.utc)
    moments = runner.due(JOBS["annual-reports"], back)
    assert len(moments) > 31  # every missed day, January's among them, then today
    assert sum(runner.run(JOBS["annual-reports"], at).count for at in moments) == 3
    assert {(row.year, row.lang) for row in db.session.query(Report)} == {(2025, "zh")}


def test_the_area_table_has_a_line_per_town_with_its_villages_rolled_up(db, year):
    from municipal.assets.models import Area

    yuefeng = db.session.query(Area).filter_by(code="yuefeng").one()
    village = Area(code="hengyu", name="横屿村", level="village", parent=yuefeng)
    db.session.add(village)
    db.session.flush()
    village.path = f"{yuefeng.path}{village.id}/"
    year["later"].area_id = village.id
    db.session.commit()
    summary = district.district_report(year["users"]["admin"], Scope("district"), 2025, utcnow())
    lines = {line["name"]: line for line in summary["by_area"]}
    assert set(lines) == {"鼓山镇", "岳峰镇"}
    assert lines["岳峰镇"]["counts"].total == 2 and lines["鼓山镇"]["counts"].total == 7
    assert lines["鼓山镇"]["work"]["count"] == 3 and lines["鼓山镇"]["findings"]["count"] == 3


def test_an_all_reservoirs_report_says_when_its_chapters_stop_and_names_its_scope(db, year, monkeypatch):
    monkeypatch.setattr(queries, "CHAPTER_LIMIT", 1)
    report = queries.annual(year["users"]["admin"], Scope("type", asset_type="reservoir"), 2025, utcnow())
    assert [entry["asset"].name for entry in report["facilities"]] == ["登云水库"] and report["chapters_total"] == 2
    html = render.render_html(report, "en")
    assert "the first 1 of 2 reservoirs" in html
    assert "Annual inspection report 2025: Reservoir (all)" in html
    monkeypatch.setattr(queries, "CHAPTER_LIMIT", 100)
    report = queries.annual(year["users"]["admin"], Scope("type", asset_type="reservoir"), 2025, utcnow())
    assert "reservoirs, by name" not in render.render_html(report, "en")


def test_an_obligation_standing_since_an_earlier_year_is_listed_as_overdue(db, year):
    from municipal.calendar.models import CalendarItem

    admin = year["users"]["admin"]
    cutoff = utcnow()
    before = district.district_report(admin, Scope("district"), 2025, cutoff)["overdue"]["item_count"]
    due = date(2023, 5, 20)
    db.session.add(CalendarItem(asset_id=year["reservoir"].id, key="TEST/appraisal/2023", rule="RES-APPRAISAL-PERIODIC",
                                kind="periodic_safety_appraisal", due_on=due,
                                due_at=datetime(2023, 5, 20, 10, tzinfo=timezone.utc), standing=True,
                                status="planned", why="test"))
    db.session.commit()
    overdue = district.district_report(admin, Scope("district"), 2025, cutoff)["overdue"]
    assert overdue["item_count"] == before + 1
    assert overdue["obligations"][0].due_on == due
