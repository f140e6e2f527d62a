"""The crew's record page and the submission API: as a phone sends them, with photos and a client id."""
import re
import uuid
from io import BytesIO

import pytest
import sqlalchemy as sa

from municipal.auth.tokens import create_token
from municipal.inspections.models import Inspection
from municipal.workorders import notes as work_notes
from municipal.workorders import services as work
from municipal.workorders.models import WorkOrder, WorkOrderAttachment
from tests.conftest import csrf_in, csrf_token, jpeg_bytes


@pytest.fixture
def order(db, users, make_asset, checklist):
    well = make_asset("manhole", "温泉路3号井")
    made = work.create_work_order(users["supervisor"], asset_id=well.id, kind="inspection", title="月度巡查",
                                  assignee_user_id=users["crew"].id)
    db.session.commit()
    return made


def form_fields(page: str) -> dict:
    return {"csrf_token": csrf_in(page),
            "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)}


def answers(**changes):
    data = {"item.cover": "pass", "item.odour": "pass", "item.water_depth": "0.4", "item.silt": "none",
            "time_spent_min": "20", "latitude": "26.0905", "longitude": "119.31", "accuracy_m": "12"}
    data.update(changes)
    return data


def test_the_crew_records_an_inspection_from_the_phone(client, login, order, db):
    login("crew")
    page = client.get(f"/work/{order.id}/record").get_data(as_text=True)
    assert "井盖完好、安放平稳" in page and 'capture="environment"' in page and "0–1.5 m" in page
    data = {**form_fields(page), **answers(**{"item.cover": "fail"}),
            "photo.overview": (BytesIO(jpeg_bytes()), "IMG_1.jpg"), "photo.cover": (BytesIO(jpeg_bytes()), "IMG_2.jpg")}
    response = client.post(f"/work/{order.id}/record", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    # The failed cover opened rectification work, linked from the record on the work order's page.
    assert f"WO-{order.id + 1:06d}" in detail and "已完成" in detail
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 1


def test_a_form_with_missing_items_comes_back_with_the_answers_kept(client, login, order, db):
    login("crew")
    page = client.get(f"/work/{order.id}/record").get_data(as_text=True)
    data = {**form_fields(page), **answers(**{"item.water_depth": ""}), "notes": "井边有积水"}
    response = client.post(f"/work/{order.id}/record", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "井边有积水" in page and 'class="item invalid" id="item-water_depth"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 0


def test_sending_the_same_form_twice_records_it_once(client, login, order, db):
    login("crew")
    page = client.get(f"/work/{order.id}/record").get_data(as_text=True)
    data = {**form_fields(page), **answers()}
    for _ in range(2):
        sent = {**data, "photo.overview": (BytesIO(jpeg_bytes()), "IMG_1.jpg")}
        assert client.post(f"/work/{order.id}/record", data=sent, content_type="multipart/form-data").status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 1


def test_the_api_answers_201_then_200_with_the_same_record(client, db, users, order):
    _token, plain = create_token(users["crew"], "phone")
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}", "Idempotency-Key": str(uuid.uuid4())}

    def send():
        data = {**answers(**{"item.water_depth": "3"}), "photo.overview": (BytesIO(jpeg_bytes()), "a.jpg")}
        return client.post(f"/api/v1/work-orders/{order.id}/inspections", data=data, headers=headers,
                           content_type="multipart/form-data")

    first, again = send(), send()
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    body = first.get_json()
    assert body["work_order"]["status"] == "completed" and body["far_from_facility"] is False
    assert [(f["item_key"], f["reason"]) for f in body["findings"]] == [("water_depth", "above")]
    assert body["photos"][0]["thumbnail_url"].startswith("/media/")
    listed = client.get(f"/api/v1/work-orders/{order.id}/inspections", headers=headers).get_json()
    assert [i["id"] for i in listed["items"]] == [body["id"]]


def test_the_api_names_the_bad_fields_and_refuses_strangers(client, db, users, order):
    from municipal.auth.services import create_user

    _token, plain = create_token(users["crew"], "phone")
    stranger = create_user("crew2", "correct horse battery", "crew")
    _token2, other = create_token(stranger, "phone")
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}", "Idempotency-Key": str(uuid.uuid4())}
    response = client.post(f"/api/v1/work-orders/{order.id}/inspections", data=answers(**{"item.cover": "maybe"}),
                           headers=headers, content_type="multipart/form-data")
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"item.cover", "item.overview"}
    response = client.post(f"/api/v1/work-orders/{order.id}/inspections", data=answers(),
                           headers={**headers, "Authorization": f"Bearer {other}"}, content_type="multipart/form-data")
    assert response.status_code == 403
    assert client.post(f"/api/v1/work-orders/{order.id}/inspections", data=answers()).status_code == 401
    checklists = client.get("/api/v1/checklists", headers=headers).get_json()["items"]
    assert [c["key"] for c in checklists] == ["manhole.test_inspection"]


def test_attachments_take_photos_and_pdfs_and_refuse_anything_else(client, login, order, db):
    login("supervisor")
    token = csrf_token(client, f"/work/{order.id}")
    for name, content in (("quote.pdf", b"%PDF-1.4\n%%EOF"), ("damage.jpg", jpeg_bytes((900, 600))),
                          ("virus.exe", b"MZ\x90\x00")):
        client.post(f"/work/{order.id}/attachments", data={"csrf_token": token, "file": (BytesIO(content), name)},
                    content_type="multipart/form-data")
    stored = db.session.scalars(sa.select(WorkOrderAttachment).order_by(WorkOrderAttachment.id)).all()
    assert [(a.filename, a.content_type, a.thumb_path is not None) for a in stored] == [
        ("quote.pdf", "application/pdf", False), ("damage.jpg", "image/jpeg", True)]
    page = client.get(f"/work/{order.id}").get_data(as_text=True)
    assert "quote.pdf" in page and "damage.jpg" in page


def test_the_facility_page_lists_its_work_and_findings(client, login, order, db, users):
    login("crew")
    page = client.get(f"/work/{order.id}/record").get_data(as_text=True)
    data = {**form_fields(page), **answers(**{"item.silt": "heavy"}), "photo.overview": (BytesIO(jpeg_bytes()), "a.jpg")}
    client.post(f"/work/{order.id}/record", data=data, content_type="multipart/form-data")
    login("supervisor")
    asset_page = client.get(f"/assets/{order.asset_id}").get_data(as_text=True)
    assert order.number in asset_page and "淤积 — 严重" in asset_page
    db.session.expire_all()
    assert db.session.get(WorkOrder, order.id).status == "completed"


def test_a_record_or_attachment_that_fails_after_its_files_were_written_leaves_none(app, client, login, order, db,
                                                                                    monkeypatch):
    from pathlib import Path

    from municipal.errors import ValidationError
    from municipal.inspections import services as inspections

    def refuse(*_args, **_kwargs):
        raise ValidationError("refused late", {"late": "refused"})

    media = Path(app.config["MEDIA_DIR"])
    files_before = sorted(media.rglob("*"))
    login("crew")
    page = client.get(f"/work/{order.id}/record").get_data(as_text=True)
    monkeypatch.setattr(inspections.calendar, "completion_of_order", refuse)
    data = {**form_fields(page), **answers(), "photo.overview": (BytesIO(jpeg_bytes()), "a.jpg"),
            "photos": (BytesIO(jpeg_bytes()), "b.jpg")}
    assert client.post(f"/work/{order.id}/record", data=data, content_type="multipart/form-data").status_code == 422
    monkeypatch.setattr(work_notes, "record", refuse)
    token = csrf_token(client, f"/work/{order.id}")
    for name, content in (("quote.pdf", b"%PDF-1.4\n%%EOF"), ("damage.jpg", jpeg_bytes((900, 600)))):
        client.post(f"/work/{order.id}/attachments", data={"csrf_token": token, "file": (BytesIO(content), name)},
                    content_type="multipart/form-data")
    assert sorted(p for p in media.rglob("*") if p.is_file()) == [p for p in files_before if p.is_file()]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkOrderAttachment)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 0


def test_the_crew_records_what_the_work_cost_and_a_bad_cost_is_named(client, login, order, db):
    from decimal import Decimal

    login("crew")
    page = client.get(f"/work/{order.id}/record").get_data(as_text=True)
    assert 'name="cost_yuan"' in page
    for bad in ("-20", "一百"):
        data = {**form_fields(page), **answers(cost_yuan=bad), "photo.overview": (BytesIO(jpeg_bytes()), "IMG_1.jpg")}
        refused = client.post(f"/work/{order.id}/record", data=data, content_type="multipart/form-data")
        assert refused.status_code == 422, bad
        assert re.search(r'name="cost_yuan"[^>]*></label>\s*<span class="error"', refused.get_data(as_text=True)), bad
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 0
    data = {**form_fields(page), **answers(cost_yuan="350.5"), "photo.overview": (BytesIO(jpeg_bytes()), "IMG_1.jpg")}
    assert client.post(f"/work/{order.id}/record", data=data, content_type="multipart/form-data").status_code == 303
    db.session.expire_all()
    assert db.session.get(type(order), order.id).cost_yuan == Decimal("350.50")
    assert "350.50" in client.get(f"/work/{order.id}").get_data(as_text=True)


def test_photos_sent_ahead_each_once_then_the_record_that_names_them(client, db, users, order, app):
    from pathlib import Path

    _token, plain = create_token(users["crew"], "phone")
    db.session.commit()
    auth = {"Authorization": f"Bearer {plain}"}
    photo_key = str(uuid.uuid4())

    def send_photo(content=None, key=photo_key):
        return client.post("/api/v1/inspection-photos", headers={**auth, "Idempotency-Key": key},
                           data={"photo": (BytesIO(content or jpeg_bytes((800, 600))), "p.jpg")},
                           content_type="multipart/form-data")

    first, again = send_photo(), send_photo()
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json() == {"key": photo_key, "width": 800, "height": 600}
    refused = send_photo(b"not an image at all", key=str(uuid.uuid4()))
    assert refused.status_code == 422 and "photo" in refused.get_json()["error"]["fields"]
    no_key = send_photo(key="")
    assert no_key.status_code == 422 and "idempotency_key" in no_key.get_json()["error"]["fields"]

    record_key = str(uuid.uuid4())

    def send_record():
        data = {**answers(), "photo_ref.overview": photo_key}
        return client.post(f"/api/v1/work-orders/{order.id}/inspections", data=data,
                           headers={**auth, "Idempotency-Key": record_key}, content_type="multipart/form-data")

    created, repeated = send_record(), send_record()
    assert (created.status_code, repeated.status_code) == (201, 200)
    assert created.get_json()["id"] == repeated.get_json()["id"]
    assert [p["item_key"] for p in created.get_json()["photos"]] == ["overview"]
    media = Path(app.config["MEDIA_DIR"])
    staged = media.with_name(media.name + "-staged") / str(users["crew"].id)
    assert not (staged / f"{photo_key}.img").exists()  # taken by the record, which keeps its own copy
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 1


def test_a_record_naming_a_photo_that_never_arrived_is_refused_naming_the_field(client, db, users, order):
    _token, plain = create_token(users["crew"], "phone")
    db.session.commit()
    response = client.post(f"/api/v1/work-orders/{order.id}/inspections",
                           data={**answers(), "photo_ref.overview": str(uuid.uuid4())},
                           headers={"Authorization": f"Bearer {plain}", "Idempotency-Key": str(uuid.uuid4())},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "photo.overview" in response.get_json()["error"]["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 0


def test_a_sent_back_record_shows_the_reason_at_the_top_and_starts_from_the_previous_answers(client, login, order, db,
                                                                                            users):
    login("crew")
    page = client.get(f"/work/{order.id}/record").get_data(as_text=True)
    data = {**form_fields(page), **answers(**{"item.cover": "fail", "notes": "井盖松动"}),
            "photo.overview": (BytesIO(jpeg_bytes()), "IMG_1.jpg"), "photo.cover": (BytesIO(jpeg_bytes()), "c.jpg")}
    assert client.post(f"/work/{order.id}/record", data=data, content_type="multipart/form-data").status_code == 303
    db.session.refresh(order)
    work.act(users["supervisor"], order.id, "send_back", version=order.version, reason="照片看不清井盖，请重拍")
    db.session.commit()
    page = client.get(f"/work/{order.id}/record").get_data(as_text=True)
    assert page.index("照片看不清井盖，请重拍") < page.index('id="record-form"')
    assert re.search(r'name="item.cover" value="fail"\s+checked', page)
    assert re.search(r'name="item.odour" value="pass"\s+checked', page)
    assert ">井盖松动</textarea>" in page
