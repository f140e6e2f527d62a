"""Events from readings (§4.1.6): high water, a rainstorm, a rapid change of level; recorded once a day,
with the readings behind them, listed, audited, and withdrawn by a supervisor with the work they made."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from municipal.audit.models import AuditEntry
from municipal.calendar.models import CalendarEvent, CalendarItem
from municipal.readings.models import Reading
from municipal.workorders.models import WorkOrder
from tests.conftest import TEST_NOW, csrf_in, token_headers
from tests.web.test_readings_api import RESERVOIR, at, post


@pytest.fixture
def reservoir(make_asset):
    return make_asset("reservoir", "登云水库", attributes=RESERVOIR)


@pytest.fixture
def crew(client, db, users):
    client.environ_base["HTTP_AUTHORIZATION"] = token_headers(db, users["crew"])["Authorization"]


def events(db, kind=None):
    query = sa.select(CalendarEvent).order_by(CalendarEvent.id)
    if kind:
        query = query.where(CalendarEvent.kind == kind)
    return db.session.scalars(query).all()


def rain(hours_ago_and_mm):
    return [{"kind": "rainfall", "value": mm, "observed_at": at(h), "period_minutes": 60} for h, mm in hours_ago_and_mm]


def test_a_level_at_the_flood_limit_records_high_water_once_a_day_and_the_doubled_patrols_appear(client, db, reservoir, crew):
    assert post(client, reservoir.id, [{"kind": "water_level", "value": 112.4, "observed_at": at(3)}]).status_code == 201
    assert events(db) == []
    assert post(client, reservoir.id, [{"kind": "water_level", "value": 112.5, "observed_at": at(2)},
                                       {"kind": "water_level", "value": 112.7, "observed_at": at(1)}]).status_code == 201
    post(client, reservoir.id, [{"kind": "water_level", "value": 112.8, "observed_at": at(0.5)}])
    [event] = events(db)
    assert (event.kind, event.source, event.asset_id, event.start_on.isoformat()) == (
        "high_water", "reading", reservoir.id, "2026-11-26")
    assert event.measurements == {"level_m": 112.7}
    behind = db.session.scalars(sa.select(Reading.value).where(Reading.id.in_(event.basis))).all()
    assert sorted(behind) == [112.5, 112.7]
    # high water switches the routine patrols to twice a day on its day
    patrols = db.session.scalars(sa.select(CalendarItem).where(CalendarItem.asset_id == reservoir.id,
                                                               CalendarItem.due_on == event.start_on)).all()
    assert len([p for p in patrols if "patrol" in p.kind]) >= 2
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity_type == "calendar_event",
                                                         AuditEntry.entity_id == str(event.id)))


def test_fifty_millimetres_within_24_hours_is_a_rainstorm_and_45_is_not(client, db, reservoir, crew):
    assert post(client, reservoir.id, rain([(30, 20.0), (20, 15.0), (10, 10.0)])).status_code == 201
    assert events(db) == []  # 45 mm, of which 35 within any 24 hours
    assert post(client, reservoir.id, rain([(5, 20.0)])).status_code == 201
    assert events(db) == []  # 15 + 10 + 20 = 45 mm within 24 hours: heavy rain, not a rainstorm
    assert post(client, reservoir.id, rain([(1, 5.0)])).status_code == 201
    [event] = events(db)
    assert (event.kind, event.source, event.measurements) == ("rainstorm", "reading", {"rain_24h_mm": 50.0})
    assert len(event.basis) == 4
    kinds = set(db.session.scalars(sa.select(CalendarItem.kind).where(CalendarItem.asset_id == reservoir.id)))
    assert "special_patrol" in kinds


def test_a_backfilled_reading_makes_the_rainstorm_of_the_windows_after_it(client, db, reservoir, crew):
    assert post(client, reservoir.id, rain([(3, 30.0)])).status_code == 201
    assert post(client, reservoir.id, rain([(10, 25.0)])).status_code == 201  # sent late, by an hour's earlier gauge
    [event] = events(db, "rainstorm")
    assert event.measurements["rain_24h_mm"] == 55.0


@pytest.mark.parametrize("change, recorded", [(1.0, False), (1.2, True), (-1.3, True)])
def test_a_level_change_of_more_than_a_metre_in_24_hours_is_rapid(client, db, reservoir, crew, change, recorded):
    assert post(client, reservoir.id, [{"kind": "water_level", "value": 108.0, "observed_at": at(20)},
                                       {"kind": "water_level", "value": 108.0 + change, "observed_at": at(1)}]).status_code == 201
    found = events(db, "rapid_level_change")
    assert bool(found) is recorded
    if recorded:
        assert found[0].measurements == {"level_change_24h_m": change}


def test_the_rapid_change_is_a_policy_value(app, client, db, reservoir, crew):
    app.config["READINGS_RAPID_CHANGE_M"] = 0.5
    try:
        post(client, reservoir.id, [{"kind": "water_level", "value": 108.0, "observed_at": at(20)},
                                    {"kind": "water_level", "value": 108.6, "observed_at": at(1)}])
    finally:
        app.config["READINGS_RAPID_CHANGE_M"] = 1.0
    assert [e.kind for e in events(db)] == ["rapid_level_change"]


def test_events_of_a_facility_are_listed_with_their_source(client, db, reservoir, crew, make_asset):
    post(client, reservoir.id, rain([(2, 60.0)]))
    other = make_asset("reservoir", "另一水库", attributes=RESERVOIR)
    post(client, other.id, rain([(2, 70.0)]))
    listed = client.get(f"/api/v1/calendar/events?asset_id={reservoir.id}").get_json()
    assert [(e["kind"], e["source"], e["asset_id"], e["withdrawn_at"]) for e in listed] == [
        ("rainstorm", "reading", reservoir.id, None)]
    assert listed[0]["readings"] == events(db)[0].basis
    assert client.get("/api/v1/calendar/events?asset_id=999999").status_code == 404


def test_a_supervisor_withdraws_a_wrong_event_and_its_unstarted_work_goes(client, db, users, reservoir, crew):
    post(client, reservoir.id, rain([(2, 80.0)]))
    [event] = events(db)
    special = db.session.scalars(sa.select(CalendarItem).where(CalendarItem.asset_id == reservoir.id,
                                                               CalendarItem.kind == "special_patrol")).all()
    orders = [item.work_order_id for item in special if item.work_order_id]
    assert orders
    refused = client.post(f"/api/v1/calendar/events/{event.id}/withdraw")
    assert refused.status_code == 403  # the crew may not
    supervisor = token_headers(db, users["supervisor"])
    answer = client.post(f"/api/v1/calendar/events/{event.id}/withdraw", headers=supervisor)
    assert answer.status_code == 200 and answer.get_json()["withdrawn_at"]
    db.session.expire_all()
    statuses = db.session.scalars(sa.select(WorkOrder.status).where(WorkOrder.id.in_(orders))).all()
    assert set(statuses) == {"cancelled"}
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity_type == "calendar_event",
                                                         AuditEntry.action == "withdraw"))
    # the same readings, sent again or joined by more rain that day, do not bring it back
    post(client, reservoir.id, rain([(1, 10.0)]))
    assert len(events(db)) == 1
    assert client.post("/api/v1/calendar/events/999999/withdraw", headers=supervisor).status_code == 404


def test_a_supervisor_withdraws_an_event_from_readings_on_the_facility_calendar(app, client, db, users, login, reservoir):
    gauge = app.test_client()
    gauge.environ_base["HTTP_AUTHORIZATION"] = token_headers(db, users["crew"])["Authorization"]
    post(gauge, reservoir.id, rain([(2, 80.0)]))
    [event] = events(db)
    orders = [item.work_order_id for item in db.session.scalars(sa.select(CalendarItem).where(
        CalendarItem.asset_id == reservoir.id, CalendarItem.kind == "special_patrol")) if item.work_order_id]
    assert orders
    login("crew")  # the crew sees the event and where it came from, but no button
    page = client.get(f"/assets/{reservoir.id}/calendar").get_data(as_text=True)
    assert "由测报读数生成" in page and f"/calendar/events/{event.id}/withdraw" not in page
    assert client.post(f"/calendar/events/{event.id}/withdraw", data={"csrf_token": csrf_in(page)}).status_code == 403
    login("supervisor")
    page = client.get(f"/assets/{reservoir.id}/calendar").get_data(as_text=True)
    action = f"/calendar/events/{event.id}/withdraw"
    assert action in page and "data-confirm=" in page and "撤回" in page
    # without the form's CSRF token nothing is withdrawn
    assert client.post(action).status_code == 400
    db.session.expire_all()
    assert db.session.get(CalendarEvent, event.id).withdrawn_at is None
    answer = client.post(action, data={"csrf_token": csrf_in(page)})
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/assets/{reservoir.id}/calendar")
    db.session.expire_all()
    assert db.session.get(CalendarEvent, event.id).withdrawn_at is not None
    assert set(db.session.scalars(sa.select(WorkOrder.status).where(WorkOrder.id.in_(orders)))) == {"cancelled"}
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity_type == "calendar_event",
                                                         AuditEntry.action == "withdraw"))
    after = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "事件已撤回" in after and "已于 2026-11-26" in after and action not in after
