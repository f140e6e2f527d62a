"""Responsible persons as a supervisor sets them and a citizen and a printer see them: the API, the form, the
public card and the reservoir's nameplate."""
import io

import sqlalchemy as sa
from pypdf import PdfReader

from municipal.assets.models import Asset, ResponsiblePerson
from municipal.calendar.history import engine_request, facts_for
from tests.conftest import csrf_in, token_headers

THREE = [
    {"role": "administrative", "name": "林建华", "unit": "晋安区人民政府", "position": "副区长", "phone": "0591-87610001"},
    {"role": "technical", "name": "陈志强", "unit": "晋安区登云水库管理处", "position": "高级工程师",
     "phone": "0591-87610002"},
    {"role": "patrol", "name": "黄明辉", "unit": "赤桥村民委员会", "position": "水库巡查员", "phone": "0591-87610003"},
]


def _put(client, headers, asset_id, persons, **extra):
    return client.put(f"/api/v1/assets/{asset_id}/persons", json={"persons": persons, **extra}, headers=headers)


def test_the_persons_round_trip_through_the_api(client, db, users, make_asset):
    dam = make_asset("reservoir", "登云水库")
    headers = token_headers(db, users["supervisor"])
    given = [{**THREE[0]}, {**THREE[1]}, {**THREE[2], "user_id": users["crew"].id}]
    response = _put(client, headers, dam.id, given)
    assert response.status_code == 200, response.json
    assert response.json["persons"] == [{**p, "user_id": p.get("user_id")} for p in given]
    read = client.get(f"/api/v1/assets/{dam.id}/persons", headers=token_headers(db, users["viewer"], ("read",)))
    assert read.status_code == 200 and read.json["persons"] == response.json["persons"]


def test_a_river_names_its_chiefs_by_level_and_they_reach_the_calendar(client, db, users, make_asset):
    river = make_asset("river_segment", "晋安河新店镇第1段", geometry={
        "type": "LineString", "coordinates": [[119.31, 26.12], [119.314, 26.1]]})
    headers = token_headers(db, users["supervisor"])
    chiefs = [{"role": "district", "name": "郑国平", "unit": "晋安区人民政府", "phone": "0591-87620001"},
              {"role": "river_keeper", "name": "王春生", "unit": "新店镇河道保洁队", "phone": "0591-87620002",
               "river_chief_day": True}]
    response = _put(client, headers, river.id, chiefs)
    assert response.status_code == 200, response.json
    assert [(p["role"], p["name"], p["river_chief_day"]) for p in response.json["persons"]] == [
        ("district", "郑国平", False), ("river_keeper", "王春生", True)]
    db.session.expire_all()
    asset = db.session.get(Asset, river.id)
    assert [(p.role, p.level) for p in asset.persons] == [("chief", "district"), ("chief", "river_keeper")]


def test_an_unknown_role_or_a_missing_name_is_a_422_naming_the_person_and_nothing_is_written(client, db, users,
                                                                                          make_asset):
    dam = make_asset("reservoir", "登云水库", persons=[THREE[0]])
    headers = token_headers(db, users["supervisor"])
    response = _put(client, headers, dam.id, [THREE[0], {"role": "river_keeper", "name": "王春生"},
                                              {"role": "patrol", "name": "  "}])
    assert response.status_code == 422
    fields = response.json["error"]["fields"]
    assert "persons.1.role" in fields and "persons.2.name" in fields and "persons.0.role" not in fields
    missing = _put(client, headers, dam.id, [{"role": "technical", "unit": "管理处"}])
    assert missing.status_code == 422 and "persons.0.name" in missing.json["error"]["fields"]
    toilet = make_asset("public_toilet", "茶园社区公厕1号", geometry={"type": "Point", "coordinates": [119.31, 26.09]})
    wrong = _put(client, headers, toilet.id, [{"role": "building_chief", "name": "林建华"}])
    assert wrong.status_code == 422 and "persons.0.role" in wrong.json["error"]["fields"]
    assert _put(client, headers, toilet.id, [{"role": "toilet_chief", "name": "林建华"}]).status_code == 200
    db.session.expire_all()
    assert [p.name for p in db.session.get(Asset, dam.id).persons] == ["林建华"]


def test_a_crew_member_may_read_but_not_change_the_persons(client, db, users, make_asset):
    dam = make_asset("reservoir", "登云水库", persons=[THREE[0]])
    headers = token_headers(db, users["crew"])
    assert client.get(f"/api/v1/assets/{dam.id}/persons", headers=headers).status_code == 200
    assert _put(client, headers, dam.id, THREE).status_code == 403


def test_the_staff_form_saves_the_persons_and_says_the_phone_is_public(client, db, users, make_asset, login):
    dam = make_asset("reservoir", "登云水库")
    login("supervisor")
    detail = client.get(f"/A/{dam.code.code}").get_data(as_text=True)
    assert f"/assets/{dam.id}/persons" in detail
    page = client.get(f"/assets/{dam.id}/persons").get_data(as_text=True)
    assert "0591" in page and "公示" in page
    form = {"csrf_token": csrf_in(page), "version": str(dam.version)}
    for i, person in enumerate(THREE):
        form.update({f"persons-{i}-{key}": value for key, value in person.items()})
    form["persons-2-user_id"] = str(users["crew"].id)
    response = client.post(f"/assets/{dam.id}/persons", data=form)
    assert response.status_code == 302
    db.session.expire_all()
    persons = db.session.get(Asset, dam.id).persons
    assert [(p.role, p.name, p.unit, p.phone) for p in persons] == [
        (p["role"], p["name"], p["unit"], p["phone"]) for p in THREE]
    assert persons[2].user_id == users["crew"].id

    form["persons-1-name"] = ""
    form["persons-1-role"] = "technical"
    refused = client.post(f"/assets/{dam.id}/persons", data={**form, "version": str(persons[0].asset.version)})
    assert refused.status_code == 422 and "error" in refused.get_data(as_text=True)


def test_the_public_card_shows_the_three_persons_and_never_a_user_s_own_details(client, db, users, make_asset):
    dam = make_asset("reservoir", "登云水库", persons=THREE[:2])
    crew = users["crew"]
    crew.email, crew.display_name = "chen.private@example.com", "巡查员陈师傅私人"
    db.session.commit()
    code = dam.code.code
    first = client.get(f"/A/{code}")
    assert "黄明辉" not in first.get_data(as_text=True)
    headers = token_headers(db, users["supervisor"])
    assert _put(client, headers, dam.id, [THREE[0], THREE[1], {**THREE[2], "user_id": crew.id}]).status_code == 200
    # The card is kept per facility version: the change of persons moves it on, so the card changes at once.
    again = client.get(f"/A/{code}", headers={"If-None-Match": first.headers["ETag"]})
    page = again.get_data(as_text=True)
    assert again.status_code == 200
    for person in THREE:
        assert person["name"] in page and person["phone"] in page and person["unit"] in page
    assert "chen.private@example.com" not in page and "巡查员陈师傅私人" not in page and "crew" not in page


def test_the_reservoir_nameplate_prints_the_three_persons_and_the_supervision_hotline(client, db, users, make_asset,
                                                                                       login):
    dam = make_asset("reservoir", "登云水库", persons=THREE)
    login("supervisor")
    page = client.get(f"/labels?ids={dam.id}").get_data(as_text=True)
    response = client.post("/labels", data={"csrf_token": csrf_in(page), "ids": str(dam.id), "preset": "nameplate"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages).replace(" ", "")
    assert "监督电话：12345" in text
    for person in THREE:
        for value in (person["name"], person["phone"], person["unit"]):
            assert value.replace(" ", "") in text, value
    for role in ("行政责任人", "技术责任人", "巡查责任人"):
        assert role in text


def test_a_reservoir_s_engine_input_carries_its_responsible_persons(db, users, make_asset, app):
    dam = make_asset("reservoir", "登云水库", persons=THREE[:2])
    with app.test_request_context():
        asset = db.session.scalar(sa.select(Asset).where(Asset.id == dam.id))
        request = engine_request(asset, facts_for([asset], asset.created_at.date())[asset.id],
                                 asset.created_at.date(), asset.created_at.date(), asset.created_at.date())
    persons = request["asset"]["attributes"]["responsible_persons"]
    assert set(persons) == {"administrative", "technical"}
    assert persons["technical"] == {"name": "陈志强", "unit": "晋安区登云水库管理处", "position": "高级工程师",
                                    "phone": "0591-87610002"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ResponsiblePerson)) == 2


def test_the_work_order_page_says_which_rule_gave_the_work(client, db, users, make_asset, login):
    from datetime import timedelta

    from municipal.db import utcnow
    from municipal.people import services as people
    from municipal.workorders.services import create_many_from_calendar

    dam = make_asset("reservoir", "登云水库")
    rule = people.create_rule(users["admin"], asset_type="reservoir", user_id=users["crew"].id)
    [order_id] = create_many_from_calendar([{"asset": dam, "kind": "inspection", "title": "日常巡查", "description": "",
                                             "priority": "normal", "due_at": utcnow() + timedelta(days=1),
                                             "with_checklist": False}])
    db.session.commit()
    login("supervisor")
    page = client.get(f"/work/{order_id}").get_data(as_text=True)
    assert "派单依据" in page and f"派单规则 #{rule.id}" in page
    rules_page = client.get("/assignment-rules").get_data(as_text=True)
    assert "登云水库" not in rules_page and "crew" in rules_page
