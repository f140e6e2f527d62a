"""Settings: defaults, then instance/municipal.cfg, then MUNICIPAL_* environment variables."""
import os
import secrets
from pathlib import Path

# Environment variable (without the MUNICIPAL_ prefix) -> Flask config key.
ENV_SETTINGS = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "PUBLIC_URL": "PUBLIC_URL",
    "MEDIA_DIR": "MEDIA_DIR",
    "TIMEZONE": "TIMEZONE",
    "SMTP_HOST": "SMTP_HOST",
    "SMTP_PORT": "SMTP_PORT",
    "SMTP_FROM": "SMTP_FROM",
    "SMTP_USER": "SMTP_USER",
    "SMTP_PASSWORD": "SMTP_PASSWORD",
    "SMTP_TLS": "SMTP_TLS",
    "INSPECTION_MAX_DISTANCE_M": "INSPECTION_MAX_DISTANCE_M",
    "CLOCK": "CLOCK",
    "TRUSTED_PROXIES": "TRUSTED_PROXIES",
}
# More proxies than this in front of one site is a misreading of the setting.
MAX_TRUSTED_PROXIES = 10
# Settings that are numbers: the environment gives text.
ENV_NUMBERS = {"INSPECTION_MAX_DISTANCE_M": float}


class DefaultConfig:
    PUBLIC_URL = "http://127.0.0.1:5000"
    TIMEZONE = "Asia/Shanghai"
    BABEL_DEFAULT_LOCALE = "zh"
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # werkzeug's default; the test suite sets a cheap one, since it creates users by the thousand.
    PASSWORD_HASH_METHOD = "scrypt"
    # How many proxies in front may set X-Forwarded-For/-Proto/-Host; with 0 those headers are ignored, so a
    # client cannot choose the address that rate limits and sign-in lockouts count.
    TRUSTED_PROXIES = 0
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024
    PHOTO_MAX_BYTES = 15 * 1024 * 1024
    # Checked from the image's header before it is decoded. A JPEG decodes at a reduced scale (a 48-megapixel
    # phone photo costs little); PNG and WebP decode in full, 3 bytes a pixel and copies: they get a quarter.
    PHOTO_MAX_PIXELS = 50_000_000
    # Jin'an district, generously: geometry outside this box is a typing error.
    DISTRICT_BBOX = (119.15, 25.95, 119.65, 26.50)
    HOTLINE = "12345"
    # Citizen reports accepted per client IP per window, counted in the database.
    REPORT_RATE_LIMIT = 5
    REPORT_RATE_WINDOW_SECONDS = 3600
    PAGE_SIZE = 50
    # The work board: a screenful, most urgent first; the pager goes on.
    BOARD_PAGE_SIZE = 20
    # Sign-in throttling (auth/services.py): this many failures within the window lock for LOGIN_LOCK_MINUTES.
    LOGIN_MAX_FAILURES = 5
    LOGIN_MAX_FAILURES_PER_IP = 20
    LOGIN_FAILURE_WINDOW_MINUTES = 15
    LOGIN_LOCK_MINUTES = 15
    # A session unused this long is signed out, within PERMANENT_SESSION_LIFETIME.
    SESSION_IDLE_MINUTES = 120
    # Email notifications are off while SMTP_HOST is empty. SMTP_TLS: "" (plain), "starttls" or "ssl".
    SMTP_HOST = ""
    SMTP_PORT = 25
    SMTP_FROM = "municipal@localhost"
    SMTP_USER = ""
    SMTP_PASSWORD = ""
    SMTP_TLS = ""
    # Due dates from priority when none is given: 1 day, 3 days, a week, a month.
    WORK_ORDER_SLA_HOURS = {"urgent": 24, "high": 72, "normal": 168, "low": 720}
    # Facility types whose calendars become work orders. Public toilets' daily cleaning checks are left to
    # the cleaning contracts; manholes get work from events (a missing cover), which name them.
    CALENDAR_TYPES = ("reservoir", "river_segment", "road_segment", "bridge", "sewer_segment", "pump_station",
                      "old_building")
    CALENDAR_PROFILE = "fujian"
    # An inspection recorded farther than this from its facility (a line: its nearest point) is flagged.
    INSPECTION_MAX_DISTANCE_M = 200
    INSPECTION_MAX_PHOTOS = 20
    ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
    # Overrides of the inspection calendar's policy values and season dates, by the names in
    # municipal/calendar/engine/rules.v1.yaml, e.g. {"special_appraisal_days": 120,
    # "seasons": {"2025": {"flood": {"start": "04-10"}}}}.
    CALENDAR_SETTINGS = {}
    # Scans (sent by the scan page's beacon) are written in batches this often; 0 writes each before the
    # beacon is answered (see assets/scan/scanlog.py).
    SCAN_LOG_FLUSH_SECONDS = 1.0
    # Rendered public cards each process keeps (about 4 kB each; see assets/scan/card_page.py).
    SCAN_CARD_CACHE_SIZE = 4000
    # A run of an exclusive job (the calendar) waits this long for another run to end, then refuses.
    JOB_LOCK_WAIT_SECONDS = 60
    API_TITLE = "municipal"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"


def load_config(app, overrides=None):
    app.config.from_object(DefaultConfig)
    instance = Path(app.instance_path)
    app.config.from_pyfile(str(instance / "municipal.cfg"), silent=True)
    for env_name, key in ENV_SETTINGS.items():
        value = os.environ.get("MUNICIPAL_" + env_name)
        if value:
            app.config[key] = _number(env_name, value) if env_name in ENV_NUMBERS else value
    if overrides:
        app.config.update(overrides)
    app.config["TRUSTED_PROXIES"] = _proxy_count(app.config["TRUSTED_PROXIES"])
    app.config.setdefault("MEDIA_DIR", str(instance / "media"))
    if app.config["PUBLIC_URL"].lower().startswith("https://"):
        # Served over HTTPS: the session must never travel in the clear.
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        instance.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'municipal.db'}"
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file on this machine cannot drop a connection: pinging it on every checkout is waste.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance)


def _number(env_name: str, value: str):
    """A positive number from the environment; anything else stops the start with the variable named."""
    try:
        number = ENV_NUMBERS[env_name](value)
    except ValueError:
        number = None
    if number is None or not 0 < number < float("inf"):
        raise ValueError(f"MUNICIPAL_{env_name} must be a positive number, not {value!r}")
    return number


def _proxy_count(value) -> int:
    """TRUSTED_PROXIES as a whole number from 0 to 10; anything else stops the start with the setting named."""
    try:
        count = int(str(value).strip())
    except ValueError:
        count = None
    if isinstance(value, bool) or count is None or not 0 <= count <= MAX_TRUSTED_PROXIES:
        raise ValueError(f"MUNICIPAL_TRUSTED_PROXIES must be a whole number from 0 to {MAX_TRUSTED_PROXIES}, "
                         f"not {value!r}")
    return count


def _instance_secret(instance: Path) -> str:
    """A key generated once per installation, so sessions survive restarts."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
