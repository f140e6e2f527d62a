"""REST API v1: what a client of /api/v1 sees, on the real database."""
import re

import pytest
import sqlalchemy as sa

from municipal.assets import api
from municipal.assets.identity import codes
from municipal.assets.models import Area, Asset, IdentityCode
from municipal.audit.reading import entries_for
from tests.web.api_helpers import bearer, error_of, sign_in_with_session  # noqa: F401

POINT = {"type": "Point", "coordinates": [119.31, 26.09]}
LINE = {"type": "LineString", "coordinates": [[119.30, 26.10], [119.32, 26.11]]}
RESERVOIR = {
    "type": "reservoir",
    "name": "岭头水库",
    "attributes": {"capacity_m3": 3_500_000, "dam_height_m": 18, "dam_type": "土坝"},
    "geometry": {"type": "Point", "coordinates": [119.35, 26.15]},
}


def a_code(prefix: str, body: str) -> str:
    return codes.format_code(prefix, body, codes.check_char(prefix + body))


def with_wrong_check(code: str) -> str:
    wrong = next(c for c in codes.ALPHABET if c != code[-1])
    return code[:-1] + wrong


@pytest.fixture
def areas(db, area):
    """The district with two towns (the conftest's 鼓山镇 and 岳峰镇) and a village of 鼓山镇."""
    district = area.parent
    made = {"district": district, "gushan": area}
    for key, parent, level, name in (("yuefeng", district, "town", "岳峰镇"), ("village", area, "village", "前屿村")):
        child = Area(code=key, name=name, level=level, parent=parent)
        db.session.add(child)
        db.session.flush()
        child.path = f"{parent.path}{child.id}/"
        made[key] = child
    db.session.commit()
    return made


@pytest.fixture
def unbound_code(db):
    """An issued, unbound code with a chosen body, so its spellings can be chosen too."""

    def _make(prefix="MH", body="10K1Q"):
        code = a_code(prefix, body)
        db.session.add(IdentityCode(code=code, prefix=prefix))
        db.session.commit()
        return code

    return _make


def create(client, headers, **fields):
    body = {"type": "manhole", "name": "测试井", "attributes": {"network": "污水"}, "geometry": POINT, **fields}
    response = client.post("/api/v1/assets", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# --- creating and reading --------------------------------------------------------

def test_create_with_a_bearer_token_and_read_it_back(client, bearer, area):
    headers = bearer("supervisor")
    asset = create(client, headers, **RESERVOIR, area=area.code, owner_unit="晋安区水利局",
                   in_service_on="1978-06-01", internal_notes="坝体有渗漏记录",
                   persons=[{"role": "administrative", "name": "林建华", "position": "镇长", "phone": "13800000000"}])

    assert re.fullmatch(r"RSV-[0-9A-Z]{5}-[0-9A-Z]", asset["code"])
    assert asset["url"] == f"http://municipal.test/A/{asset['code']}"
    assert asset["area"] == {"id": area.id, "code": "gushan", "name": "鼓山镇"}
    assert asset["attributes"]["capacity_m3"] == 3_500_000
    assert asset["derived"] == {"scale_class": "小(1)型"}
    assert asset["persons"] == [{"role": "administrative", "level": None, "name": "林建华", "position": "镇长",
                                 "phone": "13800000000", "river_chief_day": False, "unit": "", "user_id": None}]
    assert asset["in_service_on"] == "1978-06-01"
    assert asset["internal_notes"] == "坝体有渗漏记录"
    assert asset["version"] == 1 and asset["status"] == "in_service" and asset["is_demo"] is False
    assert asset["created_at"].endswith("+00:00")

    again = client.get(f"/api/v1/assets/{asset['id']}", headers=bearer("viewer"))
    assert again.status_code == 200
    assert again.get_json() == asset


def test_a_linear_asset_carries_chainage_in_metres_and_as_text(client, bearer):
    asset = create(client, bearer(), type="water_pipe", name="福新路给水管", attributes={"diameter_mm": 600},
                   geometry=LINE, chainage_start="K1+250", chainage_end=1780)
    assert (asset["chainage_start_m"], asset["chainage_start"]) == (1250, "K1+250")
    assert (asset["chainage_end_m"], asset["chainage_end"]) == (1780, "K1+780")


def test_create_binds_a_preprinted_code_given_in_any_spelling(client, bearer, unbound_code):
    code = unbound_code("MH", "10K1Q")
    asset = create(client, bearer(), code=code.lower().replace("-", " ").replace("1", "l").replace("0", "o"))
    assert asset["code"] == code

    looked_up = client.get(f"/api/v1/codes/{code}", headers=bearer("crew")).get_json()
    assert looked_up["code"]["status"] == "bound"
    assert looked_up["code"]["asset_id"] == asset["id"]
    assert [event["action"] for event in looked_up["history"]] == ["bound"]
    assert looked_up["history"][0]["user"] == "supervisor"


def test_get_by_code_in_lower_case_with_look_alikes(client, bearer, unbound_code):
    code = unbound_code("MH", "10K0Q")
    asset = create(client, bearer(), code=code)
    headers = bearer("viewer")

    for spelling in (code.lower(), code.replace("-", ""), code.lower().replace("1", "i").replace("0", "o"),
                     code.replace("1", "L")):
        response = client.get(f"/api/v1/assets/by-code/{spelling}", headers=headers)
        assert response.status_code == 200, spelling
        assert response.get_json()["id"] == asset["id"]

    mistyped = error_of(client.get(f"/api/v1/assets/by-code/{with_wrong_check(code)}", headers=headers), 422)
    assert with_wrong_check(code) in mistyped["message"]
    assert "code" in mistyped["fields"]
    error_of(client.get(f"/api/v1/assets/by-code/{a_code('MH', '7K3Q9')}", headers=headers), 404)
    error_of(client.get(f"/api/v1/assets/by-code/{unbound_code('MH', '22222')}", headers=headers), 404)
    error_of(client.get("/api/v1/assets/999999", headers=headers), 404)


# --- listing -----------------------------------------------------------------------

def test_list_filters_by_type_area_status_and_text(client, bearer, make_asset, areas):
    well = make_asset("manhole", "鼓山一号井")
    village_well = make_asset("manhole", "前屿村井", area="village")
    reservoir = make_asset("reservoir", "岭头水库", area="yuefeng", status="under_repair")
    headers = bearer("viewer")

    def ids(query):
        response = client.get(f"/api/v1/assets?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    assert ids("") == [well.id, village_well.id, reservoir.id]
    assert ids("type=manhole") == [well.id, village_well.id]
    assert ids("status=under_repair") == [reservoir.id]
    assert ids("area=gushan") == [well.id, village_well.id]  # the town and the villages below it
    assert ids(f"area={areas['district'].id}") == [well.id, village_well.id, reservoir.id]
    assert ids("area=village") == [village_well.id]
    assert ids("type=manhole&area=yuefeng") == []
    assert ids("q=水库") == [reservoir.id]
    assert ids("q=一号") == [well.id]
    assert ids(f"q={well.code.code.lower().replace('-', '')}") == [well.id]

    assert "area" in error_of(client.get("/api/v1/assets?area=atlantis", headers=headers), 422)["fields"]
    assert "type" in error_of(client.get("/api/v1/assets?type=castle", headers=headers), 422)["fields"]
    assert "status" in error_of(client.get("/api/v1/assets?status=gone", headers=headers), 422)["fields"]
    assert "limit" in error_of(client.get("/api/v1/assets?limit=501", headers=headers), 422)["fields"]
    assert "limit" in error_of(client.get("/api/v1/assets?limit=abc", headers=headers), 422)["fields"]
    assert "colour" in error_of(client.get("/api/v1/assets?colour=red", headers=headers), 422)["fields"]


def test_keyset_pages_walk_every_asset_once(client, bearer, make_asset):
    made = [make_asset("manhole", f"井{i}").id for i in range(7)]
    headers = bearer("viewer")

    seen, pages, after = [], 0, None
    while True:
        query = "limit=3" + (f"&after={after}" if after else "")
        page = client.get(f"/api/v1/assets?{query}", headers=headers).get_json()
        pages += 1
        seen += [item["id"] for item in page["items"]]
        after = page["next"]
        if after is None:
            break
        # A facility registered while paging shows up at the end, never twice.
        if pages == 1:
            made.append(make_asset("manhole", "新井").id)

    assert seen == made
    assert pages == 3


# --- changing ------------------------------------------------------------------------

def test_update_with_a_stale_version_is_a_conflict_and_changes_nothing(client, bearer):
    headers = bearer("supervisor")
    asset = create(client, headers, name="旧名")
    url = f"/api/v1/assets/{asset['id']}"

    first = client.patch(url, json={"name": "新名", "version": 1}, headers=headers)
    assert first.status_code == 200, first.get_json()
    assert (first.get_json()["name"], first.get_json()["version"]) == ("新名", 2)

    stale = client.patch(url, json={"name": "别人的名字", "address": "某路1号", "version": 1}, headers=headers)
    error = error_of(stale, 409)
    assert error["code"] == "conflict"
    assert error["current"] == {"id": asset["id"], "version": 2}
    assert "version" in error["fields"]

    now = client.get(url, headers=headers).get_json()
    assert (now["name"], now["address"], now["version"]) == ("新名", "", 2)

    assert "version" in error_of(client.patch(url, json={"name": "x"}, headers=headers), 422)["fields"]


def test_a_write_that_loses_a_race_after_the_version_check_is_a_conflict(client, db, users):
    # Signed in by session: a token's last-use stamp would hold SQLite's write lock before the race.
    headers = {"X-CSRFToken": sign_in_with_session(client, "supervisor")}
    asset = create(client, headers)
    raced = []

    def someone_else_saves_first(session, flush_context, instances):
        if not raced and any(isinstance(obj, Asset) for obj in session.dirty):
            raced.append(asset["id"])
            with db.engine.begin() as other:
                other.execute(sa.update(Asset).where(Asset.id == asset["id"]).values(name="抢先", version=2))

    sa.event.listen(sa.orm.Session, "before_flush", someone_else_saves_first)
    try:
        response = client.patch(f"/api/v1/assets/{asset['id']}", json={"name": "迟到", "version": 1}, headers=headers)
    finally:
        sa.event.remove(sa.orm.Session, "before_flush", someone_else_saves_first)
    assert raced
    assert error_of(response, 409)["current"] == {"id": asset["id"], "version": 2}
    assert client.get(f"/api/v1/assets/{asset['id']}").get_json()["name"] == "抢先"


def test_retire_keeps_the_record_and_its_code(client, bearer):
    headers = bearer("admin")
    asset = create(client, headers)
    url = f"/api/v1/assets/{asset['id']}/retire"

    error_of(client.post(url, json={"version": 7}, headers=headers), 409)
    retired = client.post(url, json={"version": 1}, headers=headers)
    assert retired.status_code == 200
    assert (retired.get_json()["status"], retired.get_json()["code"]) == ("decommissioned", asset["code"])


BAD_INPUTS = [
    ("an unknown type", {"type": "castle"}, "type"),
    ("an unknown attribute", {"attributes": {"network": "污水", "colour": "red"}}, "attributes.colour"),
    ("text for a number", {**RESERVOIR, "attributes": {**RESERVOIR["attributes"], "capacity_m3": "abc"}},
     "attributes.capacity_m3"),
    ("a wrong unit", {**RESERVOIR, "attributes": {**RESERVOIR["attributes"], "capacity_m3": "350 km"}},
     "attributes.capacity_m3"),
    ("a day that does not exist", {"in_service_on": "2023-02-30"}, "in_service_on"),
    ("an attribute day that does not exist",
     {**RESERVOIR, "attributes": {**RESERVOIR["attributes"], "completion_acceptance": "2023-02-30"}},
     "attributes.completion_acceptance"),
    ("a point outside the district", {"geometry": {"type": "Point", "coordinates": [116.40, 39.90]}}, "geometry"),
    ("a line for a point type", {"geometry": LINE}, "geometry"),
    ("a chainage on a point type", {"chainage_start": "K1+250"}, "chainage_start"),
    ("a number for the name", {"name": 5}, "name"),
    ("a field facilities do not have", {"colour": "red"}, "colour"),
    ("a person without a name", {"persons": [{"role": "manager"}]}, "persons.0.name"),
    ("a person in an unknown role", {"persons": [{"role": "king", "name": "某人"}]}, "persons.0.role"),
    ("a code with a wrong check character", {"code": with_wrong_check(a_code("MH", "7K3Q9"))}, "code"),
]


@pytest.mark.parametrize("fields, field", [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_is_a_422_naming_the_field_and_saves_nothing(client, bearer, fields, field):
    headers = bearer()
    body = {"type": "manhole", "name": "测试井", "attributes": {"network": "污水"}, "geometry": POINT, **fields}
    error = error_of(client.post("/api/v1/assets", json=body, headers=headers), 422)
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    assert error["fields"][field]
    assert client.get("/api/v1/assets", headers=headers).get_json()["items"] == []


def test_a_body_that_is_not_json_is_a_400(client, bearer):
    response = client.post("/api/v1/assets", data="{name:", content_type="application/json", headers=bearer())
    error_of(response, 400)


def test_a_code_already_bound_is_a_conflict(client, bearer, unbound_code):
    headers = bearer()
    first = create(client, headers)
    error = error_of(client.post("/api/v1/assets", json={"type": "manhole", "name": "二号井", "code": first["code"]},
                                 headers=headers), 409)
    assert "code" in error["fields"]

    second = create(client, headers)
    error_of(client.post(f"/api/v1/codes/{first['code']}/bind", json={"asset_id": second["id"]}, headers=headers), 409)
    reservoir_code = unbound_code("RSV", "ABCDE")
    error_of(client.post(f"/api/v1/codes/{reservoir_code}/bind", json={"asset_id": second["id"]}, headers=headers), 422)
    assert client.get(f"/api/v1/assets/{second['id']}", headers=headers).get_json()["code"] == second["code"]


# --- identity codes --------------------------------------------------------------------

def test_issue_bind_and_revoke_codes(client, bearer):
    headers = bearer("admin")
    asset = create(client, headers)
    old = asset["code"]

    issued = client.post("/api/v1/codes", json={"type": "manhole", "count": 3}, headers=headers)
    assert issued.status_code == 201
    fresh = [item["code"] for item in issued.get_json()["items"]]
    assert len(set(fresh)) == 3
    assert all(item["status"] == "unbound" and item["type"] == "manhole" for item in issued.get_json()["items"])

    bound = client.post(f"/api/v1/codes/{fresh[0].lower()}/bind", json={"asset_id": asset["id"]}, headers=headers)
    assert bound.status_code == 200
    assert bound.get_json()["code"]["status"] == "bound"
    assert [e["action"] for e in bound.get_json()["history"]] == ["issued", "bound"]

    replaced = client.get(f"/api/v1/codes/{old}", headers=headers).get_json()
    assert replaced["code"]["status"] == "revoked"
    assert replaced["code"]["replaced_by"] == fresh[0]
    assert [e["action"] for e in replaced["history"]] == ["issued", "bound", "revoked"]

    revoked = client.post(f"/api/v1/codes/{fresh[0]}/revoke", json={"reason": "标牌损坏", "replacement": fresh[1]},
                          headers=headers)
    assert revoked.status_code == 200, revoked.get_json()
    assert revoked.get_json()["code"]["replaced_by"] == fresh[1]
    assert revoked.get_json()["code"]["revoked_reason"] == "标牌损坏"
    assert client.get(f"/api/v1/assets/{asset['id']}", headers=headers).get_json()["code"] == fresh[1]

    no_reason = client.post(f"/api/v1/codes/{fresh[2]}/revoke", json={"reason": " "}, headers=headers)
    assert "reason" in error_of(no_reason, 422)["fields"]
    error_of(client.post(f"/api/v1/codes/{fresh[0]}/revoke", json={"reason": "again"}, headers=headers), 409)
    assert "count" in error_of(client.post("/api/v1/codes", json={"type": "manhole", "count": 0}, headers=headers),
                               422)["fields"]
    assert "type" in error_of(client.post("/api/v1/codes", json={"type": "castle", "count": 1}, headers=headers),
                              422)["fields"]
    error_of(client.get(f"/api/v1/codes/{a_code('MH', '7K3Q9')}", headers=headers), 404)


def test_codes_are_listed_by_status_type_and_facility_a_page_at_a_time(client, bearer, db):
    headers = bearer("admin")
    well = create(client, headers)
    reservoir = create(client, headers, **RESERVOIR)
    spare = client.post("/api/v1/codes", json={"type": "manhole", "count": 2}, headers=headers).get_json()["items"]
    replaced = client.post(f"/api/v1/codes/{well['code']}/revoke", json={"reason": "标牌损坏"}, headers=headers)
    new_well_code = client.get(f"/api/v1/assets/{well['id']}", headers=headers).get_json()["code"]
    assert replaced.status_code == 200
    viewer = bearer("viewer")

    def codes_of(query):
        response = client.get(f"/api/v1/codes?{query}", headers=viewer)
        assert response.status_code == 200, response.get_json()
        return [item["code"] for item in response.get_json()["items"]]

    every = codes_of("")
    assert len(every) == 5
    ids = db.session.scalars(sa.select(IdentityCode.code).order_by(IdentityCode.id)).all()
    assert every == ids
    assert codes_of("status=revoked") == [well["code"]]
    assert sorted(codes_of("status=unbound")) == sorted(item["code"] for item in spare)
    assert codes_of("type=reservoir") == [reservoir["code"]] == codes_of("prefix=RSV")
    assert codes_of(f"asset_id={well['id']}") == [well["code"], new_well_code]
    assert codes_of(f"asset_id={well['id']}&status=bound") == [new_well_code]
    listed = client.get("/api/v1/codes?status=revoked", headers=viewer).get_json()["items"][0]
    assert (listed["replaced_by"], listed["type"], listed["asset_id"]) == (new_well_code, "manhole", well["id"])

    seen, after = [], None
    while True:
        page = client.get("/api/v1/codes?limit=2" + (f"&after={after}" if after else ""), headers=viewer).get_json()
        seen += [item["code"] for item in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert seen == every

    for query, field in (("status=lost", "status"), ("type=castle", "type"), ("prefix=XX", "prefix"),
                         ("asset_id=abc", "asset_id"), ("asset_id=0", "asset_id"), ("after=abc", "after"),
                         ("after=-1", "after"), ("after=2147483648", "after"), ("asset_id=2147483648", "asset_id"),
                         ("limit=0", "limit"), ("colour=red", "colour")):
        assert field in error_of(client.get(f"/api/v1/codes?{query}", headers=viewer), 422)["fields"], query


# --- areas -------------------------------------------------------------------------------------

def test_areas_come_as_a_flat_tree(client, bearer, areas):
    items = client.get("/api/v1/areas", headers=bearer("crew")).get_json()["items"]
    by_code = {item["code"]: item for item in items}
    assert set(by_code) == {"350111", "gushan", "yuefeng", "village"}
    assert by_code["village"]["parent_id"] == by_code["gushan"]["id"]
    assert by_code["village"]["level"] == "village"
    assert by_code["village"]["path"] == f"/{areas['district'].id}/{areas['gushan'].id}/{areas['village'].id}/"
    assert by_code["350111"]["parent_id"] is None
    order = [item["code"] for item in items]
    assert order.index("350111") < order.index("gushan") < order.index("village")


def test_areas_are_found_by_parent_level_name_and_state_a_page_at_a_time(client, bearer, db, areas):
    areas["yuefeng"].name_en = "Yuefeng Town"
    db.session.commit()
    headers = bearer("viewer")

    def codes_of(query):
        response = client.get(f"/api/v1/areas?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return [item["code"] for item in response.get_json()["items"]]

    assert codes_of("parent=350111") == ["gushan", "yuefeng"]
    assert codes_of(f"parent={areas['gushan'].id}") == ["village"]
    assert codes_of("parent=village") == []
    assert codes_of("level=town") == ["gushan", "yuefeng"]
    assert codes_of("q=前屿") == ["village"]
    assert codes_of("q=yuefeng town") == ["yuefeng"]  # the English name, in any case
    assert codes_of("q=GUSH") == ["gushan"]  # the code
    assert codes_of("q=%25") == []  # a wildcard is just a character
    assert codes_of("retired=true") == []
    assert codes_of("retired=false&level=village") == ["village"]

    seen, after, pages = [], None, 0
    while True:
        page = client.get("/api/v1/areas?limit=1" + (f"&after={after}" if after else ""), headers=headers).get_json()
        pages += 1
        seen += [item["code"] for item in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert seen == codes_of("") and pages == 4

    for query, field in (("parent=atlantis", "parent"), ("level=province", "level"), ("retired=maybe", "retired"),
                         ("after=gushan", "after"), ("after=/1/x/", "after"), (f"after=/{'1' * 300}/", "after"),
                         ("limit=501", "limit"), ("colour=red", "colour")):
        assert field in error_of(client.get(f"/api/v1/areas?{query}", headers=headers), 422)["fields"], query


def test_an_area_is_read_by_id_or_by_code(client, bearer, areas):
    headers = bearer("crew")
    by_id = client.get(f"/api/v1/areas/{areas['village'].id}", headers=headers)
    assert by_id.status_code == 200
    village = by_id.get_json()
    assert (village["code"], village["level"], village["parent_id"]) == ("village", "village", areas["gushan"].id)
    assert (village["version"], village["retired_at"]) == (1, None)
    assert client.get("/api/v1/areas/by-code/village", headers=headers).get_json() == village
    assert client.get("/api/v1/areas/by-code/350111", headers=headers).get_json()["id"] == areas["district"].id

    error_of(client.get("/api/v1/areas/999999", headers=headers), 404)
    error_of(client.get("/api/v1/areas/99999999999999999999", headers=headers), 404)
    error_of(client.get("/api/v1/areas/by-code/atlantis", headers=headers), 404)


def test_an_admin_adds_areas_to_the_tree(client, bearer, users, areas):
    headers = bearer("admin")
    response = client.post("/api/v1/areas", headers=headers, json={
        "code": "xindian", "name": "新店镇", "name_en": "Xindian Town", "level": "town", "parent": "350111"})
    assert response.status_code == 201, response.get_json()
    town = response.get_json()
    assert town["path"] == f"{areas['district'].path}{town['id']}/"
    assert (town["parent_id"], town["version"], town["retired_at"]) == (areas["district"].id, 1, None)

    village = client.post("/api/v1/areas", headers=headers, json={
        "code": "xindian-001", "name": "赤桥村", "level": "village", "parent": town["id"]})
    assert village.status_code == 201, village.get_json()
    assert village.get_json()["path"] == f"{town['path']}{village.get_json()['id']}/"
    assert client.get("/api/v1/assets?area=xindian", headers=headers).status_code == 200

    created = entries_for("area", town["id"])
    assert [(entry.action, entry.actor_id) for entry in created] == [("create", users["admin"].id)]
    assert created[0].changes["code"] == [None, "xindian"]


AREA_BAD_INPUTS = [
    ("a taken code", {"code": "gushan"}, 409, "code"),
    ("a code with a slash", {"code": "a/b"}, 422, "code"),
    ("a code too long", {"code": "x" * 33}, 422, "code"),
    ("no name", {"name": " "}, 422, "name"),
    ("a number for a name", {"name": 5}, 422, "name"),
    ("an unknown level", {"level": "province"}, 422, "level"),
    ("a level not below the parent's", {"level": "town", "parent": "gushan"}, 422, "level"),
    ("a town without a parent", {"parent": None}, 422, "parent"),
    ("an unknown parent", {"parent": "atlantis"}, 422, "parent"),
    ("a parent beyond any id", {"parent": 99999999999999999999}, 422, "parent"),
    ("a parent that is not a reference", {"parent": {"id": 1}}, 422, "parent"),
    ("a field areas do not have", {"colour": "red"}, 422, "colour"),
]


@pytest.mark.parametrize("fields, status, field", [case[1:] for case in AREA_BAD_INPUTS],
                         ids=[case[0] for case in AREA_BAD_INPUTS])
def test_a_bad_area_is_refused_by_name_and_saves_nothing(client, bearer, db, areas, fields, status, field):
    body = {"code": "xindian", "name": "新店镇", "level": "town", "parent": "350111", **fields}
    error = error_of(client.post("/api/v1/areas", json=body, headers=bearer("admin")), status)
    assert field in error["fields"], error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Area)) == 4


def test_an_area_changes_with_its_version_and_moves_with_everything_below_it(client, bearer, areas):
    headers = bearer("admin")
    url = f"/api/v1/areas/{areas['gushan'].id}"

    renamed = client.patch(url, json={"name_en": "Gushan", "version": 1}, headers=headers)
    assert renamed.status_code == 200, renamed.get_json()
    assert (renamed.get_json()["name_en"], renamed.get_json()["version"]) == ("Gushan", 2)
    stale = error_of(client.patch(url, json={"name": "别的名字", "version": 1}, headers=headers), 409)
    assert stale["current"] == {"id": areas["gushan"].id, "version": 2} and "version" in stale["fields"]
    assert "version" in error_of(client.patch(url, json={"name": "x"}, headers=headers), 422)["fields"]

    for body, status, field in (
        ({"parent": "gushan"}, 422, "parent"),  # itself
        ({"parent": "village"}, 422, "parent"),  # below itself
        ({"level": "village"}, 422, "level"),  # not above its own village any more
        ({"code": "yuefeng"}, 409, "code"),
        ({"version": "two"}, 422, "version"),
    ):
        error = error_of(client.patch(url, json={"version": 2, **body}, headers=headers), status)
        assert field in error["fields"], body
    assert client.get(url, headers=headers).get_json()["version"] == 2

    other = client.post("/api/v1/areas", headers=headers, json={
        "code": "350104", "name": "仓山区", "level": "district"}).get_json()
    moved = client.patch(url, json={"parent": other["code"], "version": 2}, headers=headers)
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["path"] == f"/{other['id']}/{areas['gushan'].id}/"
    village = client.get(f"/api/v1/areas/{areas['village'].id}", headers=headers).get_json()
    assert village["path"] == f"/{other['id']}/{areas['gushan'].id}/{areas['village'].id}/"
    assert [a["code"] for a in client.get(f"/api/v1/areas?parent={other['id']}", headers=headers).get_json()[
        "items"]] == ["gushan"]
    error_of(client.patch("/api/v1/areas/999999", json={"name": "x", "version": 1}, headers=headers), 404)


def test_an_area_is_retired_only_when_nothing_in_use_lies_in_it(client, bearer, make_asset, areas):
    headers = bearer("admin")
    well = make_asset("manhole", "前屿村井", area="village")
    village_url, town_url = (f"/api/v1/areas/{areas[key].id}/retire" for key in ("village", "gushan"))

    in_use = error_of(client.post(village_url, json={"version": 1}, headers=headers), 409)
    assert set(in_use["fields"]) == {"facilities"} and in_use["current"]["facilities"] == 1
    assert set(error_of(client.post(town_url, json={"version": 1}, headers=headers), 409)["fields"]) == {"areas"}
    error_of(client.post(village_url, json={"version": 7}, headers=headers), 409)

    client.post(f"/api/v1/assets/{well.id}/retire", json={"version": 1}, headers=headers)
    retired = client.post(village_url, json={"version": 1}, headers=headers)
    assert retired.status_code == 200, retired.get_json()
    assert retired.get_json()["retired_at"] and retired.get_json()["version"] == 2
    assert client.get(f"/api/v1/assets/{well.id}", headers=headers).get_json()["area"]["code"] == "village"
    assert [a["code"] for a in client.get("/api/v1/areas?retired=true", headers=headers).get_json()["items"]] == [
        "village"]
    error_of(client.post(village_url, json={"version": 2}, headers=headers), 409)  # already retired

    # Nothing new goes into a retired area.
    body = {"type": "manhole", "name": "新井", "attributes": {"network": "污水"}, "area": "village"}
    assert "area" in error_of(client.post("/api/v1/assets", json=body, headers=headers), 422)["fields"]
    body = {"code": "village-1", "name": "新村", "level": "village", "parent": "village"}
    assert "parent" in error_of(client.post("/api/v1/areas", json=body, headers=headers), 422)["fields"]
    # What was there keeps it through other changes.
    renamed = client.patch(f"/api/v1/assets/{well.id}", json={"name": "前屿村旧井", "area": "village", "version": 2},
                           headers=headers)
    assert renamed.status_code == 200, renamed.get_json()

    assert client.post(town_url, json={"version": 1}, headers=headers).status_code == 200
    assert [entry.action for entry in entries_for("area", areas["village"].id)] == ["retire"]


def test_an_area_write_that_loses_a_race_after_the_version_check_is_a_conflict(client, db, users, areas):
    # Signed in by session: a token's last-use stamp would hold SQLite's write lock before the race.
    headers = {"X-CSRFToken": sign_in_with_session(client, "admin")}
    village = areas["village"].id
    raced = []

    def someone_else_saves_first(session, flush_context, instances):
        if not raced and any(isinstance(obj, Area) for obj in session.dirty):
            raced.append(village)
            with db.engine.begin() as other:
                other.execute(sa.update(Area).where(Area.id == village).values(name="抢先", version=2))

    sa.event.listen(sa.orm.Session, "before_flush", someone_else_saves_first)
    try:
        response = client.patch(f"/api/v1/areas/{village}", json={"name": "迟到", "version": 1}, headers=headers)
    finally:
        sa.event.remove(sa.orm.Session, "before_flush", someone_else_saves_first)
    assert raced
    assert error_of(response, 409)["current"] == {"id": village, "version": 2}
    assert client.get(f"/api/v1/areas/{village}").get_json()["name"] == "抢先"
    assert entries_for("area", village) == []


@pytest.mark.parametrize("role", ["supervisor", "crew", "viewer"])
def test_only_admins_change_areas(client, bearer, db, areas, role):
    headers = bearer(role)
    village = areas["village"]
    writes = [
        ("POST", "/api/v1/areas", {"code": "x", "name": "某村", "level": "village", "parent": "gushan"}),
        ("PATCH", f"/api/v1/areas/{village.id}", {"name": "改名", "version": 1}),
        ("POST", f"/api/v1/areas/{village.id}/retire", {"version": 1}),
    ]
    for method, url, body in writes:
        assert error_of(client.open(url, method=method, json=body, headers=headers), 403)["code"] == "forbidden", url
    assert client.get(f"/api/v1/areas/{village.id}", headers=headers).get_json()["name"] == "前屿村"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Area)) == 4


# --- types -------------------------------------------------------------------------------------

def test_types_describe_attributes_and_roles(client, bearer):
    headers = {**bearer("viewer"), "Accept-Language": "en"}
    items = {t["key"]: t for t in client.get("/api/v1/types", headers=headers).get_json()["items"]}
    reservoir = items["reservoir"]
    assert (reservoir["prefix"], reservoir["geometry"], reservoir["linear"]) == ("RSV", "Point", False)
    capacity = next(a for a in reservoir["attributes"] if a["name"] == "capacity_m3")
    assert capacity == {"name": "capacity_m3", "label": "Total capacity", "kind": "number", "unit": "m³",
                        "required": True, "choices": [], "minimum": 0, "maximum": None}
    assert [r["role"] for r in reservoir["roles"]] == ["administrative", "technical", "patrol", "manager"]
    chief = next(r for r in items["river_segment"]["roles"] if r["role"] == "chief")
    assert [level["level"] for level in chief["levels"]] == ["district", "township", "village", "river_keeper"]

    in_chinese = client.get("/api/v1/types", headers={**headers, "Accept-Language": "zh-CN"}).get_json()["items"]
    assert in_chinese[0]["attributes"][0]["label"] not in ("", "Total capacity")


def test_a_type_is_read_by_its_key(client, bearer):
    headers = {**bearer("viewer"), "Accept-Language": "en"}
    listed = {t["key"]: t for t in client.get("/api/v1/types", headers=headers).get_json()["items"]}
    bridge = client.get("/api/v1/types/bridge", headers=headers)
    assert bridge.status_code == 200
    assert bridge.get_json() == listed["bridge"]
    assert "castle" in error_of(client.get("/api/v1/types/castle", headers=headers), 404)["message"]


# --- who may do what -------------------------------------------------------------------------

def test_anonymous_requests_get_401_on_every_endpoint(app, client):
    routes = [
        (method, re.sub(r"<[^>]+>", "1", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in {blueprint.name for blueprint in api.blueprints()}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]
    assert len(routes) == 20
    for method, url in routes:
        for headers in ({}, {"Authorization": "Bearer mun_not-a-token"}):
            error = error_of(client.open(url, method=method, json={}, headers=headers), 401)
            assert error["code"] == "unauthorized", (method, url)


@pytest.mark.parametrize("role", ["viewer", "crew"])
def test_viewers_and_crews_cannot_write(client, bearer, role, unbound_code):
    asset = create(client, bearer("supervisor"))
    spare = unbound_code()
    headers = bearer(role)

    writes = [
        ("POST", "/api/v1/assets", {"type": "manhole", "name": "井", "attributes": {"network": "污水"}}),
        ("PATCH", f"/api/v1/assets/{asset['id']}", {"name": "改名", "version": 1}),
        ("POST", f"/api/v1/assets/{asset['id']}/retire", {"version": 1}),
        ("POST", "/api/v1/codes", {"type": "manhole", "count": 1}),
        ("POST", f"/api/v1/codes/{spare}/bind", {"asset_id": asset["id"]}),
        ("POST", f"/api/v1/codes/{asset['code']}/revoke", {"reason": "坏了"}),
    ]
    for method, url, body in writes:
        assert error_of(client.open(url, method=method, json=body, headers=headers), 403)["code"] == "forbidden", url

    assert client.get(f"/api/v1/assets/{asset['id']}", headers=headers).get_json() == asset
    assert client.get(f"/api/v1/codes/{spare}", headers=headers).get_json()["code"]["status"] == "unbound"
    assert len(client.get("/api/v1/assets", headers=headers).get_json()["items"]) == 1


def test_session_writes_need_the_csrf_token(app, client, users):
    assert app.config["WTF_CSRF_ENABLED"]
    token = sign_in_with_session(client, "supervisor")
    body = {"type": "manhole", "name": "浏览器里登记的井", "attributes": {"network": "污水"}}

    assert client.get("/api/v1/assets").status_code == 200
    error_of(client.post("/api/v1/assets", json=body), 400)
    assert client.get("/api/v1/assets").get_json()["items"] == []

    sent_by_our_page = client.post("/api/v1/assets", json=body, headers={"X-CSRFToken": token})
    assert sent_by_our_page.status_code == 201, sent_by_our_page.get_json()


# --- the description ----------------------------------------------------------------------------

def test_openapi_describes_paths_schemas_and_bearer_auth(client, db):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/assets", "/api/v1/assets/{asset_id}", "/api/v1/assets/by-code/{code}",
                 "/api/v1/assets/{asset_id}/retire", "/api/v1/codes", "/api/v1/codes/{code}",
                 "/api/v1/codes/{code}/bind", "/api/v1/codes/{code}/revoke", "/api/v1/areas", "/api/v1/areas/{area_id}",
                 "/api/v1/areas/by-code/{code}", "/api/v1/areas/{area_id}/retire", "/api/v1/types",
                 "/api/v1/types/{key}"):
        assert path in spec["paths"], path
    assert set(spec["paths"]["/api/v1/assets"]) == {"get", "post"}
    assert set(spec["paths"]["/api/v1/codes"]) == {"get", "post"}
    assert set(spec["paths"]["/api/v1/areas"]) == {"get", "post"}
    assert set(spec["paths"]["/api/v1/areas/{area_id}"]) - {"parameters"} == {"get", "patch"}
    assert {name["name"] for name in spec["paths"]["/api/v1/codes"]["get"]["parameters"]} == {
        "status", "type", "prefix", "asset_id", "limit", "after"}
    assert {name["name"] for name in spec["paths"]["/api/v1/areas"]["get"]["parameters"]} == {
        "parent", "level", "q", "retired", "limit", "after"}
    assert {"Asset", "AssetCreate", "AssetUpdate", "AssetPage", "Code", "CodePage", "Area", "AreaCreate", "AreaUpdate",
            "AreaPage", "Type"} <= set(spec["components"]["schemas"])
    assert "code" in spec["components"]["schemas"]["Asset"]["properties"]
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "An API token: `municipal create-token NAME`."}
    assert {"bearerAuth": []} in spec["security"]
    create_body = spec["paths"]["/api/v1/assets"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert create_body == {"$ref": "#/components/schemas/AssetCreate"}


def test_docs_page_lists_every_operation_for_a_signed_in_user(client, users):
    assert client.get("/api/docs").status_code == 302  # to the sign-in page
    sign_in_with_session(client, "viewer")
    page = client.get("/api/docs", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<script" not in html and "//cdn" not in html
    for text in ("/api/v1/assets/by-code/{code}", "PATCH", "AssetCreate", "Find facilities", "/api/v1/openapi.json"):
        assert text in html, text


@pytest.mark.parametrize("start,end,field", [
    ("1e999", 1780, "chainage_start"), ("nan", 1780, "chainage_start"), ("-5", 1780, "chainage_start"),
    ("K5+000", "K1+000", "chainage_end"),
])
def test_a_chainage_that_is_no_place_on_the_line_is_refused_by_name(client, bearer, db, area, start, end, field):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Asset))
    response = client.post("/api/v1/assets", headers=bearer(), json={
        "type": "water_pipe", "name": "福新路给水管", "area": area.code, "attributes": {"diameter_mm": 600},
        "geometry": LINE, "chainage_start": start, "chainage_end": end})
    assert response.status_code == 422 and list(response.get_json()["error"]["fields"]) == [field]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Asset)) == before


def test_ids_beyond_what_the_database_holds_are_not_found_not_errors(client, login, bearer, make_asset):
    make_asset()
    login("supervisor")
    huge = "99999999999999999999"
    assert client.get(f"/assets/{huge}").status_code == 404
    # Not a position the list gave out: refused naming it, as the API does, never a silent first page.
    assert client.get(f"/assets?after={huge}").status_code == 422
    assert client.get(f"/labels?ids={huge}").status_code == 200
    assert client.get(f"/api/v1/assets/{huge}", headers=bearer("viewer")).status_code == 404
    assert "after" in error_of(client.get(f"/api/v1/assets?after={2**31}", headers=bearer("viewer")), 422)["fields"]
