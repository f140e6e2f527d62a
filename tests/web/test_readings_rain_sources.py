"""One rain measured twice, by the patrol person's 24 h reading in the daily report and by the telemetry
gauge hour by hour, counts once toward the 50 mm rainstorm: the gauge's where it measured, the person's
where no gauge did (rules.rain_counted)."""
import re

import pytest
import sqlalchemy as sa

from municipal.calendar.models import CalendarEvent
from municipal.readings import annual
from municipal.readings.models import Reading
from tests.conftest import csrf_in
from tests.web.test_readings_api import at, device, post
from tests.web.test_readings_pages import report, reservoir  # noqa: F401  (fixtures)


def gauge_hours(app, db, users, asset, mm_each, hours):
    """The gauge's hourly totals over the last `hours` hours, before the person's 08:00 reading; sent by
    the gauge itself, not through the crew member's signed-in browser."""
    readings = [{"kind": "rainfall", "value": mm_each, "observed_at": at(h + 0.5), "period_minutes": 60}
                for h in range(hours)]
    assert post(app.test_client(), asset.id, readings, device(db, users, asset)).status_code == 201


def daily_report(client, login, order, rain_mm):
    login("crew")
    page = client.get(f"/work/{order.id}/record").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    answer = client.post(f"/work/{order.id}/record", content_type="multipart/form-data", data={
        "csrf_token": csrf_in(page), "idempotency_key": key, "reading.water_level": "109.0",
        "reading.rain_24h": str(rain_mm)})
    assert answer.status_code == 303, answer.get_data(as_text=True)


def rainstorms(db):
    return db.session.execute(sa.select(CalendarEvent.measurements).where(CalendarEvent.kind == "rainstorm")).scalars().all()


@pytest.mark.parametrize("gauge_first", [True, False])
def test_30_mm_typed_and_the_same_30_mm_from_the_gauge_are_no_rainstorm(app, client, db, users, login, reservoir, report,
                                                                        gauge_first):
    if gauge_first:
        gauge_hours(app, db, users, reservoir, 5.0, 6)
        daily_report(client, login, report, 30)
    else:
        daily_report(client, login, report, 30)
        gauge_hours(app, db, users, reservoir, 5.0, 6)
    sources = db.session.execute(sa.select(Reading.source, sa.func.sum(Reading.value))
                                 .where(Reading.kind == "rainfall").group_by(Reading.source)).all()
    assert sorted(sources) == [("device", 30.0), ("manual", 30.0)]  # both kept, counted once
    assert rainstorms(db) == []
    # the chart's bars, raw and by the day, and the annual report's rain add it once too
    raw = client.get(f"/api/v1/assets/{reservoir.id}/readings", query_string={"kind": "rainfall"}).json
    assert sum(raw["sums"]) == 30.0 and len(raw["sums"]) == 6
    daily = client.get(f"/api/v1/assets/{reservoir.id}/readings",
                       query_string={"kind": "rainfall", "from": "2026-11-26", "every": "1d"}).json
    assert daily["sums"] == [30.0]
    water = annual.year_in_water(reservoir, 2026)
    assert (water["rain_24h"], water["rain_total"]) == (30.0, 30.0)


def test_55_mm_typed_without_a_gauge_is_a_rainstorm(client, db, login, report):
    daily_report(client, login, report, 55)
    assert rainstorms(db) == [{"rain_24h_mm": 55.0}]
    assert annual.year_in_water(report.asset, 2026)["rain_24h"] == 55.0


def test_55_mm_from_the_gauge_alone_is_a_rainstorm(app, db, users, reservoir):
    gauge_hours(app, db, users, reservoir, 5.0, 11)
    assert rainstorms(db) == [{"rain_24h_mm": 55.0}]
