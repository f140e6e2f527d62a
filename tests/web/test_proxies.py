"""X-Forwarded-For counts only from the proxies the site trusts (MUNICIPAL_TRUSTED_PROXIES)."""
import pytest
import sqlalchemy as sa

from municipal import create_app
from municipal.intake.models import CitizenReport
from tests.web.test_api_intake import PHONE, REPORT


def reports_from(client, addresses) -> list[int]:
    """Each report from a phone of its own (no device cookie yet), forwarded as from `address`."""
    codes = []
    for address in addresses:
        client.delete_cookie("report_device")
        codes.append(client.post("/api/v1/public/reports", json=REPORT, headers={**PHONE, "X-Forwarded-For": address},
                                 environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code)
    return codes


def test_without_trusted_proxies_a_spoofed_forwarded_for_is_ignored(app, client, db):
    assert app.config["TRUSTED_PROXIES"] == 0
    limit = app.config["REPORT_RATE_LIMIT"]
    codes = reports_from(client, [f"203.0.113.{n}" for n in range(limit + 1)])
    assert codes == [201] * limit + [429]


@pytest.fixture
def behind_a_proxy(app, db):
    same = ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "MEDIA_DIR", "PUBLIC_URL", "SCAN_LOG_FLUSH_SECONDS")
    proxied = create_app({**{key: app.config[key] for key in same}, "TRUSTED_PROXIES": 1})
    proxied.extensions["clock"].set(app.extensions["clock"].now())
    yield proxied
    with proxied.app_context():
        from municipal.extensions import db as proxied_db

        proxied_db.session.remove()
        proxied_db.engine.dispose()


def test_behind_one_trusted_proxy_each_client_is_counted_by_its_forwarded_address(behind_a_proxy, db):
    client = behind_a_proxy.test_client()
    limit = behind_a_proxy.config["REPORT_RATE_LIMIT"]
    # The proxy's own address is the same for all: the clients behind it are told apart.
    assert reports_from(client, [f"203.0.113.{n}" for n in range(limit + 1)]) == [201] * (limit + 1)
    assert reports_from(client, ["198.51.100.7"] * (limit + 1)) == [201] * limit + [429]
    assert db.session.scalar(sa.select(sa.func.count(CitizenReport.id))) == 2 * limit + 1
