"""Open311 GeoReport v2 as another system uses it: every endpoint in JSON and XML (read by a real XML
parser), keys, the spec's errors, and a request followed from POST to closed."""
import json
from io import BytesIO
from pathlib import Path
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from PIL import Image

from municipal.intake import open311_keys
from municipal.intake.models import CitizenReport, Open311Key
from tests.conftest import csrf_token

BASE = "/open311/v2"


@pytest.fixture
def key(db):
    _row, plain = open311_keys.create_key("12345 platform")
    db.session.commit()
    return plain


def xml(response) -> ElementTree.Element:
    assert response.content_type.startswith("text/xml")
    return ElementTree.fromstring(response.data)


def jpeg() -> BytesIO:
    buffer = BytesIO()
    Image.new("RGB", (80, 60), (90, 90, 90)).save(buffer, "JPEG")
    buffer.seek(0)
    return buffer


def post(client, key, fmt="json", headers=None, address="127.0.0.1", **fields):
    data = {"api_key": key, "service_code": "crack", "description": "坝顶有裂缝", **fields}
    return client.post(f"{BASE}/requests.{fmt}", data=data, content_type="multipart/form-data", headers=headers,
                       environ_overrides={"REMOTE_ADDR": address})


def test_discovery_in_json_and_xml(client):
    found = client.get("/open311/discovery.json").json
    endpoint = found["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://municipal.test/open311/v2" and "text/xml" in endpoint["formats"]
    root = xml(client.get("/open311/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["application/json", "text/xml"]
    assert root.findtext("endpoints/endpoint/url") == "http://municipal.test/open311/v2"


def test_services_and_a_definition_with_the_asset_code_attribute(client):
    services = client.get(f"{BASE}/services.json").json
    crack = next(s for s in services if s["service_code"] == "crack")
    assert crack["metadata"] is True and crack["type"] == "realtime" and crack["service_name"]
    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and {s.findtext("service_code") for s in root.findall("service")} >= {"crack", "leaking"}
    assert root.find("service").findtext("metadata") == "true"
    definition = client.get(f"{BASE}/services/crack.json").json
    assert definition["service_code"] == "crack"
    assert definition["attributes"][0]["code"] == "asset_code" and definition["attributes"][0]["datatype"] == "string"
    root = xml(client.get(f"{BASE}/services/crack.xml"))
    assert root.tag == "service_definition" and root.findtext("attributes/attribute/code") == "asset_code"
    assert root.findtext("attributes/attribute/variable") == "true"
    missing = client.get(f"{BASE}/services/nothing.xml")
    assert missing.status_code == 404 and xml(missing).tag == "errors"


def test_jurisdiction(app, client):
    app.config["OPEN311_JURISDICTION"] = "jinan.fz.gov.cn"
    try:
        assert client.get(f"{BASE}/services.json?jurisdiction_id=jinan.fz.gov.cn").status_code == 200
        assert client.get(f"{BASE}/services.json").status_code == 200
        wrong = client.get(f"{BASE}/services.json?jurisdiction_id=sf.gov")
        assert wrong.status_code == 404 and wrong.json[0]["code"] == 404 and wrong.json[0]["description"]
        root = xml(client.get(f"{BASE}/requests.xml?jurisdiction_id=sf.gov"))
        assert root.tag == "errors" and root.findtext("error/code") == "404"
    finally:
        app.config["OPEN311_JURISDICTION"] = ""


def test_keys_are_made_listed_and_revoked_on_the_command_line(app, db, client):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["open311", "keys", "create", "city app"])
    assert made.exit_code == 0
    plain = made.output.strip()
    row = db.session.scalar(sa.select(Open311Key).where(Open311Key.name == "city app"))
    assert row.key_hash != plain and plain not in row.key_hash and plain.startswith(row.prefix)
    assert "city app" in runner.invoke(args=["open311", "keys", "list"]).output
    assert post(client, plain).status_code == 201
    assert runner.invoke(args=["open311", "keys", "revoke", "city app"]).exit_code == 0
    assert "吊销" in runner.invoke(args=["open311", "keys", "list"]).output
    refused = post(client, plain)
    assert refused.status_code == 403 and refused.json[0]["code"] == 403
    assert runner.invoke(args=["open311", "keys", "create", "city app"]).exit_code == 2


@pytest.mark.parametrize("fields, name", [
    ({"service_code": ""}, "service_code"),
    ({"lat": "95", "long": "119.3"}, "position"),
    ({"lat": "26.1"}, "position"),
    ({"attribute[asset_code]": "MH-ZZZZZ-Z"}, "asset_code"),
    ({"description": "裂" * 2001}, "description"),
])
def test_bad_requests_get_the_spec_errors_and_write_nothing(client, db, key, fields, name):
    for fmt in ("json", "xml"):
        response = post(client, key, fmt, **fields)
        assert response.status_code == 400
        if fmt == "json":
            assert response.json[0]["code"] == 400 and name in response.json[0]["description"]
        else:
            assert xml(response).findtext("error/code") == "400"
    assert db.session.scalar(sa.select(sa.func.count(CitizenReport.id))) == 0


def test_a_file_that_is_not_an_image_is_refused_and_not_stored(app, client, db, key):
    stored = lambda: sorted(Path(app.config["MEDIA_DIR"]).rglob("*.jpg"))
    before = stored()
    response = post(client, key, media=(BytesIO(b"%PDF-1.4 not a photo"), "x.jpg"))
    assert response.status_code == 400 and response.json[0]["description"].startswith("photo")
    assert db.session.scalar(sa.select(sa.func.count(CitizenReport.id))) == 0
    assert stored() == before


def test_a_wrong_key_is_403_in_both_formats(client, key):
    assert post(client, "nope").status_code == 403
    assert xml(post(client, "nope", "xml")).findtext("error/code") == "403"


def test_post_with_asset_code_photo_and_media_url_then_read_it_back(client, db, key, make_asset):
    asset = make_asset(name="鼓山路3号井")
    response = post(client, key, "xml", **{"attribute[asset_code]": asset.code.code.lower(), "lat": "26.09",
                                            "long": "119.31", "media": (jpeg(), "p.jpg"), "phone": "13905910002",
                                            "first_name": "陈", "address_string": "鼓山路3号"})
    assert response.status_code == 201
    root = xml(response)
    number, token = root.findtext("request/service_request_id"), root.findtext("request/token")
    report = db.session.scalar(sa.select(CitizenReport).where(CitizenReport.number == number))
    assert report.asset_id == asset.id and report.photo_path and report.contact_phone == "13905910002"
    assert report.priority == "urgent"  # 裂缝 in a crack report
    assert client.get(f"{BASE}/tokens/{token}.json").json == [{"service_request_id": number, "token": token}]
    assert xml(client.get(f"{BASE}/tokens/{token}.xml")).findtext("request/service_request_id") == number
    anonymous = client.get(f"{BASE}/requests/{number}.json").json[0]
    assert anonymous["status"] == "open" and anonymous["service_code"] == "crack"
    assert anonymous["media_url"] is None
    assert anonymous["description"] is None and anonymous["lat"] is None  # the reporter's words and place
    assert anonymous["agency_responsible"] == "鼓山镇" and anonymous["expected_datetime"].endswith("+08:00")
    assert "13905910002" not in json.dumps(anonymous)
    keyed = client.get(f"{BASE}/requests/{number}.json?api_key={key}").json[0]
    assert (keyed["description"], keyed["lat"], keyed["long"], keyed["address"]) == ("坝顶有裂缝", 26.09, 119.31, "鼓山路3号")
    photo_url = keyed["media_url"]
    assert photo_url.startswith(f"http://municipal.test/report/photo/{number}.jpg?s=")
    photo = client.get(photo_url.removeprefix("http://municipal.test"))
    assert photo.status_code == 200 and photo.data[:2] == b"\xff\xd8"
    photo.close()
    assert client.get(f"/report/photo/{number}.jpg").status_code == 404
    assert client.get(f"/report/photo/{number}.jpg?s=0000").status_code == 404
    root = xml(client.get(f"{BASE}/requests/{number}.xml"))
    assert root.tag == "service_requests" and root.findtext("request/status") == "open"
    assert root.findtext("request/requested_datetime") == "2026-11-26T10:00:00+08:00"
    other = post(client, key, description="", media_url="https://city.example/p/1.jpg", service_code="dirty").json[0]
    assert client.get(f"{BASE}/requests/{other['service_request_id']}.json?api_key={key}").json[0]["media_url"] == \
        "https://city.example/p/1.jpg"
    assert client.get(f"{BASE}/requests/R-00000000.json").status_code == 404


def test_requests_filters(client, db, key, clock):
    from datetime import timedelta

    first = post(client, key, service_code="leaking", description="水管漏水").json[0]["service_request_id"]
    clock.set(clock.now() + timedelta(days=2))
    second = post(client, key, service_code="dirty", description="很脏很脏").json[0]["service_request_id"]
    report = db.session.scalar(sa.select(CitizenReport).where(CitizenReport.number == second))
    report.status, report.reply = "closed", "已清理"
    db.session.commit()
    ids = lambda query: [r["service_request_id"] for r in client.get(f"{BASE}/requests.json?{query}").json]
    assert ids("") == [second, first]
    assert ids("status=closed") == [second] and ids("status=open") == [first] and len(ids("status=open,closed")) == 2
    assert ids("service_code=leaking") == [first]
    assert ids("start_date=2026-11-27T00:00:00%2B08:00") == [second]
    assert ids("end_date=2026-11-27T00:00:00Z") == [first]
    assert ids(f"service_request_id={first},{second.lower()}&status=open") == [second, first]
    closed = [r for r in xml(client.get(f"{BASE}/requests.xml?status=closed")).findall("request")]
    assert [r.findtext("status_notes") for r in closed] == ["已清理"]
    assert client.get(f"{BASE}/requests.json?status=gone").status_code == 400
    assert client.get(f"{BASE}/requests.xml?start_date=yesterday").status_code == 400


def test_requests_are_limited_per_key_and_per_address_whatever_the_user_agent_in_the_spec_format(app, client, db, key):
    _row, other = open311_keys.create_key("city app")
    db.session.commit()
    app.config["OPEN311_RATE_LIMIT"], saved = 2, app.config["OPEN311_RATE_LIMIT"]
    try:
        for n in range(2):
            assert post(client, key, headers={"User-Agent": f"Platform/{n}"}).status_code == 201
        refused = post(client, key, headers={"User-Agent": "Something else"})
        assert refused.status_code == 429
        assert [error["code"] for error in refused.json] == [429] and "api_key" in refused.json[0]["description"]
        assert xml(post(client, key, "xml")).findtext("error/code") == "429"
        # Another key from the same address counts with the address; the same key from elsewhere, with the key.
        assert post(client, other).status_code == 429
        assert post(client, key, address="10.9.9.9").status_code == 429
        assert post(client, other, address="10.9.9.9").status_code == 201
    finally:
        app.config["OPEN311_RATE_LIMIT"] = saved
    assert db.session.scalar(sa.select(sa.func.count(CitizenReport.id))) == 3
    # A citizen behind the same address as the platform keeps their own share of the form.
    path = "/report"
    form = {"category": "damaged", "description": "井盖破损", "csrf_token": csrf_token(client, path)}
    assert client.post(path, data=form, content_type="multipart/form-data").status_code == 302


def test_requests_on_one_facility_count_toward_its_limit_with_the_citizens_reports(app, client, db, key, make_asset):
    asset = make_asset(name="鼓山路3号井")
    app.config["REPORT_RATE_LIMIT_PER_CODE"], saved = 2, app.config["REPORT_RATE_LIMIT_PER_CODE"]
    try:
        statuses = [post(client, key, address=f"10.0.0.{n}", **{"attribute[asset_code]": asset.code.code}).status_code
                    for n in range(3)]
    finally:
        app.config["REPORT_RATE_LIMIT_PER_CODE"] = saved
    assert statuses == [201, 201, 429]


@pytest.mark.parametrize("method, path, allowed", [
    ("DELETE", "v2/requests.json", {"GET", "POST"}),
    ("PUT", "v2/requests.xml", {"GET", "POST"}),
    ("POST", "v2/services.json", {"GET"}),
    ("DELETE", "v2/requests/R-00000000.xml", {"GET"}),
    ("PATCH", "discovery.json", {"GET"}),
])
def test_a_method_not_allowed_is_a_405_in_the_spec_format_with_its_allow_header(client, method, path, allowed):
    response = client.open(f"/open311/{path}", method=method)
    assert response.status_code == 405
    assert {name.strip() for name in response.headers["Allow"].split(",")} >= allowed
    if path.endswith(".xml"):
        root = xml(response)
        assert root.tag == "errors" and root.findtext("error/code") == "405" and root.findtext("error/description")
    else:
        assert response.content_type.startswith("application/json")
        assert [error["code"] for error in response.json] == [405] and response.json[0]["description"]


def test_an_unknown_path_is_a_404_in_the_spec_format(client):
    assert client.get(f"{BASE}/nothing.json").json[0]["code"] == 404
    assert xml(client.get(f"{BASE}/nothing/at/all.xml")).findtext("error/code") == "404"
    # Elsewhere the API's own error format stays.
    elsewhere = client.delete("/api/v1/public/reports")
    assert elsewhere.status_code == 405 and elsewhere.json["error"]["code"] == "http_405"
    assert "POST" in elsewhere.headers["Allow"]
