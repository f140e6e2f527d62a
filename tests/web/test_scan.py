"""The scan resolver as a phone sees it: public card, staff view, typos, revoked and unbound codes."""
import sqlalchemy as sa

from municipal.assets.identity import qr
from municipal.assets.identity import services as code_services
from municipal.assets.models import ScanLog


def scans(db):
    return list(db.session.scalars(sa.select(ScanLog).order_by(ScanLog.id)))


def test_anonymous_scan_shows_the_public_card_without_private_details(client, db, make_asset):
    asset = make_asset("reservoir", "登云水库", owner_unit="晋安区水利局", maintenance_unit="新店镇水利站",
                       internal_notes="左坝肩渗水，待复查",
                       persons=[{"role": "patrol", "name": "林巡查", "phone": "13805910001"}])
    response = client.get(f"/A/{asset.code.code}", headers={"User-Agent": "WeChat/8.0", "Accept-Language": "zh-CN"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in ("登云水库", "晋安区水利局", "新店镇水利站", "12345", "林巡查", "小(1)型", asset.code.code):
        assert text in page
    assert "13805910001" not in page and "左坝肩渗水" not in page
    logged = scans(db)
    assert [(s.asset_id, s.user_id, s.user_agent) for s in logged] == [(asset.id, None, "WeChat/8.0")]


def test_staff_scan_shows_the_full_record_and_is_logged_with_the_user(client, db, make_asset, login):
    asset = make_asset("reservoir", "登云水库", internal_notes="左坝肩渗水",
                       persons=[{"role": "patrol", "name": "林巡查", "phone": "13805910001"}])
    user = login("crew")
    page = client.get(f"/a/{asset.code.code.lower()}").get_data(as_text=True)
    assert "13805910001" in page and "左坝肩渗水" in page
    assert scans(db)[-1].user_id == user.id


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


def test_an_unbound_code_can_be_bound_on_the_spot_by_a_supervisor(client, db, make_asset, users, login):
    asset = make_asset("manhole", "无码井")
    fresh = code_services.issue_codes(users["supervisor"], "manhole", 1)[0]
    db.session.commit()
    assert "binding" not in client.get(f"/A/{fresh.code}").get_data(as_text=True)
    login("supervisor")
    page = client.get(f"/A/{fresh.code}").get_data(as_text=True)
    assert 'name="asset"' in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(f"/A/{fresh.code}/bind", data={"asset": str(asset.id), "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert code_services.get_code(fresh.code).asset_id == asset.id


def test_the_phone_position_is_recorded_with_a_signed_token(client, db, make_asset):
    asset = make_asset()
    page = client.get(f"/A/{asset.code.code}").get_data(as_text=True)
    token = page.split('"token": "')[1].split('"')[0]
    response = client.post("/scan/position", json={"token": token, "lon": 119.31, "lat": 26.09, "accuracy": 12})
    assert response.status_code == 200
    db.session.expire_all()
    where = scans(db)[-1].position
    assert (where.lon, where.lat, where.accuracy_m) == (119.31, 26.09, 12)
    forged = client.post("/scan/position", json={"token": "1.forged", "lon": 0, "lat": 0})
    assert forged.status_code == 422 and forged.get_json()["error"]["fields"]["token"]
    bad = client.post("/scan/position", json={"token": token, "lon": "east", "lat": 26})
    assert bad.status_code == 422 and "position" in bad.get_json()["error"]["fields"]


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
