"""Readings from a spreadsheet (all or nothing, rows named), and a reservoir's year in water in the annual
report, drawn from the same rollups as the facility page's chart."""
from datetime import date, timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from municipal.calendar.models import CalendarEvent
from municipal.db import utcnow
from municipal.calendar import history
from municipal.readings import annual, services
from municipal.readings.models import Reading, ReadingRollup
from municipal.reports import queries, render
from municipal.reports.scope import Scope
from tests.conftest import TEST_NOW
from tests.web.test_readings_api import RESERVOIR


@pytest.fixture
def reservoir(make_asset):
    return make_asset("reservoir", "登云水库", attributes=RESERVOIR)


def count(db, model=Reading):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_chinese_spreadsheet_is_imported_with_its_events(app, db, reservoir, tmp_path):
    code = reservoir.code.code
    lines = ["编码,类型,观测时间,数值,时段"]
    lines += [f"{code},水位,2026-11-2{d} 08:00,{110 + d / 2},"
              for d in range(0, 6)]
    lines += [f"{code.lower()},雨量,2026-11-25 {h:02d}:00,{6.5},60" for h in range(0, 10)]
    path = tmp_path / "readings.csv"
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["readings", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "16" in result.output
    assert count(db) == 16
    assert set(db.session.scalars(sa.select(Reading.source))) == {"import"}
    # 10 × 6.5 mm = 65 mm on the 25th; levels from 110 to 112.5 reach the flood limit on the 25th
    assert sorted(db.session.scalars(sa.select(CalendarEvent.kind))) == ["high_water", "rainstorm"]
    again = app.test_cli_runner().invoke(args=["readings", "import", str(path)])
    assert again.exit_code == 0 and count(db) == 16  # the same file twice stores it once


def test_a_file_with_bad_rows_stores_nothing_and_names_each_row(app, db, reservoir, make_asset, tmp_path):
    code = reservoir.code.code
    manhole = make_asset("manhole").code.code
    future = (TEST_NOW + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    path = tmp_path / "readings.csv"
    path.write_text("\n".join([
        "code,kind,observed_at,value,period_minutes",
        f"{code},water_level,2026-11-20T08:00,108.5,",
        f"{code},rainfall,2026-11-20T08:00,-3,60",
        f"{code},water_level,{future},108.5,",
        f"{code},snow,2026-11-20T08:00,1,",
        f"{code},water_level,2026-11-21T08:00,abc,",
        f"{manhole},water_level,2026-11-21T08:00,1,",
        f"RSV-XXXXX-X,water_level,2026-11-21T08:00,1,",
        f"{code},water_level,2026-11-22T08:00,120,",
    ]) + "\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["readings", "import", str(path)])
    assert result.exit_code == 2
    for row, column in ((3, "value"), (4, "observed_at"), (5, "kind"), (6, "value"), (7, "code"), (8, "code"),
                        (9, "value")):
        assert f"Row {row}, {column}" in result.output or f"第 {row} 行" in result.output, result.output
    assert count(db) == 0 and count(db, ReadingRollup) == 0


def test_a_row_that_contradicts_a_stored_reading_is_refused(app, db, users, reservoir, tmp_path):
    services.add(users["crew"], reservoir, [{"kind": "water_level", "value": 108.5, "observed_at": "2026-11-20T08:00"}],
                 "manual")
    db.session.commit()
    path = tmp_path / "readings.csv"
    path.write_text(f"code,kind,observed_at,value\n{reservoir.code.code},water_level,2026-11-20T08:00+08:00,108.6\n",
                    encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["readings", "import", str(path)])
    assert result.exit_code == 2 and "Row 2" in result.output or "第 2 行" in result.output
    assert count(db) == 1


def test_missing_columns_are_named(app, db, tmp_path):
    path = tmp_path / "readings.csv"
    path.write_text("code,when,value\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["readings", "import", str(path)])
    assert result.exit_code == 2 and "kind" in result.output and "observed_at" in result.output


def _a_wet_november(db, users, reservoir):
    readings = [{"kind": "water_level", "value": 111.0 + d * 0.2, "observed_at": f"2026-11-{d:02d}T08:00"}
                for d in range(1, 16)]
    readings += [{"kind": "rainfall", "value": mm, "observed_at": f"2026-11-10T{h:02d}:00", "period_minutes": 60}
                 for h, mm in ((9, 12.0), (10, 20.0), (11, 8.5))]
    services.add(users["crew"], reservoir, readings, "manual")
    db.session.commit()


def test_the_year_in_water_counts_the_days_above_the_limit_and_the_largest_rain(db, users, reservoir):
    _a_wet_november(db, users, reservoir)
    water = annual.year_in_water(reservoir, 2026)
    assert water["highest"] == pytest.approx(114.0)
    assert water["highest_on"].isoformat() == "2026-11-15"
    assert water["days_above"] == 8  # 112.6 on the 8th … 114.0 on the 15th
    assert water["rain_24h"] == 40.5 and water["rain_total"] == 40.5
    assert water["chart"].startswith("<svg") and "polyline" in water["chart"] and "<rect" in water["chart"]
    assert annual.year_in_water(reservoir, 2025) is None


def test_the_annual_report_shows_the_year_in_water_in_its_pdf(db, users, reservoir):
    _a_wet_november(db, users, reservoir)
    report = queries.annual(users["admin"], Scope("facility", asset=reservoir), 2026, utcnow())
    html = render.render_html(report, "zh")
    assert "<svg" in html and "114.00" in html
    data, _pages = render.render_pdf(report, "zh")
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)
    assert "114.00 m" in text and "40.5 mm" in text


def test_the_annual_report_leaves_out_a_withdrawn_event(db, users, reservoir):
    reservoir.in_service_on = date(2020, 1, 1)  # registered today, in service for years: the year counts
    _a_wet_november(db, users, reservoir)
    found = db.session.scalars(sa.select(CalendarEvent).where(CalendarEvent.kind == "high_water")
                               .order_by(CalendarEvent.start_on)).all()
    assert [e.start_on.day for e in found] == list(range(8, 16))
    wrong = found[1]  # the 9th: say its gauge read high
    history.withdraw_event(users["supervisor"], wrong.id)
    db.session.commit()
    report = queries.annual(users["admin"], Scope("facility", asset=reservoir), 2026, utcnow())
    [entry] = report["facilities"]
    assert [e["event"].start_on.day for e in entry["events"] if e["event"].kind == "high_water"] == [8, *range(10, 16)]
    html = render.render_html(report, "zh")
    data, _pages = render.render_pdf(report, "zh")
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)
    for document in (html, text):
        assert "2026-11-08" in document and "2026-11-10" in document and "2026-11-09" not in document
