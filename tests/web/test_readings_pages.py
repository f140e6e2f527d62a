"""The daily 水位雨量报送 form's two numbers becoming readings (from the page and as the phone's outbox sends
them), and the facility page's water section."""
import re
import uuid
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from municipal.calendar.models import CalendarEvent, CalendarItem
from municipal.readings.models import Reading
from municipal.workorders import services as work
from tests.conftest import TEST_NOW, csrf_in, token_headers
from tests.web.test_readings_api import RESERVOIR


@pytest.fixture
def reservoir(make_asset):
    return make_asset("reservoir", "登云水库", attributes=RESERVOIR)


@pytest.fixture
def report(db, users, reservoir):
    """Today's 水位雨量报送 of the reservoir, as the calendar makes it, assigned to the crew."""
    order = work.create_work_order(users["supervisor"], asset_id=reservoir.id, kind="inspection", title="水位雨量报送",
                                   assignee_user_id=users["crew"].id)
    db.session.add(CalendarItem(asset_id=reservoir.id, key="RES-REPORT|manual_level_rain_report|2026-11-26",
                                rule="RES-REPORT", kind="manual_level_rain_report", due_on=date(2026, 11, 26),
                                due_at=TEST_NOW, status="planned", work_order_id=order.id))
    db.session.commit()
    return order


def readings(db):
    return db.session.execute(sa.select(Reading.kind, Reading.value, Reading.period_minutes, Reading.source,
                                        Reading.work_order_id).order_by(Reading.kind)).all()


def test_the_daily_report_asks_for_the_level_and_the_rain_and_keeps_them_as_readings(client, login, db, report):
    login("crew")
    page = client.get(f"/work/{report.id}/record").get_data(as_text=True)
    assert 'name="reading.water_level"' in page and 'name="reading.rain_24h"' in page
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    data = {"csrf_token": csrf_in(page), "idempotency_key": key, "reading.water_level": "112.80",
            "reading.rain_24h": "62.5"}
    response = client.post(f"/work/{report.id}/record", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    assert readings(db) == [("rainfall", 62.5, 1440, "manual", report.id), ("water_level", 112.8, None, "manual", report.id)]
    assert sorted(db.session.scalars(sa.select(CalendarEvent.kind))) == ["high_water", "rainstorm"]


def test_a_bad_or_missing_number_keeps_the_form_and_stores_nothing(client, login, db, report):
    login("crew")
    page = client.get(f"/work/{report.id}/record").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    data = {"csrf_token": csrf_in(page), "idempotency_key": key, "reading.water_level": "130", "reading.rain_24h": ""}
    response = client.post(f"/work/{report.id}/record", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.count('role="alert"') >= 2 and 'value="130"' in body
    assert readings(db) == []


def test_the_outbox_sends_the_numbers_with_the_record(client, db, users, report):
    # As static/js/outbox.js sends a queued record: the form's fields, multipart, with its Idempotency-Key.
    headers = {**token_headers(db, users["crew"]), "Idempotency-Key": str(uuid.uuid4())}
    fields = {"reading.water_level": "109.4", "reading.rain_24h": "0"}
    first = client.post(f"/api/v1/work-orders/{report.id}/inspections", data=fields, headers=headers,
                        content_type="multipart/form-data")
    assert first.status_code == 201, first.get_json()
    again = client.post(f"/api/v1/work-orders/{report.id}/inspections", data=fields, headers=headers,
                        content_type="multipart/form-data")
    assert again.status_code == 200
    assert readings(db) == [("rainfall", 0.0, 1440, "manual", report.id), ("water_level", 109.4, None, "manual", report.id)]


def test_other_work_has_no_reading_fields(client, login, db, users, reservoir):
    order = work.create_work_order(users["supervisor"], asset_id=reservoir.id, kind="inspection", title="日常巡查",
                                   assignee_user_id=users["crew"].id)
    db.session.commit()
    login("crew")
    assert "reading.water_level" not in client.get(f"/work/{order.id}/record").get_data(as_text=True)


def test_the_facility_page_has_the_water_chart_for_reservoirs_only(client, login, db, users, reservoir, make_asset):
    from municipal.readings import services

    services.add(users["crew"], reservoir, [{"kind": "water_level", "value": 110.25, "observed_at": "2026-11-26T08:00"}],
                 "manual")
    db.session.commit()
    login("viewer")
    page = client.get(f"/A/{reservoir.code.code}").get_data(as_text=True)
    assert 'id="readings-chart"' in page and "110.25" in page
    assert "vendor/uplot/uPlot.iife.min.js" in page and "js/readings-chart.js" in page
    assert "112.5" in page  # the flood limit line, in the chart's data
    manhole = make_asset("manhole")
    assert 'id="readings-chart"' not in client.get(f"/A/{manhole.code.code}").get_data(as_text=True)
