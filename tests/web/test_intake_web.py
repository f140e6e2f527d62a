"""Citizen reports as a phone and a supervisor see them: form, tracking number, status page, triage."""
import random
import re
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from municipal.assets.models import Area
from municipal.auth.services import create_user
from municipal.intake.models import CitizenReport
from tests.conftest import PASSWORD, csrf_token

PHONE = {"User-Agent": "Mozilla/5.0 (iPhone) MicroMessenger/8.0", "Accept-Language": "zh-CN"}


def jpeg() -> BytesIO:
    buffer = BytesIO()
    Image.new("RGB", (80, 60), (90, 90, 90)).save(buffer, "JPEG")
    buffer.seek(0)
    return buffer


def send(client, path, **fields):
    data = {"category": "damaged", "description": "井盖破损，有行人踩空的危险", "csrf_token": csrf_token(client, path),
            **fields}
    return client.post(path, data=data, headers=PHONE, content_type="multipart/form-data")


def send_large(client, path, photo: bytes, **fields):
    """send(), the body encoded here in memory: the test client spools a body over 500 KB to a file it never
    closes."""
    boundary, body = encode_multipart({
        "category": "damaged", "description": "井盖破损", "csrf_token": csrf_token(client, path), **fields,
        "photo": FileStorage(BytesIO(photo), "IMG_0001.JPG", content_type="image/jpeg")})
    return client.post(path, data=body, headers=PHONE, content_type=f"multipart/form-data; boundary={boundary}")


def tracking_number(response) -> str:
    return re.search(r"R-[0-9A-Z]{8}", response.headers["Location"]).group(0)


def test_the_scan_card_links_to_the_report_form_for_its_facility(client, make_asset):
    asset = make_asset(name="鼓山路3号井")
    card = client.get(f"/A/{asset.code.code}", headers=PHONE).get_data(as_text=True)
    assert f'href="/A/{asset.code.code}/report"' in card
    form = client.get(f"/a/{asset.code.code.lower()}/report", headers=PHONE).get_data(as_text=True)
    assert "鼓山路3号井" in form and 'accept="image/*"' in form and 'capture="environment"' in form
    assert "报告问题" in form or "Report a problem" in form


def test_a_citizen_reports_with_a_photo_and_follows_it_without_contact_leaking(client, db, make_asset):
    asset = make_asset(name="鼓山路3号井")
    response = send(client, f"/A/{asset.code.code}/report", photo=(jpeg(), "IMG_0001.JPG"),
                    contact_name="陈女士", contact_phone="13905910002")
    assert response.status_code == 302
    number = tracking_number(response)
    assert number in client.get(response.headers["Location"], headers=PHONE).get_data(as_text=True)
    report = db.session.scalar(sa.select(CitizenReport).where(CitizenReport.number == number))
    assert (report.asset_id, report.contact_phone) == (asset.id, "13905910002") and report.photo_path
    page = client.get(f"/report/status?number={number.lower()}", headers=PHONE).get_data(as_text=True)
    assert number in page and "鼓山路3号井" in page
    assert "13905910002" not in page and "陈女士" not in page


def test_a_report_without_a_code_and_without_a_photo(client, db):
    response = send(client, "/report", category="blocked", description="路口雨水井堵塞，积水很深")
    assert response.status_code == 302
    report = db.session.scalar(sa.select(CitizenReport))
    assert (report.asset_id, report.photo_path, report.category) == (None, None, "blocked")


def test_a_file_that_is_not_an_image_is_refused_with_a_message(client, db):
    response = send(client, "/report", photo=(BytesIO(b"MZ\x90\x00 not a picture"), "photo.jpg"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "不是图片" in page or "not an image" in page
    assert "井盖破损" in page  # what the citizen typed is still there
    assert db.session.scalar(sa.select(sa.func.count(CitizenReport.id))) == 0


def test_unknown_codes_and_numbers_answer_404(client, db):
    assert client.get("/A/RSV-00000-0/report").status_code == 404
    assert client.get("/A/HELLO/report").status_code == 404
    assert client.get("/report/status?number=R-00000000").status_code == 404
    assert client.get("/report/status?number=nonsense").status_code == 404


def test_too_many_reports_from_one_client_answer_429(app, client, db):
    for _ in range(app.config["REPORT_RATE_LIMIT"]):
        assert send(client, "/report").status_code == 302
    response = send(client, "/report")
    assert response.status_code == 429
    assert "小时" in response.get_data(as_text=True) or "hour" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(CitizenReport.id))) == app.config["REPORT_RATE_LIMIT"]


def test_anonymous_and_crew_cannot_reach_triage(client, db, login):
    send(client, "/report")
    report = db.session.scalar(sa.select(CitizenReport))
    response = client.get("/reports/triage")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get(f"/reports/{report.id}").status_code == 302
    login("crew")
    assert client.get("/reports/triage").status_code == 403
    assert "13905910002" not in client.get(f"/reports/{report.id}").get_data(as_text=True)


def test_a_supervisor_of_another_area_does_not_see_the_report(client, db, area, make_asset, login):
    other = Area(code="xindian", name="新店镇", level="town", parent=area.parent)
    db.session.add(other)
    db.session.flush()
    other.path = f"{area.parent.path}{other.id}/"
    stranger = create_user("xindian_sup", PASSWORD, "supervisor")
    stranger.areas.append(other)
    db.session.commit()
    asset = make_asset(name="鼓山路3号井")
    send(client, f"/A/{asset.code.code}/report", contact_phone="13905910002")
    report = db.session.scalar(sa.select(CitizenReport))

    login("supervisor")
    triage = client.get("/reports/triage").get_data(as_text=True)
    assert report.number in triage
    assert "13905910002" in client.get(f"/reports/{report.id}").get_data(as_text=True)

    with client.session_transaction() as session:
        session.clear()
    client.post("/login", data={"username": "xindian_sup", "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert report.number not in client.get("/reports/triage").get_data(as_text=True)
    assert client.get(f"/reports/{report.id}").status_code == 404


def test_closing_with_a_reply_shows_the_reply_on_the_status_page(client, db, login):
    send(client, "/report")
    report = db.session.scalar(sa.select(CitizenReport))
    login("supervisor")
    path = f"/reports/{report.id}"
    empty = client.post(f"{path}/close", data={"reply": "", "csrf_token": csrf_token(client, path)})
    assert empty.status_code == 422
    response = client.post(f"{path}/close", data={"reply": "已更换井盖，感谢您的反映", "csrf_token": csrf_token(client, path)})
    assert response.status_code == 302
    with client.session_transaction() as session:
        session.clear()
    page = client.get(f"/report/status?number={report.number}", headers=PHONE).get_data(as_text=True)
    assert "已更换井盖，感谢您的反映" in page


def test_a_supervisor_makes_a_work_order_from_a_report(client, db, make_asset, login):
    pytest.importorskip("municipal.workorders.services")
    asset = make_asset(name="鼓山路3号井")
    send(client, f"/A/{asset.code.code}/report")
    report = db.session.scalar(sa.select(CitizenReport))
    login("supervisor")
    path = f"/reports/{report.id}"
    response = client.post(f"{path}/accept", data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 302
    db.session.expire_all()
    report = db.session.get(CitizenReport, report.id)
    assert report.status == "accepted" and report.work_order_id


def test_a_short_description_is_enough_and_a_photo_alone_too(client, db, make_asset):
    asset = make_asset(name="登云水库", type="reservoir")
    assert send(client, f"/A/{asset.code.code}/report", category="crack", description="坝顶有裂缝").status_code == 302
    assert send(client, f"/A/{asset.code.code}/report", category="crack", description="",
                photo=(jpeg(), "a.jpg")).status_code == 302
    refused = send(client, f"/A/{asset.code.code}/report", category="crack", description="裂")
    assert refused.status_code == 422


def test_the_form_offers_the_categories_and_example_of_the_facility_type(client, make_asset):
    reservoir = make_asset(name="登云水库", type="reservoir")
    manhole = make_asset(name="鼓山路3号井")
    dam = client.get(f"/A/{reservoir.code.code}/report", headers=PHONE).get_data(as_text=True)
    well = client.get(f"/A/{manhole.code.code}/report", headers=PHONE).get_data(as_text=True)
    assert 'value="crack"' in dam and 'value="cover_missing"' not in dam and "坝顶有裂缝" in dam
    assert 'value="cover_missing"' in well and 'value="crack"' not in well and "井盖缺失" in well


def test_the_photo_is_kept_when_the_form_comes_back_with_an_error(client, db, make_asset):
    asset = make_asset(name="鼓山路3号井")
    path = f"/A/{asset.code.code}/report"
    back = send(client, path, category="", description="井盖缺失", photo=(jpeg(), "a.jpg"))
    page = back.get_data(as_text=True)
    assert back.status_code == 422 and db.session.scalar(sa.select(sa.func.count(CitizenReport.id))) == 0
    token = re.search(r'name="held_photo" value="([^"]+)"', page).group(1)
    kept = client.get(f"/report/held/{token}.jpg")
    assert kept.status_code == 200
    kept.close()
    sent = client.post(path, data={"category": "cover_missing", "description": "井盖缺失", "held_photo": token,
                                   "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)},
                       headers=PHONE, content_type="multipart/form-data")
    assert sent.status_code == 302
    report = db.session.scalar(sa.select(CitizenReport))
    assert report.photo_path
    assert client.get(f"/report/held/{token}.jpg").status_code == 404


def test_the_rate_limit_holds_against_a_new_user_agent_a_new_cookie_and_many_addresses(app, client, db, make_asset):
    asset = make_asset(name="鼓山路3号井")
    path = f"/A/{asset.code.code}/report"
    limit = app.config["REPORT_RATE_LIMIT"]
    for n in range(limit):
        agent = {**PHONE, "User-Agent": f"Agent {n}"}
        client.get(path, headers=agent)
        data = {"category": "damaged", "description": f"井盖破损 {n}", "csrf_token": csrf_token(client, path)}
        assert client.post(path, data=data, headers=agent, content_type="multipart/form-data").status_code == 302
    data = {"category": "damaged", "description": "井盖破损", "csrf_token": csrf_token(client, path)}
    other_agent = {**PHONE, "User-Agent": "Something else entirely"}
    assert client.post(path, data=data, headers=other_agent, content_type="multipart/form-data").status_code == 429
    device = client.get_cookie("report_device").value
    client.delete_cookie("report_device")
    data["csrf_token"] = csrf_token(client, path)
    refused = client.post(path, data=data, headers=other_agent, content_type="multipart/form-data",
                          environ_overrides={"REMOTE_ADDR": "127.0.0.1"})
    assert refused.status_code == 429
    # The same phone on another network: its device cookie still counts.
    client.set_cookie("report_device", device)
    data["csrf_token"] = csrf_token(client, path)
    moved = client.post(path, data=data, headers=PHONE, content_type="multipart/form-data",
                        environ_overrides={"REMOTE_ADDR": "10.1.2.3"})
    assert moved.status_code == 429
    assert db.session.scalar(sa.select(sa.func.count(CitizenReport.id))) == limit


def test_one_facility_flooded_from_many_addresses_is_limited(app, client, db, make_asset):
    asset = make_asset(name="鼓山路3号井")
    path = f"/A/{asset.code.code}/report"
    app.config["REPORT_RATE_LIMIT_PER_CODE"] = 3
    try:
        statuses = []
        for n in range(4):
            client.delete_cookie("report_device")
            data = {"category": "damaged", "description": "井盖破损", "csrf_token": csrf_token(client, path)}
            statuses.append(client.post(path, data=data, headers=PHONE, content_type="multipart/form-data",
                                        environ_overrides={"REMOTE_ADDR": f"10.0.0.{n}"}).status_code)
        assert statuses == [302, 302, 302, 429]
    finally:
        app.config["REPORT_RATE_LIMIT_PER_CODE"] = 30


def test_a_refused_photo_is_not_stored(app, client, db, make_asset):
    asset = make_asset(name="鼓山路3号井")
    stored = lambda: sorted(Path(app.config["MEDIA_DIR"]).rglob("*.jpg"))
    before = stored()
    response = send(client, f"/A/{asset.code.code}/report", photo=(BytesIO(b"%PDF-1.4 not a photo"), "a.jpg"))
    assert response.status_code == 422 and stored() == before
    assert 'name="held_photo"' not in response.get_data(as_text=True)


def test_the_staff_page_shows_the_photo_as_sent_until_the_job_made_its_copy(app, client, db, make_asset, login):
    from municipal.intake import photos

    asset = make_asset(name="鼓山路3号井")
    sent = jpeg().getvalue()
    assert send(client, f"/A/{asset.code.code}/report", photo=(BytesIO(sent), "IMG_0001.JPG")).status_code == 302
    report = db.session.scalar(sa.select(CitizenReport))
    assert report.photo_state == "pending"
    original = f"/media/{report.photo_path}"
    login("supervisor")
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert f'<img src="{original}"' in page
    shown = client.get(original)
    assert shown.data == sent
    shown.close()

    assert photos.process_pending() == 1
    db.session.commit()
    db.session.refresh(report)
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert f'<img src="/media/{report.thumb_path}"' in page and f'href="/media/{report.photo_path}"' in page
    assert client.get(original).status_code == 404
    api = client.get(f"/api/v1/reports/{report.id}").get_json()
    assert (api["photo_state"], api["thumb_url"]) == ("ready", f"/media/{report.thumb_path}")


def test_the_staff_page_says_when_a_damaged_photo_could_not_be_kept(client, db, login):
    from municipal.intake import photos

    buffer = BytesIO()
    Image.effect_noise((800, 600), 60).convert("RGB").save(buffer, "JPEG")
    whole = buffer.getvalue()
    # Cut in the middle: the header is whole, the pixels are not.
    assert send(client, "/report", photo=(BytesIO(whole[: len(whole) // 2]), "a.jpg")).status_code == 302
    photos.process_pending()
    db.session.commit()
    report = db.session.scalar(sa.select(CitizenReport))
    login("supervisor")
    page = client.get(f"/reports/{report.id}?lang=en").get_data(as_text=True)
    assert report.photo_state == "refused" and "damaged and could not be kept" in page and "/media/" not in page


def test_a_photo_of_over_a_megabyte_arrives_byte_for_byte(app, client, db, make_asset):
    # Noise does not compress: the body is read in several parts, the photo's bytes cut across them.
    buffer = BytesIO()
    Image.frombytes("RGB", (1400, 1000), random.Random(7).randbytes(1400 * 1000 * 3)).save(buffer, "JPEG", quality=95)
    sent = buffer.getvalue()
    assert len(sent) > 1_500_000
    asset = make_asset(name="鼓山路3号井")
    assert send_large(client, f"/A/{asset.code.code}/report", photo=sent).status_code == 302
    report = db.session.scalar(sa.select(CitizenReport))
    assert (Path(app.config["MEDIA_DIR"]) / report.photo_path).read_bytes() == sent


def test_a_text_over_the_form_memory_limit_is_a_413_and_nothing_is_stored(app, client, db, make_asset):
    asset = make_asset(name="鼓山路3号井")
    text = "井" * (app.config["MAX_FORM_MEMORY_SIZE"] // 3 + 1)
    response = send_large(client, f"/A/{asset.code.code}/report", photo=jpeg().getvalue(), description=text)
    assert response.status_code == 413
    assert db.session.scalar(sa.select(sa.func.count(CitizenReport.id))) == 0
