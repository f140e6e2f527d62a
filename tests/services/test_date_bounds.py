"""Every date the platform takes lies in one sane range, and one facility's odd date never stops the calendar."""
import logging
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from municipal.assets import services as assets
from municipal.calendar import history, materialise
from municipal.calendar.models import CalendarItem
from municipal.errors import ValidationError
from municipal.workorders import services as work
from municipal.workorders.models import WorkOrder


def test_registry_dates_far_off_are_refused_naming_the_field(users, make_asset):
    dam = make_asset("reservoir", "登云水库")
    with pytest.raises(ValidationError) as refused:
        assets.update_asset(users["supervisor"], dam, {"in_service_on": "9999-12-31",
                                                          "attributes": {"first_impoundment_operation": "1066-10-14"}},
                            version=dam.version)
    assert set(refused.value.fields) == {"in_service_on", "attributes.first_impoundment_operation"}


def test_a_facility_with_a_date_stored_out_of_range_is_skipped_and_logged_the_others_get_their_work(
        db, make_asset, caplog):
    broken = make_asset("reservoir", "坏水库")
    dam = make_asset("reservoir", "登云水库")
    # As stored before dates were bounded.
    broken.attributes = {**broken.attributes, "first_impoundment_operation": "9999-12-31"}
    db.session.commit()
    with caplog.at_level(logging.WARNING, logger="municipal.calendar.materialise"):
        counts = materialise.materialise(datetime(2026, 6, 10, tzinfo=timezone.utc))
    db.session.commit()
    assert counts["skipped"] == 1 and counts["work_orders"] > 0
    assert broken.code.code in caplog.text
    made = set(db.session.scalars(sa.select(CalendarItem.asset_id).distinct()))
    assert made == {dam.id}


def test_history_must_lie_in_the_past_and_events_within_ten_years(users, make_asset, area):
    dam = make_asset("reservoir", "登云水库")
    with pytest.raises(ValidationError) as refused:
        history.record_history(users["supervisor"], dam.id, kind="periodic_safety_appraisal", done_on="2026-12-01",
                                result="三类")
    assert "done_on" in refused.value.fields
    with pytest.raises(ValidationError) as refused:
        history.record_event(users["supervisor"], kind="rainstorm", start="2026-11-26", end="9999-12-31",
                              area=area.code, rain_24h_mm=90)
    assert set(refused.value.fields) == {"end"}


def test_a_due_date_beyond_ten_years_is_refused(db, users, make_asset):
    dam = make_asset("reservoir", "登云水库")
    with pytest.raises(ValidationError) as refused:
        work.create_work_order(users["supervisor"], asset_id=dam.id, kind="repair", title="修闸门",
                               due_at=datetime(9999, 12, 31, 10, tzinfo=timezone.utc))
    assert "due_at" in refused.value.fields
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkOrder)) == 0


def test_the_calendar_page_of_a_facility_with_a_date_stored_out_of_range_says_so(db, client, login, make_asset):
    broken = make_asset("reservoir", "坏水库")
    broken.attributes = {**broken.attributes, "first_impoundment_operation": "9999-12-31"}
    db.session.commit()
    login("supervisor")
    page = client.get(f"/assets/{broken.id}/calendar?lang=en")
    assert page.status_code == 200
    assert "outside the range" in page.get_data(as_text=True)
    assert client.get(f"/api/v1/assets/{broken.id}/calendar").status_code == 200


def test_a_calendar_period_far_off_is_refused_naming_the_field(client, login):
    login("supervisor")
    response = client.get("/api/v1/calendar/items?from=9999-12-01&to=9999-12-31")
    assert response.status_code == 422 and "from" in response.get_json()["error"]["fields"]


def test_an_import_with_a_date_far_off_is_refused_with_its_row_and_column(db, users, area):
    from io import BytesIO

    from municipal.assets.models import Asset
    from municipal.assets.transfer import importing

    text = ("type,name,area,lon,lat,in_service_on\n"
            f"manhole,井一,{area.code},119.31,26.09,2001-05-01\n"
            f"manhole,井二,{area.code},119.31,26.09,9999-12-31\n")
    with pytest.raises(importing.ImportRejected) as refused:
        importing.import_csv(users["admin"], BytesIO(text.encode()))
    assert [(p.row, p.column) for p in refused.value.problems] == [(3, "in_service_on")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Asset)) == 0


def test_moments_at_the_edge_of_the_calendar_are_422_not_500(client, db, users, make_asset, area):
    from municipal.auth.tokens import create_token

    dam = make_asset("reservoir", "登云水库")
    _token, plain = create_token(users["supervisor"], "duty")
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    event = client.post("/api/v1/calendar/events", json={"kind": "felt_earthquake", "area": area.code,
                                                         "start": "9999-12-31T23:00:00-10:00"}, headers=headers)
    assert event.status_code == 422, event.get_json()
    order = client.post("/api/v1/work-orders", json={"asset": dam.id, "kind": "repair", "title": "修闸门",
                                                     "due_at": "9999-12-31T23:00:00-10:00"}, headers=headers)
    assert order.status_code == 422 and "due_at" in order.get_json()["error"]["fields"], order.get_json()
