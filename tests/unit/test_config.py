"""Settings: DefaultConfig, then instance/municipal.cfg, then MUNICIPAL_* variables read by each setting's type."""
import re

import pytest
from click.testing import CliRunner
from flask import Flask

from municipal.config import DefaultConfig, ConfigError, load_config


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Only the variables a test sets: a PostgreSQL run of the suite has MUNICIPAL_TEST_DATABASE_URL set."""
    import os

    for name in [name for name in os.environ if name.startswith("MUNICIPAL_")]:
        monkeypatch.delenv(name)


def configured(tmp_path, overrides=None, cfg: str | None = None) -> Flask:
    if cfg is not None:
        (tmp_path / "municipal.cfg").write_text(cfg)
    app = Flask(__name__, instance_path=str(tmp_path))
    load_config(app, {"SECRET_KEY": "test", **(overrides or {})})
    return app


def test_every_documented_variable_sets_its_setting_with_its_type(tmp_path, monkeypatch):
    variables = {
        "MUNICIPAL_DATABASE_URL": "sqlite:////srv/municipal.db",
        "MUNICIPAL_SECRET_KEY": "123",
        "MUNICIPAL_PUBLIC_URL": "https://qr.example.cn",
        "MUNICIPAL_MEDIA_DIR": "/srv/media",
        "MUNICIPAL_TIMEZONE": "Asia/Urumqi",
        "MUNICIPAL_SMTP_HOST": "mail.example.cn",
        "MUNICIPAL_SMTP_PORT": "587",
        "MUNICIPAL_SMTP_FROM": "municipal@example.cn",
        "MUNICIPAL_SMTP_USER": "12345",
        "MUNICIPAL_SMTP_PASSWORD": "true",
        "MUNICIPAL_SMTP_TLS": "starttls",
        "MUNICIPAL_INSPECTION_MAX_DISTANCE_M": "1500",
        "MUNICIPAL_CLOCK": "2027-06-01T08:00",
        "MUNICIPAL_TRUSTED_PROXIES": "2",
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    app = Flask(__name__, instance_path=str(tmp_path))
    load_config(app)
    config = app.config
    assert config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////srv/municipal.db" and "DATABASE_URL" not in config
    # Text that JSON would read as a number or a boolean stays text.
    assert config["SECRET_KEY"] == "123" and config["SMTP_USER"] == "12345" and config["SMTP_PASSWORD"] == "true"
    assert config["PUBLIC_URL"] == "https://qr.example.cn" and config["SESSION_COOKIE_SECURE"] is True
    assert (config["MEDIA_DIR"], config["TIMEZONE"]) == ("/srv/media", "Asia/Urumqi")
    assert (config["SMTP_HOST"], config["SMTP_FROM"], config["SMTP_TLS"]) == ("mail.example.cn", "municipal@example.cn",
                                                                             "starttls")
    assert config["SMTP_PORT"] == 587 and type(config["SMTP_PORT"]) is int
    assert config["INSPECTION_MAX_DISTANCE_M"] == 1500.0 and type(config["INSPECTION_MAX_DISTANCE_M"]) is float
    assert config["TRUSTED_PROXIES"] == 2 and type(config["TRUSTED_PROXIES"]) is int
    assert config["CLOCK"] == "2027-06-01T08:00"


def test_without_variables_the_defaults_hold(tmp_path):
    config = configured(tmp_path).config
    assert config["INSPECTION_MAX_DISTANCE_M"] == DefaultConfig.INSPECTION_MAX_DISTANCE_M
    assert (config["TRUSTED_PROXIES"], config["SMTP_PORT"], config["SMTP_HOST"]) == (0, 25, "")
    assert config["PUBLIC_URL"] == "http://127.0.0.1:5000" and config["TIMEZONE"] == "Asia/Shanghai"
    assert config["MEDIA_DIR"] == str(tmp_path / "media") and config["CLOCK"] is None
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'municipal.db'}"


def test_a_distance_may_have_a_fraction(tmp_path, monkeypatch):
    monkeypatch.setenv("MUNICIPAL_INSPECTION_MAX_DISTANCE_M", "12.5")
    assert configured(tmp_path).config["INSPECTION_MAX_DISTANCE_M"] == 12.5


def test_the_settings_file_overrides_the_defaults_and_the_environment_overrides_the_file(tmp_path, monkeypatch):
    cfg = 'PUBLIC_URL = "https://file.example"\nTRUSTED_PROXIES = 1\nHOTLINE = "0591-12345"\n'
    config = configured(tmp_path, cfg=cfg).config
    assert (config["PUBLIC_URL"], config["TRUSTED_PROXIES"], config["HOTLINE"]) == ("https://file.example", 1,
                                                                                   "0591-12345")
    monkeypatch.setenv("MUNICIPAL_PUBLIC_URL", "https://env.example")
    monkeypatch.setenv("MUNICIPAL_TRUSTED_PROXIES", "3")
    config = configured(tmp_path).config
    assert (config["PUBLIC_URL"], config["TRUSTED_PROXIES"], config["HOTLINE"]) == ("https://env.example", 3,
                                                                                   "0591-12345")
    # What create_app is given (the tests' settings) comes last.
    assert configured(tmp_path, {"TRUSTED_PROXIES": 0}).config["TRUSTED_PROXIES"] == 0


def test_the_database_url_under_either_name_from_either_source(tmp_path, monkeypatch):
    cfg = 'SQLALCHEMY_DATABASE_URI = "sqlite:////srv/file.db"\n'
    assert configured(tmp_path, cfg=cfg).config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////srv/file.db"
    (tmp_path / "municipal.cfg").write_text('DATABASE_URL = "sqlite:////srv/alias.db"\n')
    assert configured(tmp_path).config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////srv/alias.db"
    monkeypatch.setenv("MUNICIPAL_SQLALCHEMY_DATABASE_URI", "sqlite:////srv/long-name.db")
    assert configured(tmp_path).config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////srv/long-name.db"
    monkeypatch.setenv("MUNICIPAL_DATABASE_URL", "postgresql+psycopg://municipal@db/municipal")
    config = configured(tmp_path).config
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://municipal@db/municipal"
    assert "DATABASE_URL" not in config and config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


def test_an_empty_variable_leaves_its_setting_as_it_was(tmp_path, monkeypatch):
    for name in ("PUBLIC_URL", "TRUSTED_PROXIES", "DATABASE_URL", "SECRET_KEY", "CLOCK", "SMTP_PORT"):
        monkeypatch.setenv(f"MUNICIPAL_{name}", "")
    app = Flask(__name__, instance_path=str(tmp_path))
    load_config(app)
    config = app.config
    assert (config["PUBLIC_URL"], config["TRUSTED_PROXIES"], config["CLOCK"], config["SMTP_PORT"]) == (
        "http://127.0.0.1:5000", 0, None, 25)
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///") and len(config["SECRET_KEY"]) > 40


def test_the_test_suites_database_never_becomes_a_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("MUNICIPAL_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/test")
    monkeypatch.setenv("MUNICIPAL_DEMO_PASSWORD", "1234")
    config = configured(tmp_path).config
    assert "TEST_DATABASE_URL" not in config and "DEMO_PASSWORD" not in config
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'municipal.db'}"


def test_a_part_of_a_table_is_set_alone_and_the_defaults_stay_untouched(tmp_path, monkeypatch):
    monkeypatch.setenv("MUNICIPAL_WORK_ORDER_SLA_HOURS__urgent", "12")
    monkeypatch.setenv("MUNICIPAL_CALENDAR_SETTINGS__seasons__2027__flood__start", "04-10")
    config = configured(tmp_path).config
    assert config["WORK_ORDER_SLA_HOURS"] == {**DefaultConfig.WORK_ORDER_SLA_HOURS, "urgent": 12}
    assert config["CALENDAR_SETTINGS"] == {"seasons": {"2027": {"flood": {"start": "04-10"}}}}
    assert DefaultConfig.WORK_ORDER_SLA_HOURS["urgent"] == 24 and DefaultConfig.CALENDAR_SETTINGS == {}


def test_a_whole_table_and_other_settings_come_from_the_environment_too(tmp_path, monkeypatch):
    monkeypatch.setenv("MUNICIPAL_CALENDAR_TYPES", '["reservoir", "bridge"]')
    monkeypatch.setenv("MUNICIPAL_DISTRICT_BBOX", "[119.0, 25.0, 120.0, 27.0]")
    monkeypatch.setenv("MUNICIPAL_REPORT_RATE_LIMIT", "9")
    monkeypatch.setenv("MUNICIPAL_HOTLINE", "12345")
    monkeypatch.setenv("MUNICIPAL_MAP_TILES", "osm")
    config = configured(tmp_path).config
    assert config["CALENDAR_TYPES"] == ("reservoir", "bridge") and config["DISTRICT_BBOX"] == (119.0, 25.0, 120.0, 27.0)
    assert config["REPORT_RATE_LIMIT"] == 9 and config["HOTLINE"] == "12345" and config["MAP_TILES"] == "osm"


@pytest.mark.parametrize(("variable", "value", "must"), [
    ("MUNICIPAL_TRUSTED_PROXIES", "abc", "a whole number from 0 to 10"),
    ("MUNICIPAL_TRUSTED_PROXIES", "one", "a whole number from 0 to 10"),
    ("MUNICIPAL_TRUSTED_PROXIES", "-1", "a whole number from 0 to 10"),
    ("MUNICIPAL_TRUSTED_PROXIES", "1.5", "a whole number from 0 to 10"),
    ("MUNICIPAL_TRUSTED_PROXIES", "99", "a whole number from 0 to 10"),
    ("MUNICIPAL_TRUSTED_PROXIES", "true", "a whole number from 0 to 10"),
    ("MUNICIPAL_INSPECTION_MAX_DISTANCE_M", "far", "a positive number"),
    ("MUNICIPAL_INSPECTION_MAX_DISTANCE_M", "-5", "a positive number"),
    ("MUNICIPAL_INSPECTION_MAX_DISTANCE_M", "0", "a positive number"),
    ("MUNICIPAL_INSPECTION_MAX_DISTANCE_M", "nan", "a positive number"),
    ("MUNICIPAL_INSPECTION_MAX_DISTANCE_M", "inf", "a positive number"),
    ("MUNICIPAL_SMTP_PORT", "smtp", "a port number"),
    ("MUNICIPAL_SMTP_PORT", "70000", "a port number"),
    ("MUNICIPAL_TIMEZONE", "Fuzhou", "a time zone name"),
    ("MUNICIPAL_CLOCK", "next monday", "a date or a local time"),
    ("MUNICIPAL_PLATFORM_LIVE_ON", "2026-13-01", "a date"),
    ("MUNICIPAL_REPORT_RATE_LIMIT", "five", "a whole number"),
    ("MUNICIPAL_CALENDAR_SETTINGS", "seasons", "a JSON object"),
    ("MUNICIPAL_WORK_ORDER_SLA_HOURS", "[24]", "a JSON object"),
])
def test_a_value_that_is_not_of_its_setting_stops_the_start_naming_the_variable(tmp_path, monkeypatch, variable,
                                                                                  value, must):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=f"^{variable} must be {must}.*, not '{re.escape(value)}'$"):
        configured(tmp_path)


def test_the_report_issuer_and_the_live_day_come_from_the_environment(tmp_path, monkeypatch):
    assert configured(tmp_path).config["REPORT_ISSUER"] == "福州市晋安区城市管理局"
    monkeypatch.setenv("MUNICIPAL_REPORT_ISSUER", "福州市晋安区水利局")
    monkeypatch.setenv("MUNICIPAL_PLATFORM_LIVE_ON", "2026-03-01")
    config = configured(tmp_path).config
    assert (config["REPORT_ISSUER"], config["PLATFORM_LIVE_ON"]) == ("福州市晋安区水利局", "2026-03-01")


def test_a_wrong_value_in_the_settings_file_is_named_as_a_setting(tmp_path):
    with pytest.raises(ConfigError, match=r"^TRUSTED_PROXIES must be a whole number from 0 to 10, not 11$"):
        configured(tmp_path, cfg="TRUSTED_PROXIES = 11\n")
    # Text in the file is read as the environment's would be.
    assert configured(tmp_path, cfg='TRUSTED_PROXIES = "2"\n').config["TRUSTED_PROXIES"] == 2


def test_a_part_of_a_setting_that_is_not_a_table_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("MUNICIPAL_SMTP_HOST__name", "x")
    with pytest.raises(ConfigError, match="MUNICIPAL_SMTP_HOST__name: SMTP_HOST is not a table"):
        configured(tmp_path)
    monkeypatch.delenv("MUNICIPAL_SMTP_HOST__name")
    monkeypatch.setenv("MUNICIPAL_WORK_ORDER_SLA_HOURS", '{"urgent": 12}')
    monkeypatch.setenv("MUNICIPAL_WORK_ORDER_SLA_HOURS__high", "48")
    with pytest.raises(ConfigError, match="set either MUNICIPAL_WORK_ORDER_SLA_HOURS or parts of it, not both"):
        configured(tmp_path)


def test_the_command_line_says_what_is_wrong_without_a_traceback(monkeypatch):
    from municipal.console import main

    monkeypatch.setenv("MUNICIPAL_TRUSTED_PROXIES", "abc")
    result = CliRunner().invoke(main, ["jobs", "list"])
    assert result.exit_code == 2
    assert "Cannot start: MUNICIPAL_TRUSTED_PROXIES must be a whole number from 0 to 10, not 'abc'" in result.output
    assert "Traceback" not in result.output
