"""The report form without a code: its pin map, the nearby answer it asks for, a facility picked near the pin,
我也遇到 added to a report already there, and what the supervisor then sees. Real SQLite and PostgreSQL."""
import json
import re

import sqlalchemy as sa

from municipal.intake import services
from municipal.intake.models import CitizenReport
from tests.conftest import csrf_token
from tests.services.test_pin import PIN, north, point
from tests.web.test_intake_web import PHONE, jpeg, send

NEARBY = "/api/v1/public/reports/nearby"


def nearby(client, **args):
    return client.get(NEARBY, query_string=args, headers=PHONE)


def test_the_form_without_a_code_offers_a_pin_map_with_its_script_in_files(client, db, make_asset):
    page = client.get("/report", headers=PHONE).get_data(as_text=True)
    assert 'id="pin-map"' in page and "js/pin.js" in page and "vendor/leaflet/leaflet.js" in page
    assert "使用我的位置" in page and "问题在哪里？" in page
    config = json.loads(re.search(r'<script type="application/json" id="map-config">(.*?)</script>', page, re.S)
                        .group(1))
    assert config["nearby"] == NEARBY and config["tiles"]["kind"] == "none"
    assert config["words"]["already"] == "已有人报告"
    # Every script is a file of ours: the one inline script tag is data, which the policy does not run.
    assert re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page) == []
    # The form reached by a label's code names its facility already: no pin there.
    well = make_asset(name="鼓山路1号井")
    assert 'id="pin-map"' not in client.get(f"/A/{well.code.code}/report", headers=PHONE).get_data(as_text=True)


def test_nearby_answers_the_facilities_within_50_m_and_the_open_report_already_there(client, db, make_asset):
    well = make_asset(name="路口雨水井", geometry=point(north(12)))
    make_asset(name="远处的井", geometry=point(north(70)))
    first = services.submit_report(category="blocked", description="雨水井堵塞", fingerprint="a", lon=PIN[0],
                                   lat=PIN[1])
    db.session.commit()
    answer = nearby(client, lon=PIN[0], lat=PIN[1], category="blocked").get_json()
    assert [(f["id"], f["name"], f["type_label"]) for f in answer["facilities"]] == [(well.id, "路口雨水井", "检查井")]
    assert round(answer["facilities"][0]["distance_m"]) == 12
    [duplicate] = answer["duplicates"]
    assert (duplicate["number"], duplicate["status_label"]) == (first.number, "已受理")
    assert duplicate["status_url"] == f"/report/status?number={first.number}"
    assert "contact" not in json.dumps(answer) and "fingerprint" not in json.dumps(answer)
    # Without a category there is nothing to compare; with another, nothing the same.
    assert nearby(client, lon=PIN[0], lat=PIN[1]).get_json()["duplicates"] == []
    assert nearby(client, lon=PIN[0], lat=PIN[1], category="leaking").get_json()["duplicates"] == []


def test_a_bad_position_is_a_422_naming_the_field(client, db):
    for args, fields in (({"lon": "abc", "lat": "26.1"}, {"lon"}), ({"lon": "119.3", "lat": "91"}, {"lat"}),
                         ({"lon": "-181", "lat": "26.1"}, {"lon"}), ({}, {"lon", "lat"}),
                         ({"lon": "119.3", "lat": "26.1", "category": "ufo"}, {"category"})):
        response = nearby(client, **args)
        assert response.status_code == 422, args
        assert set(response.get_json()["error"]["fields"]) == fields


def test_a_facility_picked_near_the_pin_is_tied_to_the_report_and_a_far_one_is_refused(client, db, make_asset):
    near = make_asset(name="近处的井", geometry=point(north(30)))
    far = make_asset(name="远处的井", geometry=point(north(90)))
    lon, lat = (f"{v:.6f}" for v in PIN)
    refused = send(client, "/report", category="blocked", lon=lon, lat=lat, facility=str(far.id))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "请从图钉附近推荐的设施中选择一个" in page
    # The pin and the choice come back, for the script to put them where they were.
    assert f'name="lon" value="{lon}"' in page and f'data-chosen="{far.id}"' in page
    assert send(client, "/report", category="blocked", lon=lon, lat=lat, facility=str(near.id)).status_code == 302
    assert send(client, "/report", category="blocked", lon=lon, lat=lat, facility="").status_code == 302
    rows = db.session.execute(sa.select(CitizenReport.asset_id, CitizenReport.geo_key)
                              .order_by(CitizenReport.id)).all()
    assert [r.asset_id for r in rows] == [near.id, None] and all(r.geo_key for r in rows)
    bad = send(client, "/report", category="blocked", lon="east", lat=lat)
    assert bad.status_code == 422 and "位置无效" in bad.get_data(as_text=True)


def test_i_have_seen_it_too_adds_to_the_report_and_the_supervisor_sees_them_linked(client, db, login):
    first = services.submit_report(category="blocked", description="雨水井堵塞", fingerprint="a", lon=PIN[0],
                                   lat=PIN[1])
    db.session.commit()
    response = send(client, "/report", category="blocked", description="水已经漫到人行道", join=first.number,
                    lon=f"{north(6)[0]:.6f}", lat=f"{north(6)[1]:.6f}", photo=(jpeg(), "IMG_0002.JPG"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/report/status?number={first.number}")
    status = client.get(response.headers["Location"], headers=PHONE).get_data(as_text=True)
    assert f"已补充到报告 {first.number}" in status
    added = db.session.scalar(sa.select(CitizenReport).where(CitizenReport.merged_into_id == first.id))
    assert (added.description, added.status) == ("水已经漫到人行道", "closed") and added.photo_path
    login("supervisor")
    page = client.get(f"/reports/{first.id}").get_data(as_text=True)
    assert "其他市民的报告（已合并到此）" in page
    assert added.number in page and "水已经漫到人行道" in page
    unknown = send(client, "/report", category="blocked", join="R-00000000", csrf_token=csrf_token(client, "/report"))
    assert unknown.status_code == 404
