"""The calendar pages, feeds and API over the hand-seeded year of tests/calendar_seed.py."""
import re
from datetime import datetime, timedelta, timezone

import icalendar
import pytest

from municipal.calendar import views
from municipal.calendar.models import CalendarFeed
from tests.calendar_seed import TODAY, seed_year
from tests.conftest import csrf_in


@pytest.fixture
def year(db, users, make_asset, area, clock):
    # The seeded year is counted on 2025-07-15.
    clock.set(datetime(2025, 7, 15, 10, 0, tzinfo=timezone(timedelta(hours=8))))
    return seed_year(db, users, make_asset, area)


def test_month_cells_count_by_kind_mark_overdue_and_missed_and_open_the_day(client, login, year):
    login("admin")
    page = client.get("/calendar?month=2025-07&lang=en").get_data(as_text=True)
    assert "July 2025" in page
    cell = re.search(r'from=2025-07-14&amp;to=2025-07-14">(.*?)</a>', page, re.S).group(1)
    assert "Checks 1" in cell and 'cal-mark st-overdue">Overdue 1' in cell
    missed = re.search(r'from=2025-07-01&amp;to=2025-07-01">(.*?)</a>', page, re.S).group(1)
    assert "Checks 1" in missed and 'cal-mark st-missed">Missed 1' in missed
    assert "more" not in page and 'month=2025-06' in page and 'month=2025-08' in page
    chinese = client.get("/calendar?month=2025-07&lang=zh").get_data(as_text=True)
    assert "检查 1" in chinese and "还有" not in chinese
    # The click opens the day: its list holds the day's work, linked to the work order.
    day = client.get("/calendar?view=list&from=2025-07-14&to=2025-07-14").get_data(as_text=True)
    orders = [item.work_order_id for item in year["items"] if item.due_on.isoformat() == "2025-07-14"]
    assert day.count('<tr class="st-') == 1 and f'href="/work/{orders[0]}"' in day
    june = client.get("/calendar?month=2025-06&lang=en").get_data(as_text=True)
    # June's superseded item is nobody's work: no June day has anything to count.
    assert "June 2025" in june and "from=2025-06-30" not in june and "from=2025-06-" not in june


def test_list_view_pages_through_a_period(client, app, login, year, monkeypatch):
    login("admin")
    monkeypatch.setattr(views, "LIST_PAGE_SIZE", 5)
    first = client.get("/calendar?view=list&from=2025-01-01&to=2025-12-31").get_data(as_text=True)
    assert first.count("<tr class=\"st-") == 5
    following = re.search(r'href="([^"]*after=[^"]*)"', first).group(1).replace("&amp;", "&")
    second = client.get(following).get_data(as_text=True)
    third = client.get(re.search(r'href="([^"]*after=[^"]*)"', second).group(1).replace("&amp;", "&"))
    assert second.count("<tr class=\"st-") == 5 and third.get_data(as_text=True).count("<tr class=\"st-") == 3


def test_filters_and_scope(client, db, login, users, year):
    login("admin")
    page = client.get("/calendar?view=list&from=2025-01-01&to=2025-12-31&type=reservoir").get_data(as_text=True)
    assert page.count("<tr class=\"st-") == 6
    page = client.get("/calendar?view=list&from=2025-01-01&to=2025-12-31&area=gushan&status=missed").get_data(as_text=True)
    assert page.count("<tr class=\"st-") == 2
    year["teams"]["B"].members.append(users["crew"])
    db.session.commit()
    login("crew")
    page = client.get("/calendar?view=list&from=2025-01-01&to=2025-12-31").get_data(as_text=True)
    assert page.count("<tr class=\"st-") == 5 and "登云水库" not in page


def test_bad_filters_are_422_naming_the_field(client, login, year):
    login("supervisor")
    for query, field in (("month=2025-13", "month"), ("view=list&from=yesterday", "from"), ("area=nowhere", "area"),
                         ("view=list&from=2025-05-01&to=2025-04-01", "to"), ("view=list&after=x", "after")):
        response = client.get(f"/calendar?{query}")
        assert response.status_code == 422 and f"<code>{field}</code>" in response.get_data(as_text=True), query
    response = client.get("/calendar/compliance?group_by=colour")
    assert response.status_code == 422 and "<code>group_by</code>" in response.get_data(as_text=True)


def test_compliance_page(client, login, year):
    login("viewer")
    page = client.get("/calendar/compliance?from=2025-01-01&to=2025-12-31&group_by=facility&lang=en").get_data(as_text=True)
    total = re.search(r"<tfoot>(.*?)</tfoot>", page, re.S).group(1)
    assert [int(n) for n in re.findall(r'class="n[^"]*">(\d+)<', total)] == [13, 3, 2, 3, 2, 3]
    assert "50.0 %" in total and "30.0 %" in total
    assert "登云水库" in page and "岳峰井" in page
    login("crew")
    assert client.get("/calendar/compliance").status_code == 403


def test_nav_has_the_calendar(client, login, year):
    login("crew")
    assert 'href="/calendar"' in client.get("/work/mine").get_data(as_text=True)


def _create_feed(client, **data) -> str:
    token = csrf_in(client.get("/calendar/feeds").get_data(as_text=True))
    response = client.post("/calendar/feeds", data={"csrf_token": token, **data})
    assert response.status_code == 200, response.get_data(as_text=True)
    return re.search(r'value="http://municipal\.test(/calendar/feed/[^"]+\.ics)"', response.get_data(as_text=True)).group(1)


def test_a_team_feed_parses_with_stable_uids_and_dates(client, db, login, users, year, clock):
    year["teams"]["B"].members.append(users["crew"])
    db.session.commit()
    login("crew")
    path = _create_feed(client, scope="team", team=str(year["teams"]["B"].id))
    secret = path.rsplit("/", 1)[1][:-4]
    feed = db.session.query(CalendarFeed).one()
    assert feed.token_hash != secret and len(feed.token_hash) == 64  # only the digest is stored
    client.get("/logout")
    # Stopped, so that both readings below are stamped the same second on a slow machine too.
    clock.set(clock.now(), frozen=True)
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    parsed = icalendar.Calendar.from_ical(response.data)
    events = {str(e["UID"]): e for e in parsed.walk("VEVENT")}
    # Team B's items within 60 days back and 400 ahead of 2025-07-15; January's miss is out of range.
    expected = {item.id: item for item in year["items"]
                if item.asset_id == year["assets"]["B"].id and item.due_on >= datetime(2025, 5, 16).date()}
    assert set(events) == {f"calendar-item-{i}@municipal.test" for i in expected}
    for item_id, item in expected.items():
        event = events[f"calendar-item-{item_id}@municipal.test"]
        assert event["DTSTART"].dt == item.due_on
        assert str(event["URL"]).endswith(f"/work/{item.work_order_id}")
    overdue = next(i for i in expected.values() if i.due_on.isoformat() == "2025-07-14")
    assert "鼓山新村井" in str(events[f"calendar-item-{overdue.id}@municipal.test"]["SUMMARY"])
    assert client.get(path).data == response.data  # the same items give the same UIDs


def test_revoked_and_unknown_feeds_are_404(client, db, login, year):
    login("supervisor")
    path = _create_feed(client, scope="area", area="gushan")
    assert client.get(path).status_code == 200
    listing = client.get("/calendar/feeds").get_data(as_text=True)
    revoke = re.search(r'href="(/calendar/feeds/\d+/revoke)"', listing).group(1)
    confirm = client.get(revoke).get_data(as_text=True)
    assert client.post(revoke, data={"csrf_token": csrf_in(confirm)}).status_code == 302
    assert client.get(path).status_code == 404
    assert client.get("/calendar/feed/not-a-secret.ics").status_code == 404
    assert "/revoke" not in client.get("/calendar/feeds").get_data(as_text=True)


def test_feed_rules_name_the_field(client, login, year):
    login("crew")
    token = csrf_in(client.get("/calendar/feeds").get_data(as_text=True))
    response = client.post("/calendar/feeds", data={"csrf_token": token, "scope": "area", "area": "gushan"})
    assert response.status_code == 422 and "<code>area</code>" in response.get_data(as_text=True)
    response = client.post("/calendar/feeds", data={"csrf_token": token, "scope": "team",
                                                    "team": str(year["teams"]["A"].id)})
    assert response.status_code == 422 and "<code>team</code>" in response.get_data(as_text=True)


def test_someone_elses_feed_cannot_be_revoked(client, login, year):
    login("supervisor")
    _create_feed(client, scope="user")
    feed_id = re.search(r'/calendar/feeds/(\d+)/revoke', client.get("/calendar/feeds").get_data(as_text=True)).group(1)
    login("viewer")
    token = csrf_in(client.get("/calendar/feeds").get_data(as_text=True))
    assert client.get(f"/calendar/feeds/{feed_id}/revoke").status_code == 404
    assert client.post(f"/calendar/feeds/{feed_id}/revoke", data={"csrf_token": token}).status_code == 404


def test_api_items_by_keyset(client, login, year):
    login("admin")
    seen, after = [], None
    while True:
        query = {"from": "2025-01-01", "to": "2025-12-31", "limit": 4, **({"after": after} if after else {})}
        body = client.get("/api/v1/calendar/items", query_string=query).json
        seen += body["items"]
        after = body["next"]
        if after is None:
            break
    assert len(seen) == 13 and [(i["due_on"], i["id"]) for i in seen] == sorted((i["due_on"], i["id"]) for i in seen)
    states = {i["due_on"]: i["state"] for i in seen}
    assert states["2025-03-03"] == "done_late" and states["2025-05-20"] == "overdue" and states["2025-07-15"] == "planned"
    assert seen[0]["work_order"]["number"].startswith("WO-")


def test_api_compliance_matches_the_page(client, login, year):
    login("supervisor")
    body = client.get("/api/v1/calendar/compliance?from=2025-01-01&to=2025-12-31&group_by=team").json
    assert body["totals"]["total"] == 13 and body["totals"]["completion_rate"] == 0.5
    assert [g["key"] for g in body["groups"]] == [year["teams"]["A"].id, year["teams"]["B"].id, None]
    assert body["groups"][2]["missed"] == 1


def test_api_errors_name_the_field(client, login, year):
    login("admin")
    for query, field in (("from=2025-02-30", "from"), ("area=nowhere", "area"), ("after=%%%", "after"),
                         ("limit=0", "limit"), ("status=odd", "status"), ("facility=x", "facility")):
        response = client.get(f"/api/v1/calendar/items?{query}")
        assert response.status_code == 422 and field in response.json["error"]["fields"], (query, response.json)
    response = client.get("/api/v1/calendar/compliance?group_by=colour")
    assert response.status_code == 422 and "group_by" in response.json["error"]["fields"]
    login("crew")
    assert client.get("/api/v1/calendar/compliance").status_code == 403


def test_a_personal_feed_cancels_superseded_items_and_times_sla_steps(client, db, login, users, year):
    from municipal.auth import services as auth_services
    from municipal.calendar import feeds
    from municipal.calendar.models import CalendarItem
    from municipal.workorders.services import create_work_order

    year["teams"]["A"].members.append(users["crew"])
    order = create_work_order(users["supervisor"], asset_id=year["assets"]["A"].id, kind="repair", title="井盖",
                              source="calendar", assignee_user_id=users["crew"].id)
    sla = CalendarItem(asset_id=year["assets"]["A"].id, key="SEW-MANHOLE-SLA/cover_restore/x", rule="SEW-MANHOLE-SLA",
                       kind="cover_restore", due_on=TODAY, due_at=datetime(2025, 7, 15, 4, 30, tzinfo=timezone.utc),
                       work_order_id=order.id)
    db.session.add(sla)
    db.session.commit()
    login("crew")
    path = _create_feed(client, scope="user")
    parsed = icalendar.Calendar.from_ical(client.get(path).data)
    events = {str(e["UID"]).split("@")[0]: e for e in parsed.walk("VEVENT")}
    superseded = next(i for i in year["items"] if i.status == "superseded")
    assert str(events[f"calendar-item-{superseded.id}"]["STATUS"]) == "CANCELLED"
    timed = events[f"calendar-item-{sla.id}"]["DTSTART"]
    assert timed.params["TZID"] == "Asia/Shanghai" and timed.dt.replace(tzinfo=None) == datetime(2025, 7, 15, 12, 30)
    assert len(list(parsed.walk("VTIMEZONE"))) == 1
    auth_services.deactivate_user(users["admin"], users["crew"])
    db.session.commit()
    assert feeds.feed_for_secret(path.rsplit("/", 1)[1][:-4]) is None


def test_a_supervisor_makes_a_facility_s_feed_from_its_calendar_page(client, db, login, year):
    login("supervisor")
    asset = year["assets"]["B"]
    page = client.get(f"/assets/{asset.id}/calendar?lang=en").get_data(as_text=True)
    assert 'name="scope" value="facility"' in page and f'name="asset" value="{asset.id}"' in page
    path = _create_feed(client, scope="facility", asset=str(asset.id))
    feed = db.session.query(CalendarFeed).one()
    assert feed.scope == "facility" and feed.asset_id == asset.id
    client.get("/logout")
    parsed = icalendar.Calendar.from_ical(client.get(path).data)
    uids = {str(e["UID"]) for e in parsed.walk("VEVENT")}
    expected = {item.id for item in year["items"]
                if item.asset_id == asset.id and item.due_on >= datetime(2025, 5, 16).date()}
    assert uids == {f"calendar-item-{i}@municipal.test" for i in expected} and uids
    assert asset.name in str(parsed["X-WR-CALNAME"])
    # Revocable like the others.
    login("supervisor")
    listing = client.get("/calendar/feeds").get_data(as_text=True)
    assert asset.name in listing
    revoke = re.search(r'href="(/calendar/feeds/\d+/revoke)"', listing).group(1)
    client.post(revoke, data={"csrf_token": csrf_in(client.get(revoke).get_data(as_text=True))})
    assert client.get(path).status_code == 404


def test_only_a_facility_s_supervisors_make_its_feed(client, login, year):
    login("crew")
    assert 'value="facility"' not in client.get(f"/assets/{year['assets']['B'].id}/calendar").get_data(as_text=True)
    token = csrf_in(client.get("/calendar/feeds").get_data(as_text=True))
    response = client.post("/calendar/feeds", data={"csrf_token": token, "scope": "facility",
                                                    "asset": str(year["assets"]["B"].id)})
    assert response.status_code == 422 and "<code>asset</code>" in response.get_data(as_text=True)
    login("supervisor")
    token = csrf_in(client.get("/calendar/feeds").get_data(as_text=True))
    response = client.post("/calendar/feeds", data={"csrf_token": token, "scope": "facility", "asset": "999999"})
    assert response.status_code == 422 and "<code>asset</code>" in response.get_data(as_text=True)


def test_an_event_s_sequence_rises_when_its_item_moves_on_and_stays_otherwise(client, db, login, year, clock):
    import vobject

    login("supervisor")
    path = _create_feed(client, scope="area", area="gushan")
    client.get("/logout")

    def events():
        text = client.get(path).get_data(as_text=True)
        vobject.readOne(text, validate=True).validate(raiseException=True)
        return {str(e["UID"]).split("@")[0]: e for e in icalendar.Calendar.from_ical(text).walk("VEVENT")}

    before = events()
    by_due = {(i.asset_id, i.due_on.isoformat()): i for i in year["items"]}
    coming = by_due[(year["assets"]["B"].id, "2025-12-31")]
    overdue = by_due[(year["assets"]["B"].id, "2025-07-14")]
    superseded = next(i for i in year["items"] if i.status == "superseded")
    assert [before[f"calendar-item-{i.id}"]["SEQUENCE"] for i in (coming, overdue, superseded)] == [1, 2, 3]
    # Read again later, nothing having changed: the same revision, though the feed was written anew.
    clock.set(datetime(2025, 7, 15, 9, 0, tzinfo=timezone.utc))
    again = events()
    assert all(again[uid]["SEQUENCE"] == event["SEQUENCE"] and
               again[uid]["LAST-MODIFIED"].dt == event["LAST-MODIFIED"].dt for uid, event in before.items())
    # The coming item is done: its event says so with a higher number and a later moment.
    coming.status, coming.closed_at = "done", coming.work_order.created_at + timedelta(hours=1)
    db.session.commit()
    after = events()[f"calendar-item-{coming.id}"]
    assert after["SEQUENCE"] == 3 and after["LAST-MODIFIED"].dt == coming.closed_at.replace(microsecond=0)
    assert after["LAST-MODIFIED"].dt > before[f"calendar-item-{coming.id}"]["LAST-MODIFIED"].dt
