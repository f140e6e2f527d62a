"""Browser tests: headless Debian Chromium against the app on a live server.

The app runs in a thread (werkzeug ``make_server``) on its own temporary SQLite
file, built by the real migrations. It is not the session ``app`` of
tests/conftest.py: that one is used from the test thread only and is emptied
after every test, while this one is shared with the server thread.

pytest-playwright supplies ``browser``, ``new_context`` and ``page``; this file
points it at the system Chromium (never ``playwright install``: the machine is
offline) and at the live server. Tests are skipped when no Chromium is found.
"""
import logging
import os
import shutil
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

PASSWORD = "correct horse battery"
# Without the first five Chromium keeps calling Google services, which this closed network refuses. Without a
# GPU Chromium draws in software either way; --disable-gpu spares it emulating one (a sixth of the tests' CPU).
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-gpu",
]
# Chromium 15x lays out its address bar's suggestion list, a page of its own, in every window, though a
# headless window has no address bar to show it under: it took a quarter of Chromium's CPU in these tests.
UNUSED_FEATURES = ["WebUIOmniboxPopup", "WebUIOmniboxAimPopup"]


def chromium_executable() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, browser_type):
    executable = chromium_executable()
    if not executable:
        pytest.skip("no Chromium executable: install Debian's chromium or set CHROMIUM=/path/to/chromium")
    args = [*CHROMIUM_ARGS, disabled_features(browser_type, executable, UNUSED_FEATURES)]
    return {**browser_type_launch_args, "executable_path": executable, "args": args}


def disabled_features(browser_type, executable: str, more: list[str]) -> str:
    """A --disable-features switch naming `more` beside the features Playwright itself disables. Chromium
    keeps only the last such switch, and Playwright's comes first: one naming `more` alone would turn
    Playwright's back on. Its list is read off a browser it launched (the browser shows its command line
    to an automation client), so it stays right when Playwright changes it."""
    probe = browser_type.launch(executable_path=executable, args=[*CHROMIUM_ARGS, "--enable-automation"])
    try:
        switches = probe.new_browser_cdp_session().send("Browser.getBrowserCommandLine")["arguments"]
    finally:
        probe.close()
    prefix = "--disable-features="
    features = [name for switch in switches if switch.startswith(prefix)
                for name in switch[len(prefix):].split(",") if name]
    return prefix + ",".join(dict.fromkeys([*features, *more]))


@pytest.fixture(scope="session")
def e2e_app(tmp_path_factory):
    from flask_migrate import upgrade

    from municipal import create_app

    base = tmp_path_factory.mktemp("e2e")
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{base / 'e2e.db'}",
        "SECRET_KEY": "e2e",
        "MEDIA_DIR": str(base / "media"),
        # Replaced with the live server's address once it listens.
        "PUBLIC_URL": "http://127.0.0.1",
        # One round instead of scrypt's: each sign-in through the form would otherwise cost a tenth of a second.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
    })
    from tests.conftest import TEST_NOW

    app.extensions["clock"].set(TEST_NOW)
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session")
def live_server(e2e_app):
    """The base URL of the app served from a thread; PUBLIC_URL points at it, so printed QR codes lead here."""
    from werkzeug.serving import make_server

    # One line per request on stderr would bury the test output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, e2e_app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    e2e_app.config["PUBLIC_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    yield url
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server):
    # No locale here: new_context(locale=...) would then be given it twice.
    return {**browser_context_args, "base_url": live_server, "timezone_id": "Asia/Shanghai",
            "service_workers": "block"}


@pytest.fixture
def new_context(new_context):
    """pytest-playwright's new_context, failing the test on any Content-Security-Policy violation: the
    browser refuses such a script or style silently, so only the console tells that a page lost its code."""
    violations = []

    def make(**kwargs):
        made = new_context(**kwargs)
        made.on("console", lambda message: violations.append(message.text)
                if "Content Security Policy" in message.text else None)
        return made

    yield make
    assert not violations, violations


@pytest.fixture
def context(new_context):
    """The desktop context behind `page`: English, so tests find buttons by their visible text.
    Phone tests make their own with new_context(locale="zh-CN", ...)."""
    return new_context(locale="en-US", viewport={"width": 1280, "height": 800})


@pytest.fixture(scope="session")
def in_app(e2e_app):
    """in_app(fn) runs fn() in an app context of the live app, so it can use db.session."""

    def run(fn):
        with e2e_app.app_context():
            return fn()

    return run


@pytest.fixture(scope="session")
def district(in_app):
    """Users (one per role, password PASSWORD) and the areas: 晋安区 > 鼓山镇, 新店镇."""
    from municipal.auth.services import create_user
    from municipal.extensions import db
    from tests.conftest import make_district

    def seed():
        for role in ("admin", "supervisor", "crew", "viewer"):
            create_user(role, PASSWORD, role)
        towns = make_district(db, [("gushan", "鼓山镇", "Gushan Town"), ("xindian", "新店镇", "Xindian Town")])
        return {code: town.id for code, town in towns.items()}

    return SimpleNamespace(towns=in_app(seed), password=PASSWORD)


DEFAULTS = {
    "reservoir": {"attributes": {"capacity_m3": 3_500_000, "dam_height_m": 18, "dam_type": "土坝"},
                  "geometry": {"type": "Point", "coordinates": [119.35, 26.15]}},
    "manhole": {"attributes": {"network": "污水"}, "geometry": {"type": "Point", "coordinates": [119.31, 26.09]}},
    "pump_station": {"attributes": {"design_flow_m3_per_h": 1200, "pumps": 3},
                     "geometry": {"type": "Point", "coordinates": [119.33, 26.11]}},
    "bridge": {"attributes": {"regime": "CJJ99"}, "geometry": {"type": "Point", "coordinates": [119.32, 26.10]}},
}


@pytest.fixture
def make_asset(in_app, district):
    """make_asset("reservoir", "登云水库", **fields) registers a facility as the supervisor.

    Returns a plain namespace (id, code, name, type): ORM objects do not outlive the app context.
    """
    from municipal.assets import services
    from municipal.auth.models import User
    from municipal.extensions import db
    import sqlalchemy as sa

    def _make(type="manhole", name="测试井", area="gushan", **fields):
        def create():
            supervisor = db.session.scalar(sa.select(User).where(User.username == "supervisor"))
            data = {"type": type, "name": name, "area": area, **DEFAULTS.get(type, {}), **fields}
            asset = services.create_asset(supervisor, data)
            db.session.commit()
            return SimpleNamespace(id=asset.id, code=asset.code.code, name=asset.name, type=asset.type)

        return in_app(create)

    return _make


@pytest.fixture
def sign_in(district):
    """sign_in(page, "supervisor") signs a page's context in through the login form."""

    def _sign_in(page, username, next_path=None):
        page.goto("/login" + (f"?next={next_path}" if next_path else ""))
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(district.password)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        assert "/login" not in page.url, f"sign-in as {username} failed: {page.content()[:2000]}"

    return _sign_in


class Shots:
    """Screenshots for people to look at, taken only when E2E_SHOTS names a folder: no test reads them, and
    the 35 of them cost Chromium 4.5 CPU-seconds and the browser tests 6 s at two workers."""

    def __init__(self, folder: str | None):
        self.folder = Path(folder) if folder else None
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)

    def take(self, target, name: str, **options) -> None:
        """`target`: a page or a locator; `options`: its screenshot's (full_page...)."""
        if self.folder is not None:
            target.screenshot(path=str(self.folder / name), **options)

    def keep(self, image, name: str) -> None:
        """A picture the test made itself (a PDF page rendered, say): a Pillow image."""
        if self.folder is not None:
            image.save(self.folder / name)


@pytest.fixture(scope="session")
def shots():
    return Shots(os.environ.get("E2E_SHOTS"))
