"""The citizen's scan answered in front of Flask: the same card, and everything else left to Flask."""
import re

import pytest
import sqlalchemy as sa
from werkzeug.test import EnvironBuilder, run_wsgi_app

from municipal.assets.identity import resolver
from municipal.assets.identity import services as code_services
from municipal.assets.models import ScanLog
from municipal.assets.scan.public_scan import PublicScan


def flask_must_not_answer(environ, start_response):
    raise AssertionError(f"Flask was asked for {environ['PATH_INFO']}")


def flask_answers(environ, start_response):
    start_response("204 No Content", [])
    return [b""]


def call(app, wsgi_app, path, **request):
    """A request to the fast path alone, with `wsgi_app` standing for Flask behind it."""
    environ = EnvironBuilder(path=path, **request).get_environ()
    body, status, headers = run_wsgi_app(PublicScan(app, wsgi_app), environ, buffered=True)
    return status, headers, b"".join(body).decode()


def without_token(page: str) -> str:
    return re.sub(r'"token": "[^"]+"', '"token": ""', page)


def test_an_anonymous_scan_gets_the_same_card_as_from_flask(app, client, db, make_asset):
    asset = make_asset("reservoir", "登云水库", owner_unit="晋安区水利局",
                       persons=[{"role": "patrol", "name": "林巡查", "phone": "13805910001"}])
    code = asset.code.code
    status, headers, fast = call(app, flask_must_not_answer, f"/A/{code}",
                                 headers={"User-Agent": "WeChat/8.0", "Accept-Language": "en-US,en"})
    assert status == "200 OK"
    assert headers["Content-Type"] == "text/html; charset=utf-8" and headers["Vary"] == "Accept-Language, Cookie"
    assert int(headers["Content-Length"]) == len(fast.encode())
    assert "登云水库" in fast and "晋安区水利局" in fast and "林巡查" in fast and "Owner unit" in fast
    assert "13805910001" not in fast
    # ?lang= is Flask's (it is remembered in the session): the same card, from the view.
    from_flask = client.get(f"/A/{code}?lang=en", headers={"User-Agent": "Firefox"})
    assert from_flask.headers["Vary"] == "Accept-Language, Cookie"
    assert without_token(from_flask.get_data(as_text=True)).replace(f"?next=/A/{code}", "") == \
        without_token(fast).replace(f"?next=/A/{code}", "")
    logged = db.session.scalars(sa.select(ScanLog).order_by(ScanLog.id)).all()
    assert [(s.asset_id, s.user_id, s.user_agent) for s in logged] == [(asset.id, None, "WeChat/8.0"),
                                                                        (asset.id, None, "Firefox")]


def test_the_card_from_the_fast_path_links_under_the_mount_point(app, make_asset):
    code = make_asset().code.code
    _, _, page = call(app, flask_must_not_answer, f"/a/{code.lower()}", base_url="http://district.test/municipal")
    assert 'href="/municipal/static/css/app.css"' in page
    assert f'href="/municipal/A/{code}/report"' in page
    assert '"/municipal/scan/position"' in page


def test_its_position_token_is_accepted(client, db, make_asset):
    asset = make_asset()
    page = client.get(f"/A/{asset.code.code}").get_data(as_text=True)
    token = page.split('"token": "')[1].split('"')[0]
    assert client.post("/scan/position", json={"token": token, "lon": 119.31, "lat": 26.09}).status_code == 200


@pytest.mark.parametrize("path, request_", [
    ("/A/{code}", {"headers": {"Cookie": "session=abc"}}),
    ("/A/{code}", {"headers": {"Authorization": "Bearer abc"}}),
    ("/A/{code}?lang=en", {}),
    ("/A/{code}", {"method": "POST"}),
    ("/A/{code}", {"method": "HEAD"}),
    ("/A/{code}/qr.png", {}),
    ("/A/{code}/report", {}),
    ("/A/HELLO", {}),
    ("/A/RSV-00000-0", {}),
    ("/A/水库", {}),
    ("/A/", {}),
    ("/assets", {}),
])
def test_everything_but_a_citizens_scan_of_a_bound_code_goes_on_to_flask(app, make_asset, path, request_):
    code = make_asset().code.code
    status, _, _ = call(app, flask_answers, path.format(code=code), **request_)
    assert status == "204 No Content"


def test_a_revoked_and_an_unbound_code_go_on_to_flask(app, client, db, make_asset, users):

    asset = make_asset()
    old = asset.code.code
    replacement = code_services.revoke_code(users["supervisor"], asset.code, "标牌损坏")
    fresh = code_services.issue_codes(users["supervisor"], "manhole", 1)[0]
    db.session.commit()
    assert call(app, flask_answers, f"/A/{old}")[0] == "204 No Content"
    assert call(app, flask_answers, f"/A/{fresh.code}")[0] == "204 No Content"
    assert replacement.code in client.get(f"/A/{old}").get_data(as_text=True)


def test_a_failure_in_front_of_flask_is_answered_by_flask(app, make_asset, monkeypatch, caplog):
    code = make_asset().code.code

    def broken(text):
        raise RuntimeError("database gone")

    monkeypatch.setattr(resolver, "public_card", broken)
    status, _, _ = call(app, flask_answers, f"/A/{code}")
    assert status == "204 No Content"
    assert "failed in front of Flask" in caplog.text
