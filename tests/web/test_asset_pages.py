"""Staff pages: browse, search, edit, photos, permissions, labels."""
import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image

from municipal.assets import lookup, services
from municipal.assets.identity import services as code_services
from tests.conftest import csrf_token
from tests.web.api_helpers import bearer  # noqa: F401


def test_pages_need_a_signed_in_user(client, db):
    for path in ("/assets", "/assets/new", "/labels"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location


def test_search_by_name_code_type_and_area(client, make_asset, login):
    dam = make_asset("reservoir", "登云水库")
    make_asset("manhole", "鼓山大道3号井")
    login("viewer")
    page = client.get("/assets?q=登云").get_data(as_text=True)
    assert "登云水库" in page and "鼓山大道3号井" not in page
    page = client.get(f"/assets?q={dam.code.code.lower().replace('-', '')}").get_data(as_text=True)
    assert "登云水库" in page and "鼓山大道3号井" not in page
    page = client.get("/assets?type=manhole&area=gushan").get_data(as_text=True)
    assert "鼓山大道3号井" in page and "登云水库" not in page
    # An area that does not exist is said so, by name, not shown as an empty list.
    unknown = client.get("/assets?area=nowhere", headers={"Accept-Language": "en"})
    assert unknown.status_code == 422
    assert "unknown area nowhere" in unknown.get_data(as_text=True)
    assert "No facility" not in unknown.get_data(as_text=True)


def test_the_page_and_the_api_find_the_same_facilities_in_the_same_order(client, make_asset, login, bearer):
    """One search behind both: the name in any case, a code in any spelling, the same area rule, oldest first."""
    made = [make_asset("manhole", name) for name in ("Gushan Well 2", "gushan WELL 1", "Pump Station", "鼓山井")]
    login("viewer")
    headers = bearer("viewer")

    def on_the_page(query):
        page = client.get(f"/assets?{query}").get_data(as_text=True)
        return [int(found) for found in re.findall(r'<td><a href="/assets/(\d+)">', page)]

    def in_the_api(query):
        response = client.get(f"/api/v1/assets?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    well_2, well_1, pump, chinese = (asset.id for asset in made)
    for query, expected in (("q=gushan well", [well_2, well_1]), ("q=GUSHAN", [well_2, well_1]),
                            ("q=well%201", [well_1]), ("q=%E9%BC%93%E5%B1%B1", [chinese]), ("q=%25", []),
                            (f"q={made[2].code.code.lower().replace('-', '')}", [pump]),
                            ("area=gushan", [well_2, well_1, pump, chinese]), ("", [well_2, well_1, pump, chinese])):
        assert on_the_page(query) == in_the_api(query) == expected, query
    page = client.get("/assets?area=atlantis", headers={"Accept-Language": "en"})
    api = client.get("/api/v1/assets?area=atlantis", headers={**headers, "Accept-Language": "en"})
    assert page.status_code == api.status_code == 422
    assert api.get_json()["error"]["fields"]["area"] == "unknown area atlantis"
    assert "unknown area atlantis" in page.get_data(as_text=True)


def test_a_page_position_that_is_not_one_is_refused_naming_it(client, make_asset, login):
    make_asset()
    login("viewer")
    for bad in ("abc", "0", "-3", "99999999999"):
        response = client.get(f"/assets?after={bad}", headers={"Accept-Language": "en"})
        assert response.status_code == 422, bad
        assert "not a position this list gave out" in response.get_data(as_text=True)


def test_keyset_pages_cover_every_facility_once(app, client, make_asset, login):
    for i in range(7):
        make_asset("manhole", f"井{i}")
    login("viewer")
    app.config["PAGE_SIZE"] = 3
    seen, url = [], "/assets"
    try:
        while url:
            page = client.get(url).get_data(as_text=True)
            seen += [line.split(">")[1].split("<")[0] for line in page.split('<td><a href="/assets/')[1:]]
            url = ("/assets?" + page.split('href="/assets?')[-1].split('"')[0].replace("&amp;", "&")
                   if "after=" in page.split("pager")[-1] else None)
    finally:
        app.config["PAGE_SIZE"] = 50
    assert sorted(seen) == sorted(f"井{i}" for i in range(7))


def edit_form(client, asset_id):
    """The edit form's fields as a browser would submit them unchanged."""
    page = client.get(f"/assets/{asset_id}/edit").get_data(as_text=True)
    fields = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and ('type="checkbox"' not in tag or " checked" in tag):
            fields[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        selected = re.search(r'<option selected value="([^"]*)"', body) or re.search(r'<option value="([^"]*)"', body)
        fields[name] = selected.group(1)
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        fields[name] = body.strip()
    return fields


def test_a_supervisor_edits_a_facility(client, db, make_asset, login):
    asset = make_asset("reservoir", "登云水库")
    login("supervisor")
    form = edit_form(client, asset.id)
    form.update({"maintenance_unit": "新店镇水利站", "attr_capacity_m3": "4,200,000", "status": "under_repair"})
    response = client.post(f"/assets/{asset.id}/edit", data=form)
    assert response.status_code == 302
    db.session.expire_all()
    changed = lookup.find_asset(asset.id)
    assert (changed.maintenance_unit, changed.attributes["capacity_m3"], changed.status) == (
        "新店镇水利站", 4_200_000, "under_repair")
    assert changed.version == 2


@pytest.mark.parametrize("field,value,reported", [
    ("attr_capacity_m3", "abc", "attr_capacity_m3"),
    ("attr_completion_acceptance", "2023-02-30", "attr_completion_acceptance"),
    ("lat", "39.9", "lon"),
    ("attr_dam_type", "", "attr_dam_type"),
])
def test_bad_input_is_named_and_nothing_is_saved(client, db, make_asset, login, field, value, reported):
    asset = make_asset("reservoir", "登云水库")
    login("supervisor")
    form = edit_form(client, asset.id)
    form.update({field: value, "name": "改名水库"})
    response = client.post(f"/assets/{asset.id}/edit", data=form, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert lookup.find_asset(asset.id).name == "登云水库"


def test_a_stale_edit_is_refused_with_409(client, db, make_asset, login, users):
    asset = make_asset("manhole", "井A")
    login("supervisor")
    form = edit_form(client, asset.id)
    services.update_asset(users["admin"], asset, {"name": "井B"}, asset.version)
    db.session.commit()
    form["name"] = "井C"
    response = client.post(f"/assets/{asset.id}/edit", data=form)
    assert response.status_code == 409
    db.session.expire_all()
    assert lookup.find_asset(asset.id).name == "井B"


def test_viewers_and_crews_cannot_edit(client, make_asset, login):
    asset = make_asset()
    for role in ("viewer", "crew"):
        login(role)
        assert client.get(f"/assets/{asset.id}/edit").status_code == 403
        assert client.post(f"/assets/{asset.id}/edit", data={}).status_code in (400, 403)


def test_register_a_new_reservoir_through_the_form(client, db, login):
    login("supervisor")
    token = csrf_token(client, "/assets/new?type=reservoir")
    response = client.post("/assets/new?type=reservoir", data={
        "csrf_token": token, "name": "新建水库", "status": "in_service", "lon": "119.4", "lat": "26.2",
        "attr_capacity_m3": "500000", "attr_dam_height_m": "12", "attr_dam_type": "土坝",
        "persons-0-role": "patrol", "persons-0-name": "陈巡查", "persons-0-phone": "13900000000",
    })
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "新建水库" in page and "小(2)型" in page and "陈巡查" in page and "RSV-" in page


def photo_bytes(fmt="JPEG", size=(800, 600)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, fmt)
    return buffer.getvalue()


def test_photos_are_checked_resized_and_thumbnailed(app, client, db, make_asset, login):
    asset = make_asset()
    login("supervisor")
    token = csrf_token(client, f"/assets/{asset.id}")
    ok = client.post(f"/assets/{asset.id}/photos", data={
        "csrf_token": token, "photo": (io.BytesIO(photo_bytes(size=(4000, 3000))), "dam.jpg"), "caption": "坝顶"})
    assert ok.status_code == 302
    db.session.expire_all()
    photo = lookup.find_asset(asset.id).photos[0]
    assert max(photo.width, photo.height) == 1600
    with client.get(f"/media/{photo.thumb_path}") as thumb:
        assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    for payload, name in ((b"%PDF-1.4 not a photo", "x.jpg"), (b"", "empty.jpg")):
        refused = client.post(f"/assets/{asset.id}/photos", data={
            "csrf_token": token, "photo": (io.BytesIO(payload), name)})
        assert refused.status_code == 422
    limit, app.config["PHOTO_MAX_PIXELS"] = app.config["PHOTO_MAX_PIXELS"], 1000
    try:
        bomb = client.post(f"/assets/{asset.id}/photos", data={
            "csrf_token": token, "photo": (io.BytesIO(photo_bytes(size=(2000, 2000))), "bomb.png")})
    finally:
        app.config["PHOTO_MAX_PIXELS"] = limit
    assert bomb.status_code == 422
    db.session.expire_all()
    assert len(lookup.find_asset(asset.id).photos) == 1


def test_revoking_a_damaged_label_binds_a_replacement(client, db, make_asset, login):
    asset = make_asset()
    old = asset.code.code
    login("supervisor")
    token = csrf_token(client, f"/assets/{asset.id}")
    assert client.post(f"/codes/{old}/revoke", data={"csrf_token": token, "reason": "标牌被撞坏"}).status_code == 302
    db.session.expire_all()
    fresh = lookup.find_asset(asset.id)
    assert fresh.code.code != old
    assert code_services.get_code(old).replaced_by.code == fresh.code.code
    page = client.get(f"/assets/{asset.id}").get_data(as_text=True)
    assert old in page and fresh.code.code in page


def test_a_supervisor_prints_labels_for_new_codes_from_the_labels_page(client, db, login):
    from municipal.assets.models import IdentityCode, PrintBatch

    login("supervisor")
    token = csrf_token(client, "/labels")
    refused = client.post("/labels/new-codes", data={"type": "manhole", "count": "many", "csrf_token": token})
    assert refused.status_code == 422 and "1 至 10000" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdentityCode)) == 0
    response = client.post("/labels/new-codes", data={"type": "manhole", "count": "4", "preset": "sheet",
                                                      "csrf_token": token})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdentityCode)
                             .where(IdentityCode.status == "unbound")) == 4
    assert db.session.scalar(sa.select(PrintBatch.label_count)) == 4
