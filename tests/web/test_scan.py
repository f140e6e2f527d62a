"""The scan resolver as a phone sees it: public card, staff view, typos, revoked and unbound codes; the scan
logged by the page's beacon."""
import json
import re

import sqlalchemy as sa

from municipal.assets.identity import qr
from municipal.assets.identity import services as code_services
from municipal.assets.models import ScanLog


def scans(db):
    db.session.rollback()
    return list(db.session.scalars(sa.select(ScanLog).order_by(ScanLog.id)))


def beacon_of(page: str) -> dict:
    """What the page's beacon sends (static/js/scan.js reads the same)."""
    return json.loads(re.search(r'<script type="application/json" id="scan-beacon">(.*?)</script>', page).group(1))


def send_beacon(client, page: str, **fields):
    """The beacon as navigator.sendBeacon sends it: a form, with the page's token."""
    beacon = beacon_of(page)
    return client.post(beacon["url"], data={"token": beacon["token"], **fields}, headers={"User-Agent": "WeChat/8.0"})


def test_anonymous_scan_shows_the_public_card_without_private_details(client, db, make_asset):
    asset = make_asset("reservoir", "登云水库", owner_unit="晋安区水利局", maintenance_unit="新店镇水利站",
                       internal_notes="左坝肩渗水，待复查",
                       persons=[{"role": "patrol", "name": "林巡查", "phone": "0591-87610001"}])
    response = client.get(f"/A/{asset.code.code}", headers={"User-Agent": "WeChat/8.0", "Accept-Language": "zh-CN"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    # The persons' phones are the lines given for 公示: shown, as the law asks.
    for text in ("登云水库", "晋安区水利局", "新店镇水利站", "12345", "林巡查", "0591-87610001", "小(1)型",
                 asset.code.code):
        assert text in page
    assert "左坝肩渗水" not in page
    # The page alone logs nothing (a link prefetcher loads it too); its beacon logs the scan.
    assert scans(db) == []
    assert send_beacon(client, page).status_code == 204
    logged = scans(db)
    assert [(s.asset_id, s.code_id, s.user_id, s.user_agent, s.scanned_text) for s in logged] == [
        (asset.id, asset.code.id, None, "WeChat/8.0", asset.code.code)]


def test_staff_scan_shows_the_full_record_and_is_logged_once_with_the_user(client, db, make_asset, login):
    asset = make_asset("reservoir", "登云水库", internal_notes="左坝肩渗水",
                       persons=[{"role": "patrol", "name": "林巡查", "phone": "13805910001"}])
    user = login("crew")
    typed = asset.code.code.lower()
    page = client.get(f"/a/{typed}").get_data(as_text=True)
    assert "13805910001" in page and "左坝肩渗水" in page
    # Staff scans are logged like a citizen's, by the beacon alone: the page does not log, so never twice.
    assert scans(db) == []
    assert beacon_of(page)["ask"] is True
    assert send_beacon(client, page, text=typed).status_code == 204
    assert [(s.asset_id, s.user_id, s.scanned_text) for s in scans(db)] == [(asset.id, user.id, typed)]


def test_english_on_request(client, make_asset):
    asset = make_asset("reservoir", "登云水库")
    page = client.get(f"/A/{asset.code.code}", headers={"Accept-Language": "en-US,en"}).get_data(as_text=True)
    assert "Owner unit" in page and 'lang="en"' in page
    page = client.get(f"/A/{asset.code.code}?lang=zh").get_data(as_text=True)
    assert "产权单位" in page and 'lang="zh-CN"' in page


def test_a_mistyped_code_suggests_the_existing_one(client, make_asset):
    asset = make_asset()
    code = asset.code.code
    body = code.split("-")[1]
    typo = code.replace(body, body[:2] + ("Z" if body[2] != "Z" else "Y") + body[3:])
    response = client.get(f"/A/{typo}")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "mistyped" in page or "输错" in page
    assert code in page


def test_unknown_and_malformed_codes_get_a_friendly_404_and_are_logged(client, db):
    # Logged as the page is sent: there is no code for a beacon's token to name.
    assert client.get("/A/HELLO").status_code == 404
    assert client.get("/A/RSV-00000-0").status_code == 404
    assert [(scan.scanned_text, scan.code_id, scan.asset_id) for scan in scans(db)] == [
        ("HELLO", None, None), ("RSV-00000-0", None, None)]


def test_a_revoked_code_points_to_its_replacement(client, db, make_asset, users):
    asset = make_asset()
    old = asset.code
    old_text = old.code
    replacement = code_services.revoke_code(users["supervisor"], old, "标牌损坏")
    db.session.commit()
    page = client.get(f"/A/{old_text}").get_data(as_text=True)
    assert replacement.code in page
    assert client.get(f"/A/{replacement.code}").status_code == 200
    # The revoked label's scans are counted too (a label still out there), by the beacon.
    assert scans(db) == []
    assert send_beacon(client, page).status_code == 204
    assert [(s.code_id, s.asset_id) for s in scans(db)] == [(old.id, asset.id)]


def test_an_unbound_code_can_be_bound_on_the_spot_by_a_supervisor(client, db, make_asset, users, login):
    asset = make_asset("manhole", "无码井")
    fresh = code_services.issue_codes(users["supervisor"], "manhole", 1)[0]
    db.session.commit()
    anonymous = client.get(f"/A/{fresh.code}").get_data(as_text=True)
    assert "binding" not in anonymous
    assert send_beacon(client, anonymous).status_code == 204
    assert [(s.code_id, s.asset_id) for s in scans(db)] == [(fresh.id, None)]
    login("supervisor")
    page = client.get(f"/A/{fresh.code}").get_data(as_text=True)
    assert 'name="asset"' in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(f"/A/{fresh.code}/bind", data={"asset": str(asset.id), "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert code_services.get_code(fresh.code).asset_id == asset.id


def test_the_phone_position_comes_with_the_beacon(client, db, make_asset):
    asset = make_asset()
    page = client.get(f"/A/{asset.code.code}").get_data(as_text=True)
    response = send_beacon(client, page, lon="119.31", lat="26.09", accuracy="12")
    assert response.status_code == 204
    db.session.expire_all()
    where = scans(db)[-1].position
    assert (where.lon, where.lat, where.accuracy_m) == (119.31, 26.09, 12)
    # JSON is taken too, at the address of pages made before the beacon.
    token = beacon_of(page)["token"]
    assert client.post("/scan/position", json={"token": token, "lon": 119.3, "lat": 26.1}).status_code == 204
    assert len(scans(db)) == 2


def test_a_bad_beacon_is_refused_naming_the_field(client, db, make_asset, clock):
    from datetime import timedelta

    asset = make_asset()
    page = client.get(f"/A/{asset.code.code}").get_data(as_text=True)
    token = beacon_of(page)["token"]
    other = make_asset().code.code
    code_id, code, asset_id, day = token.rsplit(".", 1)[0].split(".")

    def refused(data, field):
        response = client.post("/scan/beacon", data=data)
        assert response.status_code == 422 and response.is_json, data
        assert field in response.get_json()["error"]["fields"], response.get_json()
        return response

    refused({}, "token")
    refused({"token": "1.forged"}, "token")
    # A token for one code cannot be made to name another.
    refused({"token": token.replace(code, other)}, "token")
    refused({"token": token, "lon": "east", "lat": "26"}, "position")
    refused({"token": token, "lon": "119.3"}, "position")
    refused({"token": token, "lon": "119.3", "lat": "26.1", "accuracy": "far"}, "accuracy")
    assert client.post("/scan/beacon", data=b"[[[", content_type="application/json").status_code == 422
    # The page's token holds for the day it was made and the next (a page opened before midnight).
    clock.advance(timedelta(days=1))
    assert client.post("/scan/beacon", data={"token": token}).status_code == 204
    clock.advance(timedelta(days=1))
    refused({"token": token}, "token")
    assert len(scans(db)) == 1


def test_qr_images_decode_to_the_scan_url(client, app, make_asset):
    import io

    import zxingcpp
    from PIL import Image

    asset = make_asset()
    png = client.get(f"/A/{asset.code.code}/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert [d.text for d in decoded] == [qr.qr_url(app.config["PUBLIC_URL"], asset.code.code)]
    svg = client.get(f"/A/{asset.code.code}/qr.svg?ec=H")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert client.get(f"/A/{asset.code.code}/qr.png?ec=X").status_code == 422


def test_the_public_card_speaks_each_visitors_language_without_changing_other_pages(app, db, make_asset):
    asset = make_asset()
    english = app.test_client().get(f"/A/{asset.code.code}?lang=en").get_data(as_text=True)
    chinese = app.test_client().get(f"/A/{asset.code.code}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "See a problem? Call the hotline" in english and "Owner unit" in english
    assert "发现问题？请拨打热线" in chinese and "产权单位" in chinese
    assert "See a problem?" not in chinese
    login = app.test_client().get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Sign in" in login and "登录" not in login
