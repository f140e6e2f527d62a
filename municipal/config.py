"""Settings: defaults, then instance/municipal.cfg, then MUNICIPAL_* environment variables.

Every setting and its default is in DefaultConfig, and so is its type: the default's, or the annotation where
the default says nothing (None) or too little (an int default of a setting that takes fractions). Any setting
can come from the environment as MUNICIPAL_<NAME> (a part of a table as MUNICIPAL_<NAME>__<KEY>); the text
is read by the setting's type, so MUNICIPAL_SECRET_KEY=123 stays text and MUNICIPAL_TRUSTED_PROXIES=2 is a
number, and a value that is not of its type stops the start with the variable named.
"""
import copy
import json
import math
import os
import secrets
import typing
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

PREFIX = "MUNICIPAL"
# MUNICIPAL_DATABASE_URL is the documented name; SQLALCHEMY_DATABASE_URI (Flask-SQLAlchemy's) works too.
ALIASES = {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}
# Variables with our prefix that are not settings of the application: the test suite's database (which must
# never become the application's by accident) and the demo users' password (read by seed-demo).
NOT_SETTINGS = ("TEST_DATABASE_URL", "DEMO_PASSWORD")
# More proxies than this in front of one site is a misreading of the setting.
MAX_TRUSTED_PROXIES = 10


class ConfigError(ValueError):
    """A setting that cannot be used: the start stops, naming the variable (or the setting) and the value."""


class DefaultConfig:
    # Without a default here: the database is instance/municipal.db, the media folder instance/media, the
    # secret key is generated once into instance/secret_key; without CLOCK the clock reads the real time.
    SQLALCHEMY_DATABASE_URI: str | None = None
    SECRET_KEY: str | None = None
    MEDIA_DIR: str | None = None
    CLOCK: str | None = None
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
    # The map's background: "tianditu:<key>", "osm", "amap" (GCJ-02: the overlays are shifted to match) or
    # "none", a plain background that works offline.
    MAP_TILES = "none"
    HOTLINE = "12345"
    # The bureau that issues the annual reports: named on their cover and by their seal.
    REPORT_ISSUER = "福州市晋安区城市管理局"
    # The local day the platform went live (YYYY-MM-DD); without it, the day of the first work order on record.
    # A report says that what came before was kept elsewhere, instead of counting it as nothing done.
    PLATFORM_LIVE_ON: str | None = None
    # Citizen reports accepted per client IP, and per device cookie, per window, counted in the database.
    REPORT_RATE_LIMIT = 5
    REPORT_RATE_WINDOW_SECONDS = 3600
    # The longest side kept of a citizen's photo: enough to see the problem on a screen, and a 4000-pixel
    # phone JPEG decodes at a quarter of its size for it, which keeps a report quick under load.
    REPORT_PHOTO_EDGE = 1000
    # Reports on one facility per window, from everyone: more are refused (the hotline is named).
    REPORT_RATE_LIMIT_PER_CODE = 30
    # Open311 requests accepted per api_key, and per client IP, per window: another system files for many
    # citizens, so more than one citizen's share; a key gone astray still cannot flood triage.
    OPEN311_RATE_LIMIT = 200
    # Deadlines of citizen reports in hours, per category ("*": any other; "urgent": the most an urgent report
    # may get): respond (accept or answer) and fix. A passed deadline is escalated to the area's supervisors.
    REPORT_SLA_HOURS = {
        "*": {"response": 24, "fix": 168},
        "urgent": {"response": 2, "fix": 24},
        "dangerous": {"response": 4, "fix": 48},
        "cover_missing": {"response": 2, "fix": 24},
        "crack": {"response": 8, "fix": 72},
        "leaking": {"response": 8, "fix": 72},
        "dirty": {"response": 24, "fix": 72},
    }
    # A reporter's name and phone are kept this long after the report arrived, then blanked by the
    # report-contacts job.
    REPORT_CONTACT_RETENTION_DAYS = 180
    # The Open311 jurisdiction_id this site answers to; a request naming another is a 404.
    OPEN311_JURISDICTION = ""
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
    INSPECTION_MAX_DISTANCE_M: float = 200
    INSPECTION_MAX_PHOTOS = 20
    # A water level that moves more than this (metres) within 24 hours records a rapid_level_change event.
    READINGS_RAPID_CHANGE_M: float = 1.0
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
    # The tables are the class's: a MUNICIPAL_X__Y variable must change this application's copy only.
    for key, value in app.config.items():
        if isinstance(value, (dict, list)):
            app.config[key] = copy.deepcopy(value)
    instance = Path(app.instance_path)
    app.config.from_pyfile(str(instance / "municipal.cfg"), silent=True)
    _apply_aliases(app.config)
    from_environment = _load_environment(app.config)
    if overrides:
        app.config.update(overrides)
        _apply_aliases(app.config)
        for name in overrides:
            from_environment.pop(name, None)
    _check_limits(app.config, from_environment)
    if not app.config.get("MEDIA_DIR"):
        app.config["MEDIA_DIR"] = str(instance / "media")
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


class _Unread(str):
    """A value as the environment gave it, still to be read by its setting's type."""


def _load_environment(config) -> dict[str, str]:
    """MUNICIPAL_* variables over the settings, each read by its setting's type; the settings set, with the
    text each was given.

    An empty variable leaves its setting as it was (`MUNICIPAL_SMTP_HOST=` in a service file is "not set")."""
    before = dict(config)
    _check_nested_variables(config)
    config.from_prefixed_env(PREFIX, loads=_Unread)
    for name in NOT_SETTINGS:
        if name in before:
            config[name] = before[name]
        else:
            config.pop(name, None)
    names = {}
    for name, value in list(config.items()):
        if isinstance(value, dict):
            _read_table(value)
        if not isinstance(value, _Unread):
            continue
        if not value:
            if name in before:
                config[name] = before[name]
            else:
                del config[name]
            continue
        config[name] = read_setting(name, str(value), f"{PREFIX}_{name}", before.get(name))
        names[name] = str(value)
    for alias, name in ALIASES.items():
        if alias in names:
            names[name] = names.pop(alias)
    _apply_aliases(config)
    return names


def _check_nested_variables(config) -> None:
    """MUNICIPAL_A__B sets key B of the table A: A must be a table (Flask would fail on text with a traceback)."""
    for variable in sorted(os.environ):
        if not variable.startswith(PREFIX + "_") or "__" not in variable:
            continue
        current = config
        *parts, _ = variable.removeprefix(PREFIX + "_").split("__")
        if f"{PREFIX}_{parts[0]}" in os.environ:
            raise ConfigError(f"{variable}: set either {PREFIX}_{parts[0]} or parts of it, not both.")
        for part in parts:
            current = current.get(part, {}) if isinstance(current, dict) else None
            if not isinstance(current, dict):
                raise ConfigError(f"{variable}: {'__'.join(parts)} is not a table of settings, so it has no "
                                  f"parts to set; set {PREFIX}_{parts[0]} itself.")


def _read_table(table: dict) -> None:
    """Values set inside a table (MUNICIPAL_CALENDAR_SETTINGS__special_appraisal_days=120) are JSON, or text."""
    for key, value in list(table.items()):
        if isinstance(value, dict):
            _read_table(value)
        elif isinstance(value, _Unread):
            try:
                table[key] = json.loads(value)
            except ValueError:
                table[key] = str(value)


def _apply_aliases(config) -> None:
    for alias, name in ALIASES.items():
        if alias in config:
            config[name] = config.pop(alias)


def setting_type(name: str, current=None) -> type:
    """The type of a setting: its annotation in DefaultConfig, else its default's, else that of the value it
    replaces (Flask's own settings, a setting only municipal.cfg knows); text for any other name."""
    hint = typing.get_type_hints(DefaultConfig).get(name)
    if hint is not None:
        return next(arg for arg in typing.get_args(hint) or (hint,) if arg is not type(None))
    default = getattr(DefaultConfig, name, current)
    return str if default is None else type(default)


_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
_WORDS = {int: "a whole number", float: "a number", bool: "true or false", dict: "a JSON object",
          list: "a JSON list", tuple: "a JSON list"}


def read_setting(name: str, text: str, variable: str, current=None):
    """The text of a variable as a value of its setting's type; ConfigError naming the variable if it is not."""
    kind = setting_type(name, current)
    try:
        if kind is str:
            return text
        if kind is bool:
            return _BOOLEANS[text.strip().lower()]
        if kind is int:
            return int(text.strip(), 10)
        if kind is float:
            number = float(text)
            if not math.isfinite(number):
                raise ValueError(text)
            return number
        value = json.loads(text)
        if kind is tuple and isinstance(value, list):
            value = tuple(value)
        if not isinstance(value, kind):
            raise ValueError(text)
        return value
    except (KeyError, ValueError):
        pass
    limit = LIMITS.get(name)
    raise ConfigError(f"{variable} must be {limit[1] if limit else _WORDS.get(kind, kind.__name__)}, not {text!r}")


def _timezone(value) -> bool:
    try:
        ZoneInfo(str(value))
    except (ValueError, KeyError):
        return False
    return True


def _local_time(value) -> bool:
    try:
        datetime.fromisoformat(str(value).strip())
    except ValueError:
        return False
    return True


def _day(value) -> bool:
    try:
        date.fromisoformat(str(value).strip())
    except ValueError:
        return False
    return True


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole(value) -> bool:
    return _number(value) and (isinstance(value, int) or value.is_integer())


# Settings with more to satisfy than their type, checked once all sources are read: (test, what it must be).
LIMITS = {
    "TRUSTED_PROXIES": (lambda n: _whole(n) and 0 <= n <= MAX_TRUSTED_PROXIES,
                        f"a whole number from 0 to {MAX_TRUSTED_PROXIES}"),
    "INSPECTION_MAX_DISTANCE_M": (lambda n: _number(n) and 0 < n < math.inf, "a positive number (metres)"),
    "READINGS_RAPID_CHANGE_M": (lambda n: _number(n) and 0 < n < math.inf, "a positive number (metres)"),
    "SMTP_PORT": (lambda n: _whole(n) and 0 < n < 65536, "a port number from 1 to 65535"),
    "TIMEZONE": (_timezone, "a time zone name such as Asia/Shanghai"),
    "CLOCK": (lambda v: not v or _local_time(v), "a date or a local time such as 2027-06-01T08:00"),
    "PLATFORM_LIVE_ON": (lambda v: not v or _day(v), "a date such as 2026-03-01"),
    "MAP_TILES": (lambda v: isinstance(v, str) and (v in ("osm", "amap", "none") or (
        v.startswith("tianditu:") and len(v) > len("tianditu:"))), "tianditu:<key>, osm, amap or none"),
    "DISTRICT_BBOX": (lambda b: len(b) == 4 and all(_number(v) for v in b) and b[0] < b[2] and b[1] < b[3]
                      and -180 <= b[0] and b[2] <= 180 and -90 <= b[1] and b[3] <= 90,
                      "[west, south, east, north] in degrees"),
}


def _check_limits(config, from_environment: dict[str, str]) -> None:
    """The settings with limits, from wherever they came; text from municipal.cfg is read by its type first."""
    for name, (test, must) in LIMITS.items():
        value = config.get(name)
        source = f"{PREFIX}_{name}" if name in from_environment else name
        if isinstance(value, str) and setting_type(name) is not str:
            value = config[name] = read_setting(name, value, source)
        if not test(value):
            raise ConfigError(f"{source} must be {must}, not {from_environment.get(name, value)!r}")
    config["TRUSTED_PROXIES"] = int(config["TRUSTED_PROXIES"])
    config["SMTP_PORT"] = int(config["SMTP_PORT"])


def _instance_secret(instance: Path) -> str:
    """A key generated once per installation, so sessions survive restarts."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
