"""The citizen's card through the ordinary Flask view: validators, caching headers, the memoised render that an
edit never leaves stale, and the security headers every other page has."""
import sqlalchemy as sa

from municipal.assets import services
from municipal.assets.identity import services as code_services
from municipal.assets.models import ScanLog
from tests.web.test_scan import beacon_of, send_beacon
from tests.web.test_security_headers import assert_secured


def scan(client, code, etag=None, **headers):
    if etag:
        headers["If-None-Match"] = etag
    return client.get(f"/A/{code}", headers=headers)


def logged(db):
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(ScanLog))


def test_a_repeat_scan_is_a_304_and_logs_nothing_by_itself(client, db, make_asset):
    asset = make_asset("reservoir", "登云水库")
    first = scan(client, asset.code.code)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith('W/')  # strong
    assert first.headers["Cache-Control"] == "no-cache"
    assert set(first.headers["Vary"].replace(" ", "").split(",")) == {"Accept-Language", "Cookie"}
    again = scan(client, asset.code.code, etag)
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == "no-cache"
    assert "Accept-Language" in again.headers["Vary"]
    # The same card by another spelling of its code has the same validator.
    assert scan(client, asset.code.code.lower().replace("-", ""), etag).status_code == 304
    # Neither the page nor the 304 wrote a scan: only the page's beacon does.
    assert logged(db) == 0
    assert send_beacon(client, first.get_data(as_text=True)).status_code == 204
    assert logged(db) == 1


def test_an_edit_changes_the_etag_and_the_card(client, db, make_asset, users):
    asset = make_asset("reservoir", "登云水库", owner_unit="晋安区水利局")
    code = asset.code.code
    etag = scan(client, code).headers["ETag"]
    services.update_asset(users["supervisor"], asset, {"owner_unit": "福州市水利局"}, asset.version)
    db.session.commit()
    after = scan(client, code, etag)
    assert after.status_code == 200 and after.headers["ETag"] != etag
    page = after.get_data(as_text=True)
    assert "福州市水利局" in page and "晋安区水利局" not in page


def test_a_change_of_the_responsible_persons_alone_changes_the_card(client, db, make_asset, users):
    asset = make_asset("reservoir", "登云水库", persons=[{"role": "patrol", "name": "林巡查", "phone": "13805910001"}])
    code = asset.code.code
    etag = scan(client, code).headers["ETag"]
    services.update_asset(users["supervisor"], asset, {"persons": [{"role": "patrol", "name": "陈巡查"}]},
                          asset.version)
    db.session.commit()
    after = scan(client, code, etag)
    assert after.status_code == 200
    assert "陈巡查" in after.get_data(as_text=True) and "林巡查" not in after.get_data(as_text=True)


def test_a_renamed_area_changes_the_card(client, db, make_asset, users, area):
    from municipal.assets import areas

    code = make_asset().code.code
    etag = scan(client, code, **{"Accept-Language": "en"}).headers["ETag"]
    areas.update_area(users["admin"], area, {"name_en": "Gushan Subdistrict"}, area.version)
    db.session.commit()
    after = scan(client, code, etag, **{"Accept-Language": "en"})
    assert after.status_code == 200 and "Gushan Subdistrict" in after.get_data(as_text=True)


def test_each_language_has_its_own_card_and_validator(client, make_asset):
    code = make_asset().code.code
    chinese = scan(client, code, **{"Accept-Language": "zh-CN"})
    english = scan(client, code, **{"Accept-Language": "en-US,en"})
    assert chinese.headers["ETag"] != english.headers["ETag"]
    assert "产权单位" in chinese.get_data(as_text=True) and "Owner unit" in english.get_data(as_text=True)
    assert scan(client, code, chinese.headers["ETag"], **{"Accept-Language": "en"}).status_code == 200
    # A ?lang= switch is remembered in the session, as on every page.
    switched = client.get(f"/A/{code}?lang=en")
    assert "Owner unit" in switched.get_data(as_text=True) and "session=" in switched.headers.get("Set-Cookie", "")
    assert "Owner unit" in client.get(f"/A/{code}").get_data(as_text=True)


def test_a_revoked_code_is_not_answered_from_its_old_validator(client, db, make_asset, users):
    asset = make_asset()
    old = asset.code.code
    etag = scan(client, old).headers["ETag"]
    replacement = code_services.revoke_code(users["supervisor"], asset.code, "标牌损坏")
    db.session.commit()
    after = scan(client, old, etag)
    assert after.status_code == 200 and replacement.code in after.get_data(as_text=True)
    assert "ETag" not in after.headers


def test_the_card_carries_the_security_headers(client, make_asset):
    code = make_asset().code.code
    first = scan(client, code)
    assert_secured(first.headers)
    assert_secured(scan(client, code, first.headers["ETag"]).headers)
    assert "<script>" not in first.get_data(as_text=True)


def test_the_card_links_under_the_mount_point(app, db, make_asset):
    code = make_asset().code.code
    page = app.test_client().get(f"/a/{code.lower()}", base_url="http://district.test/municipal")
    text = page.get_data(as_text=True)
    assert 'href="/municipal/static/css/app.css"' in text
    assert f'href="/municipal/A/{code}/report"' in text
    assert beacon_of(text)["url"] == "/municipal/scan/beacon"
    assert f"next=/municipal/A/{code}" in text


def test_the_render_is_memoised_and_the_memory_bounded(app, client, db, make_asset, monkeypatch):
    from municipal.assets.identity import resolver
    from municipal.assets.scan import card_page

    cache = card_page.RenderCache(2)
    monkeypatch.setitem(app.extensions, "scan_card_cache", cache)
    renders = []
    real = resolver.card_facility
    # Counted, not replaced: every render reads the facility from the database.
    monkeypatch.setattr(resolver, "card_facility", lambda asset_id: renders.append(asset_id) or real(asset_id))
    assets = [make_asset(name=f"井{i}") for i in range(3)]
    for asset in assets + assets[-1:]:
        assert scan(client, asset.code.code).status_code == 200
    assert renders == [a.id for a in assets] and len(cache) == 2
    # The oldest was dropped: it is rendered again, and is the same page.
    assert scan(client, assets[0].code.code).get_data(as_text=True).count("井0") >= 1
    assert renders[-1] == assets[0].id and len(cache) == 2


def test_the_staff_scan_page_shows_the_work_due_here(client, db, make_asset, users, login):
    from municipal.workorders import services as work

    well = make_asset("manhole", "温泉路5号井")
    work.create_work_order(users["supervisor"], asset_id=well.id, kind="maintenance", title="清淤",
                           assignee_user_id=users["crew"].id)
    db.session.commit()
    login("crew")
    page = client.get(f"/A/{well.code.code}").get_data(as_text=True)
    assert 'class="card due-here"' in page and "清淤" in page
    # The registry's page of the facility shows the same sections as its scan.
    registry_page = client.get(f"/assets/{well.id}").get_data(as_text=True)
    assert 'class="card due-here"' in registry_page and 'id="history"' in registry_page and 'id="audit"' in registry_page
    other = make_asset("manhole", "温泉路6号井")
    assert "due-here" in client.get(f"/A/{other.code.code}").get_data(as_text=True)
    # The citizen's card has no such section.
    client.post("/logout", data={})
    assert "due-here" not in scan(client.application.test_client(), well.code.code).get_data(as_text=True)


def test_odd_spellings_and_odd_text_get_the_card_or_the_usual_pages(client, make_asset):
    code = make_asset().code.code
    for spelling in (code.lower(), code.replace("-", ""), " " + code.lower() + " "):
        assert client.get(f"/A/{spelling}").status_code == 200, spelling
    for text in ("%00", "RSV-%00", "水库", "X" * 200):
        assert client.get(f"/A/{text}").status_code == 404, text


def test_if_none_match_is_compared_as_the_standard_says(client, make_asset):
    code = make_asset().code.code
    etag = scan(client, code).headers["ETag"]
    for asked in (etag, f'"other", {etag}', f"W/{etag}", "*"):
        assert scan(client, code, asked).status_code == 304, asked
    assert scan(client, code, '"other"').status_code == 200


def test_templates_are_given_no_query(app):
    """Pages gather their data in the view or through registered sections (municipal/sections.py): no template
    global reaches into a module that reads the database."""
    reading = ("services", "queries", "lists", "reading", "lookup", "history", "sections")
    # The trail's module words recorded values too: that one is no query.
    wording = {"municipal.audit.reading.value_text"}
    wrong = sorted(name for name, value in app.jinja_env.globals.items()
                   if callable(value) and (getattr(value, "__module__", None) or "").startswith("municipal.")
                   and value.__module__.rsplit(".", 1)[-1] in reading
                   and f"{value.__module__}.{value.__name__}" not in wording)
    assert not wrong, f"template globals that query: {wrong}"
