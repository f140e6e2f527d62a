"""Shared fixtures: one app and schema per test session, emptied after each test.

The suite runs on SQLite unless MUNICIPAL_TEST_DATABASE_URL names another database
(CI sets PostgreSQL). The schema is built by the real migrations.
"""
import os
import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from municipal import create_app
from municipal.extensions import db as _db

PASSWORD = "correct horse battery"
# The day the suite lives on: the application's clock reads this (running on from it) in every test,
# whatever the real date. A test that needs another day sets the `clock` fixture.
TEST_NOW = datetime(2026, 11, 26, 10, 0, tzinfo=timezone(timedelta(hours=8)))


# The files that take longest (pytest --durations=0, summed per file, on SQLite and PostgreSQL), longest first.
# Only the order of the run depends on this list: a file missing from it runs as late as any other.
LONG_FILES = ("e2e/test_browser.py", "e2e/test_field_app.py", "web/test_reports_web.py", "web/test_scope_matrix.py",
              "e2e/test_field_presence.py", "services/test_seed.py", "services/test_map_cells.py",
              "services/test_calendar_work.py", "services/test_reports.py", "e2e/test_map.py",
              "web/test_api_workorders.py", "web/test_permissions_matrix.py", "web/test_map.py", "web/test_board.py",
              "web/test_api.py")


def pytest_collection_modifyitems(items):
    """The long files first, the others as collected. Each test worker takes a whole file at a time, in this
    order (--dist loadfile): a long file taken last would leave the other worker idle while it runs."""
    rank = {name: position for position, name in enumerate(LONG_FILES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0].removeprefix("tests/"), len(rank)))


def make_district(db, towns) -> dict:
    """晋安区 and the towns under it, (code, name, name_en) each; the towns by code, committed."""
    from municipal.assets.models import Area

    district = Area(code="350111", name="晋安区", name_en="Jin'an District", level="district", path="/")
    db.session.add(district)
    db.session.flush()
    district.path = f"/{district.id}/"
    made = {}
    for code, name, name_en in towns:
        town = Area(code=code, name=name, name_en=name_en, level="town", parent=district)
        db.session.add(town)
        db.session.flush()
        town.path = f"{district.path}{town.id}/"
        made[code] = town
    db.session.commit()
    return made


def empty_tables(db) -> None:
    """Every table emptied and ids restarted: after each test, and after fixtures that outlive one."""
    db.session.rollback()
    # DELETE, not TRUNCATE: on PostgreSQL a TRUNCATE of every table cost about half a second per test, a
    # DELETE of the few rows a test leaves a few milliseconds. Not a savepoint rolled back per test either:
    # the code under test opens connections of its own (token use, the job lock, audit verify, backup).
    deletes = [f'DELETE FROM "{table.name}"' for table in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        # One round trip for the lot: a statement at a time, the round trips cost more than the deletes.
        db.session.connection().exec_driver_sql("; ".join([*deletes, _restart_sequences_sql(db)]))
    else:
        for delete in deletes:
            db.session.execute(sa.text(delete))
    db.session.commit()


def restart_sequences(db) -> None:
    """On PostgreSQL, each id sequence restarted after the highest id its table holds (1 when empty)."""
    if db.engine.dialect.name == "postgresql":
        db.session.connection().exec_driver_sql(_restart_sequences_sql(db))


def _restart_sequences_sql(db) -> str:
    statement = _RESTART_SEQUENCES.get(db.engine.url)
    if statement is None:
        # One statement for them all, its list read from the catalogue once: asked each time, the catalogue
        # cost four times the restart itself, after every test.
        sequences = db.session.execute(sa.text(
            "SELECT quote_ident(table_name), quote_ident(column_name), "
            "pg_get_serial_sequence(quote_ident(table_name), column_name) FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND column_default LIKE 'nextval%'")).all()
        statement = _RESTART_SEQUENCES[db.engine.url] = "SELECT " + ", ".join(
            f"setval('{sequence}', COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)"
            for table, column, sequence in sequences)
    return statement


_RESTART_SEQUENCES: dict = {}


_SNAPSHOTS: dict[str, tuple[object, dict]] = {}


def from_snapshot(db, name: str, build):
    """What `build()` leaves in the empty database, built once per test worker and copied back for each later
    test that asks: seeding the demo district takes seconds, copying its rows back a fraction of one.
    `build` returns plain data (no database objects), which is returned each time."""
    if name not in _SNAPSHOTS:
        value = build()
        db.session.commit()
        rows = {table.name: [dict(row._mapping)
                             for row in db.session.execute(table.select().order_by(*table.primary_key.columns))]
                for table in db.metadata.sorted_tables}
        _SNAPSHOTS[name] = (value, rows)
        return value
    value, rows = _SNAPSHOTS[name]
    for table in db.metadata.sorted_tables:
        if rows[table.name]:
            db.session.execute(table.insert(), rows[table.name])
    restart_sequences(db)
    db.session.commit()
    return value


DEMO_PASSWORD = "demo-password-for-tests"


@pytest.fixture
def demo(app, db, monkeypatch):
    """The demo district as `municipal seed-demo` leaves it; returns the command's output."""
    monkeypatch.setenv("MUNICIPAL_DEMO_PASSWORD", DEMO_PASSWORD)
    return from_snapshot(db, "demo", lambda: _invoke(app, "seed-demo"))


@pytest.fixture
def demo_after_calendar(app, db, monkeypatch):
    """The demo district after `municipal jobs run calendar` on the suite's day."""
    monkeypatch.setenv("MUNICIPAL_DEMO_PASSWORD", DEMO_PASSWORD)

    def build():
        from_snapshot(db, "demo", lambda: _invoke(app, "seed-demo"))
        return _invoke(app, "jobs", "run", "calendar")

    return from_snapshot(db, "demo after calendar", build)


def _invoke(app, *args) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


class IsolatedClient(FlaskClient):
    """Each request in an app context of its own, as in a real server.

    Tests hold an app context open for their own queries; without this, requests would share
    its `g` (the signed-in user, the locale) and its database session.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def worker_schema(url: str, worker: str | None) -> str:
    """Parallel test workers (pytest -n) share one PostgreSQL database: each gets a fresh schema of its own
    in it, first on its search path. On SQLite each worker has its own file already."""
    if not worker or not url.startswith("postgresql"):
        return url
    schema = f"test_{worker}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    base = tmp_path_factory.mktemp("municipal")
    url = os.environ.get("MUNICIPAL_TEST_DATABASE_URL") or f"sqlite:///{base / 'test.db'}"
    url = worker_schema(url, os.environ.get("PYTEST_XDIST_WORKER"))
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test",
        "MEDIA_DIR": str(base / "media"),
        "PUBLIC_URL": "http://municipal.test",
        # Scans written before the page is sent, so a test can look for them at once.
        "SCAN_LOG_FLUSH_SECONDS": 0,
        # One round instead of scrypt's: the suite creates thousands of users.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
    })
    app.test_client_class = IsolatedClient
    app.extensions["clock"].set(TEST_NOW)
    with app.app_context():
        from flask_migrate import upgrade

        _db.drop_all()
        _db.session.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        _db.session.commit()
        upgrade()
    return app


@pytest.fixture(autouse=True)
def clock(request):
    """The application's clock, at TEST_NOW at the start of every test; `clock.set(...)` moves it."""
    app = request.getfixturevalue("app") if "app" in request.fixturenames else None
    clock = app.extensions.get("clock") if app is not None else None  # a bare Flask app has none
    if clock is None:
        yield None
        return
    clock.set(TEST_NOW)
    yield clock
    clock.set(TEST_NOW)


@pytest.fixture
def db(app):
    with app.app_context():
        yield _db
        empty_tables(_db)


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def users(db):
    return make_users(db)


def make_users(db) -> dict:
    """A user per role (admin, supervisor, crew, viewer), each named after it, password PASSWORD; committed."""
    from municipal.auth.services import create_user

    made = {role: create_user(role, PASSWORD, role) for role in ("admin", "supervisor", "crew", "viewer")}
    db.session.commit()
    return made


def csrf_in(page: str) -> str:
    """The CSRF token of the first form in this page's HTML, as a browser would send it back."""
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def csrf_token(client, path="/login") -> str:
    """The CSRF token of the form on `path`."""
    return csrf_in(client.get(path).get_data(as_text=True))


def token_headers(db, user, scopes=("read", "write"), name="test") -> dict:
    """Request headers carrying a new API token of `user`."""
    from municipal.auth.tokens import create_token

    _, plain = create_token(user, name, scopes=scopes)
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def login(client, users):
    """login("supervisor") signs the test client in as that role's user."""

    def _login(role):
        # Straight into the session, as a sign-in leaves it: the form itself is tested in test_admin.py.
        from municipal.permissions import LAST_SEEN_KEY

        user = users[role]
        with client.session_transaction() as session:
            session.clear()
            session.permanent = True
            session.update({"_user_id": user.get_id(), "_fresh": True,
                            LAST_SEEN_KEY: int(client.application.extensions["clock"].now().timestamp())})
        return user

    return _login


@pytest.fixture
def area(db):
    return make_district(db, [("gushan", "鼓山镇", "Gushan Town")])["gushan"]


@pytest.fixture
def make_asset(db, users, area):
    """make_asset(type="manhole", name=..., **fields) registers one facility as the supervisor."""
    from municipal.assets import services

    defaults = {
        "reservoir": {"attributes": {"capacity_m3": 3_500_000, "dam_height_m": 18, "dam_type": "土坝"},
                      "geometry": {"type": "Point", "coordinates": [119.35, 26.15]}},
        "manhole": {"attributes": {"network": "污水"}, "geometry": {"type": "Point", "coordinates": [119.31, 26.09]}},
    }

    def _make(type="manhole", name="测试井", **fields):
        data = {"type": type, "name": name, "area": area.code, **defaults.get(type, {}), **fields}
        asset = services.create_asset(users["supervisor"], data)
        db.session.commit()
        return asset

    return _make


MINI_CHECKLIST = """
templates:
  - key: manhole.test_inspection
    asset_type: manhole
    kind: inspection
    name: {zh: 检查井巡查, en: Manhole inspection}
    items:
      - key: cover
        section: {zh: 井盖, en: Cover}
        label: {zh: 井盖完好、安放平稳, en: Cover intact and seated}
        type: pass_fail
        required: true
        photo: on_fail
        severity: critical
        follow_up: true
      - key: odour
        label: {zh: 无异味, en: No odour}
        type: pass_fail
        severity: low
      - key: water_depth
        label: {zh: 井内水深, en: Water depth in the chamber}
        type: number
        unit: m
        min: 0
        max: 1.5
        required: true
        severity: high
      - key: silt
        label: {zh: 淤积, en: Silt}
        type: choice
        severity: medium
        choices:
          - {key: none, zh: 无, en: None}
          - {key: heavy, zh: 严重, en: Heavy, finding: true}
      - key: remarks
        label: {zh: 备注, en: Remarks}
        type: note
      - key: overview
        label: {zh: 全景照片, en: Overview photo}
        type: photo
        required: true
"""


@pytest.fixture
def checklist(db, tmp_path):
    """A small manhole inspection checklist, loaded as init-db loads the real one."""
    from municipal.workorders.checklists import sync_templates, template_for

    path = tmp_path / "checklists.yaml"
    path.write_text(MINI_CHECKLIST, encoding="utf-8")
    sync_templates(path)
    db.session.commit()
    return template_for("manhole", "inspection")


def jpeg_bytes(size=(64, 48), color=(200, 30, 30)) -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()
