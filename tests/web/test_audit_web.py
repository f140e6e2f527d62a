"""The change log on the facility page: staff see who changed what; the public card shows none of it."""
from municipal.audit import reading
from tests.web.test_asset_pages import edit_form


def test_an_edit_through_the_form_shows_old_to_new_on_the_facility_page(client, db, make_asset, login):
    asset = make_asset("reservoir", "登云水库", maintenance_unit="鼓山镇水利站")
    login("supervisor")
    form = edit_form(client, asset.id)
    form.update({"maintenance_unit": "新店镇水利站", "status": "under_repair"})
    assert client.post(f"/assets/{asset.id}/edit", data=form).status_code == 302

    update = reading.entries_for("asset", asset.id)[0]
    assert update.action == "update"
    assert update.changes["maintenance_unit"] == ["鼓山镇水利站", "新店镇水利站"]
    assert update.changes["status"] == ["in_service", "under_repair"]

    page = client.get(f"/assets/{asset.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    log = page.split("Change log", 1)[1]
    assert "Maintenance unit" in log and "鼓山镇水利站" in log and "→ 新店镇水利站" in log
    assert "changed" in log and "created" in log and "supervisor" in log


def test_a_staff_scan_shows_the_log_and_the_public_card_does_not(client, db, make_asset, login):
    asset = make_asset("reservoir", "登云水库", internal_notes="左坝肩渗水")
    code = asset.code.code

    public = client.get(f"/A/{code}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Change log" not in public and "Internal notes" not in public and "左坝肩渗水" not in public

    login("crew")
    staff = client.get(f"/A/{code}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Change log" in staff and "Internal notes" in staff
