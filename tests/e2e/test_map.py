"""The map page in Chromium with the plain background: clusters drawn from the server's answer, a click on a
cluster zooms in, a facility's card has its navigation links, and a 360 px phone scrolls no sideways."""
import pytest

pytestmark = pytest.mark.e2e

BLOCK = [(119.42 + i * 0.0004, 26.30 + j * 0.0004) for i in range(4) for j in range(3)]


@pytest.fixture
def block(make_asset):
    return [make_asset("manhole", f"地图井{n}", geometry={"type": "Point", "coordinates": list(p)})
            for n, p in enumerate(BLOCK)]


def loaded(page, zoom=None):
    page.wait_for_selector("#map[data-loaded]" + (f"[data-zoom='{zoom}']" if zoom is not None else ""),
                           state="attached")


def test_the_map_draws_clusters_and_a_click_zooms_in(page, sign_in, block):
    sign_in(page, "supervisor")
    page.goto("/map#12/26.300400/119.420600")
    loaded(page, 12)
    clusters = page.locator(".map-cluster").filter(has_text=str(len(BLOCK)))
    clusters.first.wait_for()
    assert page.locator(".leaflet-tile").count() == 0  # MUNICIPAL_MAP_TILES=none: no tile is asked for
    clusters.first.click()
    loaded(page, 14)
    assert "#14/" in page.url


def test_a_single_facility_opens_its_card_with_navigation(page, sign_in, block):
    sign_in(page, "supervisor")
    lon, lat = BLOCK[0]
    page.goto(f"/map#19/{lat:.6f}/{lon:.6f}")
    loaded(page, 19)
    marker = page.locator("path.leaflet-interactive")
    marker.first.wait_for()
    marker.first.click(force=True)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "地图井0" in popup.inner_text()
    assert "coordinate=gaode" in popup.locator("a[href*='uri.amap.com']").get_attribute("href")


def test_the_map_fits_a_360_px_phone(new_context, sign_in, block):
    context = new_context(locale="zh-CN", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, "crew")
    page.goto("/map")
    loaded(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.fixture
def crew_work(in_app, make_asset):
    """A manhole with an inspection assigned to the crew member, due tomorrow."""
    from datetime import timedelta

    import sqlalchemy as sa

    from municipal import clock
    from municipal.auth.models import User
    from municipal.extensions import db
    from municipal.workorders import services

    well = make_asset("manhole", "巡查地图井", geometry={"type": "Point", "coordinates": [119.44, 26.31]})

    def create():
        users = {u.username: u for u in db.session.scalars(sa.select(User))}
        services.create_work_order(users["supervisor"], asset_id=well.id, kind="repair", title="井盖松动",
                                   assignee_user_id=users["crew"].id, due_at=clock.now() + timedelta(days=1))
        db.session.commit()

    in_app(create)
    return well


def test_the_crew_map_draws_the_offline_pack_and_the_members_position(new_context, sign_in, crew_work):
    context = new_context(locale="zh-CN", viewport={"width": 360, "height": 740}, is_mobile=True,
                          # Away from the facility, so that its marker does not lie under the member's.
                          geolocation={"latitude": 26.25, "longitude": 119.38}, permissions=["geolocation"])
    phone = context.new_page()
    sign_in(phone, "crew")
    phone.goto("/work/mine")
    phone.wait_for_selector("#pack-status[data-updated]", state="attached")
    phone.goto("/field/map")
    phone.wait_for_selector("#map[data-loaded]", state="attached")
    # The pack's facilities (the crew member's work of other tests too, on this shared server) and the member:
    # one marker more than the facilities, on the plain background, no tiles.
    kept = int(phone.locator("#map").get_attribute("data-loaded"))
    assert kept >= 1
    phone.wait_for_function(f"() => document.querySelectorAll('path.leaflet-interactive').length === {kept + 1}")
    assert phone.locator(".leaflet-tile").count() == 0
    # The facilities' markers are orange (the member's is blue); the map may still be moving to fit them all,
    # so a click that lands beside one is made again.
    popups, cards = phone.locator(".leaflet-popup-content"), []
    for marker in phone.locator("path.leaflet-interactive[fill='#ef6c00']").all():
        for _ in range(10):
            marker.click(force=True)  # opening one card closes the one before
            shown = popups.all_inner_texts()
            if shown and (not cards or shown[-1] != cards[-1]):
                cards.append(shown[-1])
                break
            phone.wait_for_timeout(300)
    assert any("巡查地图井" in card for card in cards), cards
