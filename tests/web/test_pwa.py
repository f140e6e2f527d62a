"""The crew's installable app, as the browser fetches it: the manifest, the service worker, the offline page,
the session check and the offline pack."""
import json

from municipal.workorders import services as work


def test_the_manifest_names_the_app_and_opens_my_work(client):
    response = client.get("/manifest.webmanifest", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    body = json.loads(response.get_data(as_text=True))
    assert body["name"] == "晋安区市政设施" and body["short_name"] == "设施"
    assert body["start_url"] == "/work/mine"
    assert body["display"] == "standalone"
    sizes = {icon["sizes"]: icon for icon in body["icons"]}
    assert set(sizes) == {"192x192", "512x512"}
    for size, icon in sizes.items():
        assert "maskable" in icon["purpose"] and icon["type"] == "image/png"
        with client.get(icon["src"]) as image:
            assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
            width = int.from_bytes(image.data[16:20], "big")
        assert f"{width}x{width}" == size


def test_the_service_worker_is_served_from_the_root_never_cached(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-store" in response.headers["Cache-Control"]
    text = response.get_data(as_text=True)
    # Workbox from our own static files, never from a CDN.
    assert 'self.WORKBOX_PREFIX = "/static/vendor/workbox/"' in text
    assert "googleapis" not in text and "cdn" not in text.lower()
    precache = json.loads(text.split("self.PRECACHE = ", 1)[1].split(";\n", 1)[0])
    urls = {entry["url"] for entry in precache}
    assert {"/static/css/app.css", "/static/js/field.js", "/field/offline"} <= urls
    assert all(entry["revision"] != "missing" for entry in precache)
    for url in urls - {"/field/offline"}:
        with client.get(url) as static:
            assert static.status_code == 200, url


def test_every_staff_page_links_the_manifest_and_installs_the_worker(client, login):
    login("crew")
    page = client.get("/work/mine").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert "/static/js/field.js" in page


def test_the_offline_page_needs_no_session(client):
    response = client.get("/field/offline", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 200
    assert "/work/mine" in response.get_data(as_text=True)


def test_the_session_check_says_who_is_signed_in_or_401(client, login):
    response = client.get("/field/session", headers={"Accept": "application/json"})
    assert response.status_code == 401
    login("crew")
    response = client.get("/field/session", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json["user"] == "crew" and response.json["csrf_token"]


def test_the_offline_pack_lists_the_members_work_for_the_coming_days(client, login, db, users, make_asset, clock):
    from datetime import timedelta

    well = make_asset("manhole", "温泉路3号井")
    soon = work.create_work_order(users["supervisor"], asset_id=well.id, kind="inspection", title="月度巡查",
                                  assignee_user_id=users["crew"].id, due_at=clock.now() + timedelta(days=2))
    later = work.create_work_order(users["supervisor"], asset_id=well.id, kind="inspection", title="下月巡查",
                                   assignee_user_id=users["crew"].id, due_at=clock.now() + timedelta(days=20))
    others = work.create_work_order(users["supervisor"], asset_id=well.id, kind="inspection", title="别人的",
                                    due_at=clock.now() + timedelta(days=1))
    db.session.commit()
    login("crew")
    body = client.get("/field/pack").json
    assert body["days"] == 7
    assert body["orders"] == [soon.id]
    assert f"/work/{soon.id}" in body["urls"] and f"/work/{soon.id}/record" in body["urls"]
    assert f"/assets/{well.id}" in body["urls"] and "/work/mine" in body["urls"]
    assert f"/work/{later.id}" not in body["urls"] and f"/work/{others.id}" not in body["urls"]
    assert body["codes"] == {well.code.code: f"/assets/{well.id}"}


def test_the_scanner_page_lets_the_decoder_compile_and_nothing_else(client, login):
    login("crew")
    response = client.get("/scan")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'wasm-unsafe-eval'" in policy and "unsafe-inline" not in policy.split("style-src")[0]
    page = response.get_data(as_text=True)
    assert "/static/vendor/zxing-wasm/zxing_reader.wasm" in page  # our copy, never a CDN's
    assert "/static/vendor/barcode-detector/polyfill.js" not in page.split('id="scan-config"')[0]  # loaded when needed
    # Elsewhere the site-wide policy stands.
    assert "wasm-unsafe-eval" not in client.get("/work/mine").headers["Content-Security-Policy"]


def test_the_crews_menu_has_the_scanner_and_no_api_link(client, login):
    login("crew")
    page = client.get("/work/mine").get_data(as_text=True)
    assert 'href="/scan"' in page and 'href="/api/docs"' not in page
    login("supervisor")
    assert 'href="/api/docs"' in client.get("/work").get_data(as_text=True)
