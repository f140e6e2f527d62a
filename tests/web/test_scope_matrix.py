"""Every page and endpoint that acts on a facility, its work, its calendar or its reports, for a supervisor
of 鼓山镇 who answers for reservoirs: allowed on a reservoir of 鼓山镇; refused, with nothing changed, on a
reservoir of 新店镇 (out of area) and on a manhole of 鼓山镇 (out of type). Adding a route is one line of
WRITES, READS or DETAILS."""
from datetime import date, datetime, timezone
from io import BytesIO

import pytest
import sqlalchemy as sa

from municipal.assets.identity.services import issue_codes
from municipal.assets.models import Area, Asset, AssetPhoto, IdentityCode
from municipal.assets.services import create_asset
from municipal.auth.models import User
from municipal.auth.services import set_user_areas
from municipal.calendar.models import CalendarEvent, CalendarItem, FacilityHistory
from municipal.extensions import db as database
from municipal.intake.models import CitizenReport
from municipal.intake.services import submit_report
from municipal.reports.models import Report
from municipal.workorders.models import WorkOrder
from municipal.workorders.services import create_work_order
from tests.conftest import csrf_token, from_snapshot, jpeg_bytes, make_district, make_users
from tests.web.api_helpers import bearer  # noqa: F401  (a fixture)

TARGETS = ("mine", "elsewhere", "other_type")
REFUSED = {"elsewhere", "other_type"}
ATTRIBUTES = {"reservoir": {"attributes": {"capacity_m3": 3_500_000, "dam_height_m": 18, "dam_type": "土坝"},
                            "geometry": {"type": "Point", "coordinates": [119.35, 26.15]}},
              "manhole": {"attributes": {"network": "污水"},
                          "geometry": {"type": "Point", "coordinates": [119.31, 26.09]}}}


@pytest.fixture
def users(world):
    return world["users"]


@pytest.fixture
def world(db):
    """The users and the facilities, work, reports and calendar items above, built once per test worker and
    restored for each test (building them took most of each test's time)."""
    ids = from_snapshot(db, "scope matrix", lambda: _build_world(db))
    get = db.session.get
    return {"users": {role: get(User, id_) for role, id_ in ids["users"].items()},
            "targets": {key: get(Asset, id_) for key, id_ in ids["targets"].items()},
            "orders": {key: get(WorkOrder, id_) for key, id_ in ids["orders"].items()},
            "reports": {key: get(CitizenReport, id_) for key, id_ in ids["reports"].items()},
            "items": {key: get(CalendarItem, id_) for key, id_ in ids["items"].items()},
            "loose": get(CitizenReport, ids["loose"]),
            "towns": {code: get(Area, id_) for code, id_ in ids["towns"].items()},
            "village": get(Area, ids["village"])}


def _build_world(db) -> dict:
    users = make_users(db)
    towns = make_district(db, [("gushan", "鼓山镇", "Gushan Town"), ("xindian", "新店镇", "Xindian Town")])
    village = Area(code="gushan-1", name="鼓山村", name_en="Gushan Village", level="village", parent=towns["gushan"])
    db.session.add(village)
    db.session.flush()
    village.path = f"{towns['gushan'].path}{village.id}/"
    admin = users["admin"]

    def facility(type_, name, town):
        return create_asset(admin, {"type": type_, "name": name, "area": town.code, **ATTRIBUTES[type_]})

    targets = {"mine": facility("reservoir", "鼓山水库", towns["gushan"]),
               "elsewhere": facility("reservoir", "新店水库", towns["xindian"]),
               "other_type": facility("manhole", "鼓山检查井", towns["gushan"])}
    orders, reports, items = {}, {}, {}
    for key, asset in targets.items():
        orders[key] = create_work_order(admin, asset_id=asset.id, kind="repair", title=f"{asset.name}维修").id
        reports[key] = submit_report(category="damaged", description=f"{asset.name}有一条明显的裂缝",
                                     fingerprint=key, asset_id=asset.id).id
        item = CalendarItem(asset_id=asset.id, key=f"TEST/{key}", rule="TEST", kind="routine_patrol",
                            due_on=date(2026, 11, 27), due_at=datetime(2026, 11, 27, 10, tzinfo=timezone.utc),
                            status="scheduled")
        db.session.add(item)
        db.session.flush()
        items[key] = item.id
    loose = submit_report(category="other", description="路边的井盖附近有很重的异味", fingerprint="loose")
    supervisor = users["supervisor"]
    set_user_areas(admin, supervisor, ["gushan"])
    supervisor.asset_types = "reservoir"
    db.session.flush()
    return {"users": {role: user.id for role, user in users.items()},
            "targets": {key: asset.id for key, asset in targets.items()}, "orders": orders, "reports": reports,
            "items": items, "loose": loose.id, "towns": {code: town.id for code, town in towns.items()},
            "village": village.id}


def _count(model):
    return database.session.scalar(sa.select(sa.func.count()).select_from(model))


def _fresh(model, row_id):
    database.session.expire_all()
    return database.session.get(model, row_id)


# Each write: (name, act(ctx, key) -> response, state(ctx, key) -> what must not change when refused).
def _create(ctx, key):
    asset = ctx["targets"][key]
    return ctx["api"].post("/api/v1/assets", json={"type": asset.type, "name": "新设施", "area": asset.area.code,
                                                   **ATTRIBUTES[asset.type]})


def _edit(ctx, key):
    asset = ctx["targets"][key]
    return ctx["api"].patch(f"/api/v1/assets/{asset.id}", json={"version": asset.version, "name": "改名"})


def _move(ctx, key):
    asset = ctx["targets"][key]
    return ctx["api"].patch(f"/api/v1/assets/{asset.id}", json={"version": asset.version, "area": "gushan-1"})


def _retire(ctx, key):
    asset = ctx["targets"][key]
    return ctx["api"].post(f"/api/v1/assets/{asset.id}/retire", json={"version": asset.version})


def _bind(ctx, key):
    asset = ctx["targets"][key]
    code = ctx["spare"][asset.type]
    return ctx["api"].post(f"/api/v1/codes/{code}/bind", json={"asset_id": asset.id})


def _revoke(ctx, key):
    return ctx["api"].post(f"/api/v1/codes/{ctx['codes'][key]}/revoke", json={"reason": "标牌损坏"})


def _revoke_page(ctx, key):
    return ctx["page"].post(f"/codes/{ctx['codes'][key]}/revoke", data={"csrf_token": ctx["csrf"], "reason": "标牌损坏"})


def _photo(ctx, key):
    asset = ctx["targets"][key]
    return ctx["page"].post(f"/assets/{asset.id}/photos", data={
        "csrf_token": ctx["csrf"], "photo": (BytesIO(jpeg_bytes()), "dam.jpg"), "caption": "坝顶"},
        content_type="multipart/form-data")


def _history(ctx, key):
    asset = ctx["targets"][key]
    return ctx["api"].post(f"/api/v1/assets/{asset.id}/history", json={
        "kind": "periodic_safety_appraisal", "done_on": "2026-05-20", "result": "三类"})


def _event_at_facility(ctx, key):
    return ctx["api"].post("/api/v1/calendar/events", json={
        "kind": "rainstorm", "start": "2026-11-26", "asset": ctx["targets"][key].id, "rain_24h_mm": 120})


def _event_in_area(ctx, key):
    return ctx["api"].post("/api/v1/calendar/events", json={
        "kind": "rainstorm", "start": "2026-11-26", "area": ctx["targets"][key].area.code, "rain_24h_mm": 120})


def _order_create(ctx, key):
    return ctx["api"].post("/api/v1/work-orders", json={"asset": ctx["targets"][key].id, "kind": "repair",
                                                        "title": "闸门漏水"})


def _order_action(action, body):
    def act(ctx, key):
        order = ctx["orders"][key]
        return ctx["api"].post(f"/api/v1/work-orders/{order.id}/actions/{action}",
                               json={"version": order.version, **body(ctx)})
    return act


def _order_edit(ctx, key):
    order = ctx["orders"][key]
    return ctx["api"].patch(f"/api/v1/work-orders/{order.id}", json={"version": order.version, "title": "新标题"})


def _triage(action, **body):
    def act(ctx, key):
        return ctx["api"].post(f"/api/v1/reports/{ctx['reports'][key].id}/{action}", json=body)
    return act


def _annual_report(ctx, key):
    return ctx["page"].post("/annual-reports", data={"csrf_token": ctx["csrf"], "year": "2026", "lang": "zh",
                                                     "scope": f"facility:{ctx['targets'][key].id}"})


def _asset_state(ctx, key):
    asset = _fresh(Asset, ctx["targets"][key].id)
    return asset.name, asset.area_id, asset.status, asset.version, _count(Asset)


def _codes_state(ctx, key):
    database.session.expire_all()
    return sorted((code.code, code.status, code.asset_id) for code in database.session.scalars(sa.select(IdentityCode)))


def _order_state(ctx, key):
    order = _fresh(WorkOrder, ctx["orders"][key].id)
    return order.status, order.title, order.assignee_user_id, order.version, _count(WorkOrder)


def _report_state(ctx, key):
    report = _fresh(CitizenReport, ctx["reports"][key].id)
    return report.status, report.reply, _count(WorkOrder)


WRITES = [
    ("registry create", _create, lambda ctx, key: _count(Asset), REFUSED),
    ("registry edit", _edit, _asset_state, REFUSED),
    ("registry move", _move, _asset_state, REFUSED),
    ("registry retire", _retire, _asset_state, REFUSED),
    ("code bind", _bind, _codes_state, REFUSED),
    ("code revoke (API)", _revoke, _codes_state, REFUSED),
    ("code revoke (page)", _revoke_page, _codes_state, REFUSED),
    ("photo", _photo, lambda ctx, key: _count(AssetPhoto), REFUSED),
    ("calendar history", _history, lambda ctx, key: _count(FacilityHistory), REFUSED),
    ("calendar event at a facility", _event_at_facility, lambda ctx, key: _count(CalendarEvent), REFUSED),
    # An event for an area concerns the area: only the area is checked.
    ("calendar event in an area", _event_in_area, lambda ctx, key: _count(CalendarEvent), {"elsewhere"}),
    ("work order create", _order_create, lambda ctx, key: _count(WorkOrder), REFUSED),
    ("work order edit", _order_edit, _order_state, REFUSED),
    ("work order assign", _order_action("assign", lambda ctx: {"assignee_user": ctx["crew"].id}), _order_state,
     REFUSED),
    ("work order cancel", _order_action("cancel", lambda ctx: {"reason": "重复"}), _order_state, REFUSED),
    ("citizen report close", _triage("close", reply="已处理"), _report_state, REFUSED),
    ("citizen report accept", _triage("accept"), _report_state, REFUSED),
    ("annual report", _annual_report, lambda ctx, key: _count(Report), REFUSED),
]


@pytest.fixture
def ctx(app, db, users, world, bearer, client, login):
    admin = users["admin"]
    spare = {type_: issue_codes(admin, type_, 1)[0].code for type_ in ("reservoir", "manhole")}
    codes = {key: asset.code.code for key, asset in world["targets"].items()}
    db.session.commit()
    api = app.test_client()
    headers = bearer("supervisor")
    login("supervisor")

    class Api:
        def __getattr__(self, method):
            return lambda url, **kwargs: getattr(api, method)(url, headers=headers, **kwargs)

    return {**world, "api": Api(), "page": client, "csrf": csrf_token(client, "/annual-reports"),
            "spare": spare, "codes": codes, "crew": users["crew"]}


@pytest.mark.parametrize("key", TARGETS)
@pytest.mark.parametrize("name, act, state, refused_for", WRITES, ids=[row[0] for row in WRITES])
def test_writes_follow_the_scope(ctx, name, act, state, refused_for, key):
    before = state(ctx, key)
    response = act(ctx, key)
    if key in refused_for:
        assert response.status_code in (403, 404), (name, key, response.status_code, response.get_data(as_text=True))
        assert state(ctx, key) == before, (name, key)
    else:
        assert response.status_code < 400, (name, key, response.status_code, response.get_data(as_text=True)[:500])
        assert state(ctx, key) != before, (name, key)


def test_a_facility_cannot_be_moved_out_of_reach(ctx):
    mine = ctx["targets"]["mine"]
    before = _asset_state(ctx, "mine")
    response = ctx["api"].patch(f"/api/v1/assets/{mine.id}", json={"version": mine.version, "area": "xindian"})
    assert response.status_code == 403 and _asset_state(ctx, "mine") == before


def _ids(response, key="items"):
    assert response.status_code == 200, response.get_data(as_text=True)
    return {row["id"] for row in response.get_json()[key]}


# Each read: (name, rows(ctx) -> the ids listed, ids(ctx) -> the ids of mine/elsewhere/other_type, extra ids
# everyone in the district may see).
READS = [
    ("facilities (API)", lambda ctx: _ids(ctx["api"].get("/api/v1/assets")), "targets", set()),
    ("work orders (API)", lambda ctx: _ids(ctx["api"].get("/api/v1/work-orders")), "orders", set()),
    ("calendar items (API)", lambda ctx: _ids(ctx["api"].get("/api/v1/calendar/items")), "items", set()),
    ("citizen reports (API)", lambda ctx: _ids(ctx["api"].get("/api/v1/reports")), "reports", {"loose"}),
]


@pytest.mark.parametrize("name, rows, kind, extra", READS, ids=[row[0] for row in READS])
def test_lists_show_only_what_is_in_scope(ctx, name, rows, kind, extra):
    expected = {ctx[kind]["mine"].id} | {ctx[key].id for key in extra}
    assert rows(ctx) == expected


DETAILS = [
    ("facility (API)", lambda ctx, key: ctx["api"].get(f"/api/v1/assets/{ctx['targets'][key].id}")),
    ("facility (page)", lambda ctx, key: ctx["page"].get(f"/assets/{ctx['targets'][key].id}")),
    ("facility calendar (page)", lambda ctx, key: ctx["page"].get(f"/assets/{ctx['targets'][key].id}/calendar")),
    ("facility calendar (API)", lambda ctx, key: ctx["api"].get(f"/api/v1/assets/{ctx['targets'][key].id}/calendar")),
    ("work order (API)", lambda ctx, key: ctx["api"].get(f"/api/v1/work-orders/{ctx['orders'][key].id}")),
    ("work order (page)", lambda ctx, key: ctx["page"].get(f"/work/{ctx['orders'][key].id}")),
    ("citizen report (API)", lambda ctx, key: ctx["api"].get(f"/api/v1/reports/{ctx['reports'][key].id}")),
    ("citizen report (page)", lambda ctx, key: ctx["page"].get(f"/reports/{ctx['reports'][key].id}")),
]


@pytest.mark.parametrize("key", TARGETS)
@pytest.mark.parametrize("name, read", DETAILS, ids=[row[0] for row in DETAILS])
def test_details_open_only_in_scope(ctx, name, read, key):
    status = read(ctx, key).status_code
    assert status == 200 if key == "mine" else status in (403, 404), (name, key, status)


def test_pages_list_only_what_is_in_scope(ctx):
    facilities = ctx["page"].get("/assets").get_data(as_text=True)
    board = ctx["page"].get("/work?status=").get_data(as_text=True)
    triage = ctx["page"].get("/reports/triage").get_data(as_text=True)
    assert "鼓山水库" in facilities and "新店水库" not in facilities and "鼓山检查井" not in facilities
    assert "鼓山水库维修" in board and "新店水库维修" not in board and "鼓山检查井维修" not in board
    assert ctx["reports"]["mine"].number in triage and ctx["loose"].number in triage
    assert ctx["reports"]["elsewhere"].number not in triage and ctx["reports"]["other_type"].number not in triage


def test_a_bridges_only_supervisor_sees_no_reservoir_on_the_calendar(ctx, users, db):
    users["supervisor"].asset_types = "bridge"
    db.session.commit()
    assert _ids(ctx["api"].get("/api/v1/calendar/items")) == set()
    month = ctx["page"].get("/calendar?month=2026-11").get_data(as_text=True)
    assert "鼓山水库" not in month


def test_scanning_a_label_out_of_scope_shows_what_a_citizen_sees(ctx):
    for key, staff_view in (("mine", True), ("elsewhere", False), ("other_type", False)):
        asset = ctx["targets"][key]
        page = ctx["page"].get(f"/A/{asset.code.code}")
        assert page.status_code == 200
        assert (f"/assets/{asset.id}/edit" in page.get_data(as_text=True)) is staff_view, key


def test_calendar_events_are_listed_where_they_concern_the_person(ctx, users, db):
    from municipal.calendar.history import record_event

    admin = users["admin"]
    for where, note in (("gushan", "鼓山暴雨"), ("xindian", "新店暴雨"), ("350111", "全区暴雨")):
        record_event(admin, kind="rainstorm", start="2026-11-26", area=where, note=note, rain_24h_mm=120)
    record_event(admin, kind="rainstorm", start="2026-11-26", asset_id=ctx["targets"]["elsewhere"].id,
                 note="新店水库暴雨", rain_24h_mm=120)
    db.session.commit()
    page = ctx["page"].get("/calendar/events").get_data(as_text=True)
    assert "鼓山暴雨" in page and "全区暴雨" in page
    assert "新店暴雨" not in page and "新店水库暴雨" not in page


def test_an_import_beyond_the_supervisor_s_areas_is_refused_whole(ctx, users):
    from municipal.assets.transfer import importing
    from municipal.assets.transfer.importing import ImportRejected

    text = ("type,name,area,lon,lat\n"
            "manhole,鼓山新井,gushan,119.31,26.09\n"
            "reservoir,新店新库,xindian,119.35,26.15\n").encode()
    before = _count(Asset)
    with pytest.raises(ImportRejected) as rejected:
        importing.import_csv(users["supervisor"], BytesIO(text))
    # 鼓山新井 is a manhole, not among this supervisor's types; 新店 is not among their areas.
    assert {problem.row for problem in rejected.value.problems if problem.column == "area"} == {2, 3}
    assert _count(Asset) == before


def test_notifications_go_to_those_who_answer_for_the_area_and_type(ctx, users, db):
    from municipal.auth.services import create_user
    from municipal.notify.services import supervisors_for_area

    bridges = create_user("bridges", "correct horse battery", "supervisor")
    bridges.asset_types = "bridge"
    db.session.commit()
    gushan = ctx["towns"]["gushan"].id
    assert "bridges" not in {user.username for user in supervisors_for_area(gushan, "reservoir")}
    assert {"supervisor", "bridges"} <= {user.username for user in supervisors_for_area(gushan)}
    assert "supervisor" not in {user.username for user in supervisors_for_area(ctx["towns"]["xindian"].id)}


def test_a_report_is_for_those_who_see_every_facility_it_covers(world, users, db):
    from municipal.auth.scope import Scope
    from municipal.reports.scope import Scope as ReportScope

    gushan, xindian = world["towns"]["gushan"], world["towns"]["xindian"]
    supervisor = users["supervisor"]
    asks = {"district": ReportScope("district"), "reservoirs": ReportScope("type", asset_type="reservoir"),
            "gushan": ReportScope("area", area=gushan), "xindian": ReportScope("area", area=xindian),
            "mine": ReportScope("facility", asset=world["targets"]["mine"])}

    def allowed(user):
        return {name for name, ask in asks.items() if Scope.of(user).allows(ask)}

    assert allowed(users["admin"]) == set(asks)
    # Reservoirs of 鼓山镇 only: an area's report would cover its manholes too, a type's other towns.
    assert allowed(supervisor) == {"mine"}
    supervisor.asset_types = ""
    assert allowed(supervisor) == {"gushan", "mine"}
    set_user_areas(users["admin"], supervisor, [])
    supervisor.asset_types = "reservoir"
    assert allowed(supervisor) == {"reservoirs", "mine"}
    assert allowed(users["crew"]) == set()
