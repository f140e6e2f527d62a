"""A facility's calendar page, and recording history, plans and events from the web."""

import sqlalchemy as sa

from municipal.calendar.models import CalendarEvent, CalendarItem, FacilityHistory, Plan
from tests.conftest import csrf_in, csrf_token


def test_the_dam_s_calendar_says_what_is_due_by_which_rule_and_why(client, login, make_asset):
    dam = make_asset("reservoir", "登云水库", attributes={"capacity_m3": 3_500_000, "dam_height_m": 18,
                                                     "dam_type": "土坝", "first_impoundment_operation": "2016-02-29"})
    login("crew")
    page = client.get(f"/assets/{dam.id}/calendar").get_data(as_text=True)
    assert "RES-PATROL-ROUTINE" in page and "小(1)型" in page
    # Crew may look; recording is for supervisors.
    assert "calendar_facts" not in page and 'name="done_on"' not in page


def test_a_supervisor_records_a_third_class_appraisal_and_the_dam_turns_risky(client, login, make_asset, db):
    dam = make_asset("reservoir", "登云水库")
    login("supervisor")
    page = client.get(f"/assets/{dam.id}/calendar").get_data(as_text=True)
    token = csrf_in(page)
    answer = client.post(f"/assets/{dam.id}/history", data={"csrf_token": token, "kind": "periodic_safety_appraisal",
                                                           "done_on": "2026-05-20", "result": "三类"})
    assert answer.status_code == 303
    page = client.get(f"/assets/{dam.id}/calendar").get_data(as_text=True)
    assert 'class="flag"' in page and "三类" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FacilityHistory)) == 1
    bad = client.post(f"/assets/{dam.id}/history", data={"csrf_token": token, "kind": "periodic_safety_appraisal",
                                                        "done_on": "2025-02-29"}, follow_redirects=True)
    assert "done_on" in bad.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FacilityHistory)) == 1


def test_a_plan_is_added_and_stopped_from_the_page(client, login, make_asset, db):
    dam = make_asset("reservoir", "登云水库")
    login("supervisor")
    token = csrf_token(client, f"/assets/{dam.id}/calendar")
    client.post(f"/assets/{dam.id}/plans", data={"csrf_token": token, "title": "启闭机试运转", "every": "1",
                                                 "unit": "week", "weekdays": "3", "starts_on": "2026-01-01"})
    plan = db.session.scalar(sa.select(Plan))
    assert plan.title == "启闭机试运转" and plan.active
    assert "<h3>启闭机试运转</h3>" in client.get(f"/assets/{dam.id}/calendar").get_data(as_text=True)
    client.post(f"/plans/{plan.id}/stop", data={"csrf_token": token})
    db.session.expire_all()
    assert not db.session.get(Plan, plan.id).active
    bad = client.post(f"/assets/{dam.id}/plans", data={"csrf_token": token, "title": "x", "every": "0",
                                                       "unit": "week", "starts_on": "2026-01-01"},
                      follow_redirects=True)
    assert "every" in bad.get_data(as_text=True)


def test_a_duty_officer_records_a_rainstorm_and_the_patrols_are_made_at_once(client, login, make_asset, area, db):
    dam = make_asset("reservoir", "登云水库")
    login("supervisor")
    token = csrf_token(client, "/calendar/events")
    answer = client.post("/calendar/events", data={"csrf_token": token, "kind": "rainstorm", "area": area.code,
                                                   "start": "2026-11-26", "rain_24h_mm": "118.5"})
    assert answer.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarEvent)) == 1
    kinds = set(db.session.scalars(sa.select(CalendarItem.kind).where(CalendarItem.asset_id == dam.id)))
    assert "special_patrol" in kinds
    refused = client.post("/calendar/events", data={"csrf_token": token, "kind": "rainstorm", "area": area.code,
                                                    "start": "2026-11-26", "rain_24h_mm": "-1"})
    assert "rain_24h_mm" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarEvent)) == 1


def test_events_and_history_through_the_api_and_the_command_line(app, client, db, users, make_asset, area):
    from municipal.auth.tokens import create_token

    dam = make_asset("reservoir", "登云水库")
    _token, plain = create_token(users["supervisor"], "duty")
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    answer = client.post("/api/v1/calendar/events", json={"kind": "felt_earthquake", "start": "2026-11-26",
                                                          "area": area.code}, headers=headers)
    assert answer.status_code == 201 and answer.get_json()["work_orders"] >= 1
    bad = client.post("/api/v1/calendar/events", json={"kind": "rainstorm", "start": "2026-11-26", "area": area.code,
                                                       "rain_24h_mm": "lots"}, headers=headers)
    assert bad.status_code == 422 and "rain_24h_mm" in bad.get_json()["error"]["fields"]
    history = client.post(f"/api/v1/assets/{dam.id}/history", json={"kind": "periodic_safety_appraisal",
                                                                     "done_on": "2026-05-20", "result": "三类"},
                          headers=headers)
    assert history.status_code == 201
    view = client.get(f"/api/v1/assets/{dam.id}/calendar?days=90", headers=headers).get_json()
    assert "risky" in view["flags"] and view["derived"]["scale_class"] == "小(1)型"

    runner = app.test_cli_runner()
    result = runner.invoke(args=["calendar", "event", "rainstorm", "--area", area.code, "--start", "2026-11-27",
                                 "--rain-24h-mm", "88", "--as", "supervisor"])
    assert result.exit_code == 0, result.output
    refused = runner.invoke(args=["calendar", "event", "rainstorm", "--area", area.code, "--start", "2026-02-30",
                                  "--rain-24h-mm", "88", "--as", "supervisor"])
    assert refused.exit_code == 2 and "start" in refused.output
