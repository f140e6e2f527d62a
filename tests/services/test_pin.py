"""A citizen's pin: the facilities within 50 m, the likely duplicates (same category, open, within 30 m and
7 days, by the app clock), and a citizen's word added to one of them. Real SQLite and PostgreSQL."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from municipal import clock as app_clock
from municipal.errors import Conflict, NotFound, ValidationError
from municipal.inspections.distance import distance_m
from municipal.intake import followup, pin, services
from municipal.intake.models import CitizenReport
from municipal.notify.models import Notification
from municipal.workorders.models import WorkOrder

PIN = (119.3, 26.1)
METRES_PER_DEGREE_LAT = 6_371_008.8 * 3.141592653589793 / 180


def north(metres: float, lon: float = PIN[0], lat: float = PIN[1]) -> tuple[float, float]:
    return lon, lat + metres / METRES_PER_DEGREE_LAT


def east(metres: float) -> tuple[float, float]:
    from math import cos, radians

    return PIN[0] + metres / (METRES_PER_DEGREE_LAT * cos(radians(PIN[1]))), PIN[1]


def point(at) -> dict:
    return {"type": "Point", "coordinates": list(at)}


_sent = iter(range(10_000))


def report(at=None, category="blocked", days_ago=0.0, **fields):
    """A report filed `days_ago` before the app clock's now, from a client of its own (no rate limit)."""
    lon, lat = at if at is not None else (None, None)
    return services.submit_report(category=category, description="雨水井堵塞", fingerprint=f"client-{next(_sent)}",
                                  lon=lon, lat=lat, now=app_clock.now() - timedelta(days=days_ago), **fields)


def test_the_helpers_measure_what_the_tests_mean():
    assert distance_m(*PIN, *north(49)) == pytest.approx(49, abs=0.05)
    assert distance_m(*PIN, *east(31)) == pytest.approx(31, abs=0.05)


def test_facilities_within_50_m_are_suggested_nearest_first(db, make_asset):
    far = make_asset(name="51米井", geometry=point(north(51)))
    edge = make_asset(name="49米井", geometry=point(north(49)))
    near = make_asset(name="东边20米井", geometry=point(east(20)))
    gone = make_asset(name="停用井", geometry=point(north(5)), status="decommissioned")
    found = pin.facilities_near(*PIN)
    assert [f.name for f in found] == ["东边20米井", "49米井"]
    assert [f.id for f in found] == [near.id, edge.id] and far.id not in {f.id for f in found}
    assert gone.id not in {f.id for f in found}
    assert found[0].code == near.code.code and found[0].distance_m == pytest.approx(20, abs=0.1)


def test_a_pin_on_a_cell_border_finds_facilities_on_both_sides(db, make_asset):
    from municipal.geo import grid

    # Walk north until the spatial key's cell changes: a pin just south of the border, a facility north.
    step = 1.0
    while grid.geo_key(*north(step)) == grid.geo_key(*PIN):
        step += 1
    border_pin = north(step - 1)
    beyond = make_asset(name="邻格井", geometry=point(north(step + 20)))
    assert grid.geo_key(*north(step + 20)) != grid.geo_key(*border_pin)
    assert [f.id for f in pin.facilities_near(*border_pin)] == [beyond.id]


def test_the_duplicate_rule_same_category_open_within_30_m_and_7_days(db, users):
    inside = report(north(29), days_ago=6)
    report(north(31))                                   # just too far
    report(east(31), days_ago=1)                        # too far the other way
    report(north(10), days_ago=8)                       # too old
    report(north(10), category="leaking")               # another problem
    closed = report(north(5))
    services.close_report(users["admin"], closed.id, "已处理")
    found = pin.likely_duplicates(*PIN, "blocked", app_clock.now())
    assert [d.status.number for d in found] == [inside.number]
    assert found[0].distance_m == pytest.approx(29, abs=0.1)
    assert (found[0].status.status, found[0].status.category) == ("new", "blocked")


def test_seven_days_is_by_the_app_clock(db, clock):
    made = report(north(10))
    clock.set(app_clock.now() + timedelta(days=6, hours=23))
    assert [d.status.number for d in pin.likely_duplicates(*PIN, "blocked", app_clock.now())] == [made.number]
    clock.set(app_clock.now() + timedelta(days=1, hours=1))
    assert pin.likely_duplicates(*PIN, "blocked", app_clock.now()) == []


def test_a_report_made_by_a_qr_code_counts_where_its_facility_is(db, make_asset):
    well = make_asset(name="鼓山路井", geometry=point(north(20)))
    by_code = report(asset_id=well.id)
    assert by_code.lat is None
    assert [d.status.number for d in pin.likely_duplicates(*PIN, "blocked", app_clock.now())] == [by_code.number]
    assert pin.likely_duplicates(*north(60), "blocked", app_clock.now()) == []


def test_a_report_whose_work_is_done_is_no_longer_a_duplicate(db, users, make_asset):
    from municipal.workorders import services as work

    well = make_asset(name="已修井", geometry=point(PIN))
    made = report(PIN, asset_id=well.id)
    accepted = services.accept_report(users["supervisor"], made.id)
    order_id = accepted.work_order_id
    assert [d.status.number for d in pin.likely_duplicates(*PIN, "blocked", app_clock.now())] == [made.number]
    order = db.session.get(WorkOrder, order_id)
    work.act(users["supervisor"], order_id, "assign", version=order.version, assignee_user_id=users["crew"].id)
    work.act(users["crew"], order_id, "start", version=order.version)
    work.act(users["crew"], order_id, "complete", version=order.version, time_spent_min=20)
    assert pin.likely_duplicates(*PIN, "blocked", app_clock.now()) == []


def test_the_position_names_each_bad_field():
    assert pin.position("119.3", "26.1") == (119.3, 26.1)
    for lon, lat, fields in (("abc", "26.1", {"lon"}), ("119.3", "95", {"lat"}), ("181", "nan", {"lon", "lat"}),
                             (None, None, {"lon", "lat"}), ("inf", "26", {"lon"})):
        with pytest.raises(ValidationError) as caught:
            pin.position(lon, lat)
        assert set(caught.value.fields) == fields


def test_the_chosen_facility_must_be_one_suggested_near_the_pin(db, make_asset):
    near = make_asset(name="近井", geometry=point(north(30)))
    far = make_asset(name="远井", geometry=point(north(80)))
    assert pin.chosen_facility(str(near.id), *map(str, PIN)) == near.id
    assert pin.chosen_facility("", *map(str, PIN)) is None
    for facility, lon, lat in ((str(far.id), *PIN), ("x", *PIN), (str(near.id), None, None)):
        with pytest.raises(ValidationError) as caught:
            pin.chosen_facility(facility, lon, lat)
        assert set(caught.value.fields) == {"facility"}


def test_i_have_seen_it_too_adds_to_the_open_report_and_staff_see_it_linked(db, users):
    first = report(PIN)
    added = pin.add_to(first.number.lower(), description="", fingerprint="client-too", lon=str(north(8)[0]),
                       lat=str(north(8)[1]), now=app_clock.now())
    db.session.commit()
    assert (added.merged_into_id, added.status, added.category) == (first.id, "closed", "blocked")
    assert added.description == "我也遇到了这个问题。" and added.geo_key is not None
    assert first.number in added.reply
    # The supervisors are told, and led to the report that stays open.
    told = db.session.scalars(sa.select(Notification).where(Notification.dedupe_key == f"citizen_report:{added.id}")
                              ).all()
    assert told and {n.link for n in told} == {f"/reports/{first.id}"}
    assert {n.params["number"] for n in told} == {first.number} and "又有市民遇到" in told[0].params["title"]
    # The new word does not show up as one more report to follow: the first stays the one duplicate.
    assert [d.status.number for d in pin.likely_duplicates(*PIN, "blocked", app_clock.now())] == [first.number]
    assert [r.id for r in followup.merged_in(users["supervisor"], first)] == [added.id]
    count = db.session.scalar(sa.select(sa.func.count(CitizenReport.id)))
    with pytest.raises(NotFound) as caught:
        pin.add_to("R-00000000", description="x", fingerprint="c", now=app_clock.now())
    assert set(caught.value.fields) == {"join"}
    services.close_report(users["admin"], first.id, "已处理")
    with pytest.raises(Conflict):
        pin.add_to(first.number, description="还在堵", fingerprint="c", now=app_clock.now())
    assert db.session.scalar(sa.select(sa.func.count(CitizenReport.id))) == count


def test_staff_see_a_pinned_report_beside_the_one_it_likely_repeats(db, users):
    first = report(PIN, days_ago=2)
    second = report(north(12))
    other = report(north(12), category="leaking")
    assert [r.id for r in followup.duplicates(users["admin"], second)] == [first.id]
    assert followup.duplicates(users["admin"], other) == []
    followup.merge(users["admin"], second.id, first.number)
    assert [r.id for r in followup.merged_in(users["admin"], first)] == [second.id]
