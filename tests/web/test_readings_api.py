"""Readings over the API: a batch all or nothing, repeats, conflicts, device tokens, the chart's series."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from municipal.auth.tokens import create_token
from municipal.calendar.models import CalendarEvent
from municipal.readings.models import Reading, ReadingRollup
from tests.conftest import TEST_NOW, token_headers

RESERVOIR = {"capacity_m3": 3_500_000, "dam_height_m": 18, "dam_type": "土坝", "flood_limit_level_m": 112.5,
             "normal_level_m": 113.0, "dam_crest_level_m": 116.0, "bed_level_m": 98.0}


@pytest.fixture
def as_role(db, users, client):
    """as_role("crew"): the test client's requests carry a token of that role's user from then on."""
    def _as(role):
        client.environ_base["HTTP_AUTHORIZATION"] = token_headers(db, users[role])["Authorization"]
    return _as


@pytest.fixture
def reservoir(make_asset):
    return make_asset("reservoir", "登云水库", attributes=RESERVOIR)


def at(hours_ago: float) -> str:
    return (TEST_NOW - timedelta(hours=hours_ago)).isoformat()


def post(client, asset_id, readings, headers=None):
    return client.post(f"/api/v1/assets/{asset_id}/readings", json={"readings": readings}, headers=headers or {})


def device(db, users, *facilities):
    _, plain = create_token(users["crew"], "gauge", scopes=["readings:write"], facilities=[f.id for f in facilities])
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def stored(db, asset_id):
    return db.session.scalar(sa.select(sa.func.count()).select_from(Reading).where(Reading.asset_id == asset_id))


def test_a_gauge_posts_a_batch_and_sends_it_again(client, db, users, reservoir):
    headers = device(db, users, reservoir)
    batch = [{"kind": "water_level", "value": 108.0 + i / 100, "observed_at": at(1 - i / 12)} for i in range(12)]
    response = post(client, reservoir.id, batch, headers)
    assert response.status_code == 201, response.json
    assert response.json == {"accepted": 12, "stored": 12}
    again = post(client, reservoir.id, batch, headers)
    assert again.status_code == 201 and again.json == {"accepted": 12, "stored": 0}
    assert stored(db, reservoir.id) == 12
    assert db.session.scalar(sa.select(Reading.source).limit(1)) == "device"


def test_the_same_moment_with_another_value_is_a_conflict(client, db, users, reservoir, as_role):
    as_role("crew")
    assert post(client, reservoir.id, [{"kind": "water_level", "value": 108.2, "observed_at": at(2)}]).status_code == 201
    response = post(client, reservoir.id, [{"kind": "water_level", "value": 108.0, "observed_at": at(3)},
                                           {"kind": "water_level", "value": 108.3, "observed_at": at(2)}])
    assert response.status_code == 409
    assert "readings.1.value" in response.json["error"]["fields"]
    assert stored(db, reservoir.id) == 1  # nothing of the batch


@pytest.mark.parametrize("reading, field", [
    ({"kind": "rainfall", "value": -1, "observed_at": at(1)}, "value"),
    ({"kind": "rainfall", "value": 301, "observed_at": at(1), "period_minutes": 60}, "value"),
    ({"kind": "rainfall", "value": 40, "observed_at": at(1), "period_minutes": 5}, None),
    ({"kind": "water_level", "value": 96.5, "observed_at": at(1)}, "value"),  # bed 98 − 1 m
    ({"kind": "water_level", "value": 118.5, "observed_at": at(1)}, "value"),  # crest 116 + 2 m
    ({"kind": "water_level", "value": 108, "observed_at": (TEST_NOW + timedelta(minutes=6)).isoformat()}, "observed_at"),
    ({"kind": "snow", "value": 1, "observed_at": at(1)}, "kind"),
    ({"kind": "water_level", "value": "high", "observed_at": at(1)}, "value"),
    ({"kind": "water_level", "value": True, "observed_at": at(1)}, "value"),
    ({"kind": "water_level", "value": 1e308, "observed_at": at(1)}, "value"),
    ({"kind": "water_level", "value": 108, "observed_at": "0001-01-01T00:00"}, "observed_at"),
    ({"kind": "water_level", "value": 108, "observed_at": "yesterday"}, "observed_at"),
])
def test_bad_readings_are_named_by_index_and_field_and_nothing_is_stored(client, db, reservoir, as_role, reading, field):
    as_role("crew")
    good = {"kind": "water_level", "value": 108.1, "observed_at": at(5)}
    response = post(client, reservoir.id, [good, reading])
    if field is None:  # 40 mm in 5 minutes: heavy but possible
        assert response.status_code == 201
        return
    assert response.status_code == 422, response.json
    assert list(response.json["error"]["fields"]) == [f"readings.1.{field}"]
    assert stored(db, reservoir.id) == 0


def test_without_reference_levels_any_level_on_earth_is_accepted(client, db, make_asset, as_role):
    bare = make_asset("reservoir", "无资料水库")
    as_role("crew")
    assert post(client, bare.id, [{"kind": "water_level", "value": 300.0, "observed_at": at(1)}]).status_code == 201
    assert post(client, bare.id, [{"kind": "water_level", "value": 9001.0, "observed_at": at(2)}]).status_code == 422


@pytest.mark.parametrize("body", [{}, {"readings": []}, {"readings": "x"}, {"readings": [1]}, [1], {"readings": [], "x": 1}])
def test_a_body_that_is_not_a_batch_is_refused(client, reservoir, as_role, body):
    as_role("crew")
    response = client.post(f"/api/v1/assets/{reservoir.id}/readings", json=body)
    assert response.status_code == 422 and response.json["error"]["fields"]


def test_readings_are_kept_for_reservoirs_only(client, make_asset, as_role):
    manhole = make_asset("manhole")
    as_role("crew")
    response = post(client, manhole.id, [{"kind": "water_level", "value": 1.0, "observed_at": at(1)}])
    assert response.status_code == 422 and "asset" in response.json["error"]["fields"]


def test_a_device_token_reports_only_for_its_facilities_and_does_nothing_else(client, db, users, reservoir, make_asset):
    other = make_asset("reservoir", "另一水库", attributes=RESERVOIR)
    headers = device(db, users, reservoir)
    reading = [{"kind": "rainfall", "value": 1.5, "observed_at": at(1)}]
    assert post(client, other.id, reading, headers).status_code == 403
    assert client.get(f"/api/v1/assets/{reservoir.id}", headers=headers).status_code == 403
    assert client.get(f"/api/v1/assets/{reservoir.id}/readings", headers=headers).status_code == 403
    assert post(client, reservoir.id, reading, headers).status_code == 201
    assert stored(db, other.id) == 0


def test_a_read_only_token_may_not_post_readings_and_device_tokens_need_facilities(client, db, users, reservoir):
    _, plain = create_token(users["crew"], "reader", scopes=["read"])
    db.session.commit()
    response = post(client, reservoir.id, [{"kind": "rainfall", "value": 1.5, "observed_at": at(1)}],
                    {"Authorization": f"Bearer {plain}"})
    assert response.status_code == 403
    from municipal.errors import ValidationError
    with pytest.raises(ValidationError) as refused:
        create_token(users["crew"], "gauge", scopes=["readings:write"])
    assert "facilities" in refused.value.fields
    with pytest.raises(ValidationError):
        create_token(users["crew"], "gauge", scopes=["readings:write", "write"], facilities=[reservoir.id])


def _five_minutes(days: int, start_level: float = 108.0):
    """A reading every 5 minutes for `days` days up to TEST_NOW, a level rising 1 cm an hour."""
    count = days * 288
    return [{"kind": "water_level", "value": round(start_level + (i / 12) * 0.01, 3),
             "observed_at": (TEST_NOW - timedelta(minutes=5 * (count - 1 - i))).isoformat()} for i in range(count)]


def test_the_chart_reads_raw_points_for_a_week_and_rollups_beyond(client, db, reservoir, as_role):
    as_role("supervisor")
    assert post(client, reservoir.id, _five_minutes(10)).status_code == 201
    week = client.get(f"/api/v1/assets/{reservoir.id}/readings?kind=water_level").json
    assert week["unit"] == "m" and week["every"] is None
    assert len(week["points"]) in (7 * 288, 7 * 288 + 1)  # the clock runs on from TEST_NOW
    t, low, avg, high = week["points"][-1]
    assert t == int(TEST_NOW.timestamp()) and low == avg == high
    daily = client.get(f"/api/v1/assets/{reservoir.id}/readings",
                       query_string={"kind": "water_level", "from": "2026-11-20", "to": "2026-11-23", "every": "1d"}).json
    assert daily["every"] == 86400
    assert [datetime.fromtimestamp(p[0], timezone.utc).isoformat() for p in daily["points"]] == [
        "2026-11-19T16:00:00+00:00", "2026-11-20T16:00:00+00:00", "2026-11-21T16:00:00+00:00"]
    first = daily["points"][0]
    assert first[3] - first[1] == pytest.approx(287 / 12 * 0.01, abs=0.001)  # 1 cm an hour, 288 readings a day
    hourly = client.get(f"/api/v1/assets/{reservoir.id}/readings",
                        query_string={"from": "2026-11-20T00:00", "to": "2026-11-20T05:59", "every": "2h"}).json
    assert len(hourly["points"]) == 3 and all(p[1] < p[2] < p[3] for p in hourly["points"])


def test_rainfall_series_carry_each_buckets_total(client, db, reservoir, as_role):
    as_role("crew")
    readings = [{"kind": "rainfall", "value": 2.0, "observed_at": at(h), "period_minutes": 60} for h in range(6)]
    assert post(client, reservoir.id, readings).status_code == 201
    answer = client.get(f"/api/v1/assets/{reservoir.id}/readings",
                        query_string={"kind": "rainfall", "from": "2026-11-25", "every": "1d"}).json
    assert answer["unit"] == "mm" and answer["sums"][-1] == 12.0


def test_rollups_stay_right_when_readings_arrive_in_pieces(client, db, reservoir, as_role):
    as_role("crew")
    readings = _five_minutes(1)
    for first in range(0, len(readings), 50):
        assert post(client, reservoir.id, readings[first:first + 50]).status_code == 201
    day = db.session.scalars(sa.select(ReadingRollup).where(ReadingRollup.grain == "h")).all()
    assert sum(r.count for r in day) == 288
    assert sum(r.total for r in day) == pytest.approx(sum(r["value"] for r in readings))


@pytest.mark.parametrize("query, field", [
    ({"kind": "snow"}, "kind"), ({"every": "fortnight"}, "every"), ({"from": "soon"}, "from"),
    ({"from": "2026-11-25", "to": "2026-11-20"}, "from"), ({"from": "2016-01-01", "every": "raw"}, "every"),
    ({"from": "2016-01-01", "every": "5m"}, "every"), ({"every": "0h"}, "every"), ({"from": "0001-01-01"}, "from"),
    ({"to": "9999-12-31T23:59-12:00"}, "to"),
])
def test_bad_series_queries_are_named(client, reservoir, as_role, query, field):
    as_role("viewer")
    response = client.get(f"/api/v1/assets/{reservoir.id}/readings", query_string=query)
    assert response.status_code == 422 and field in response.json["error"]["fields"]


def test_the_openapi_description_has_the_readings(client, as_role):
    as_role("viewer")
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/assets/{asset_id}/readings"])
    assert "get" in paths["/api/v1/calendar/events"]
