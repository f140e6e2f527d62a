"""Settings from the environment: MUNICIPAL_* variables, numbers read as numbers."""
import pytest
from flask import Flask

from municipal.config import DefaultConfig, load_config


def configured(tmp_path) -> Flask:
    app = Flask(__name__, instance_path=str(tmp_path))
    load_config(app, {"SECRET_KEY": "test"})
    return app


def test_the_inspection_distance_comes_from_the_environment_as_a_number(tmp_path, monkeypatch):
    assert configured(tmp_path).config["INSPECTION_MAX_DISTANCE_M"] == DefaultConfig.INSPECTION_MAX_DISTANCE_M
    monkeypatch.setenv("MUNICIPAL_INSPECTION_MAX_DISTANCE_M", "1500")
    assert configured(tmp_path).config["INSPECTION_MAX_DISTANCE_M"] == 1500.0


@pytest.mark.parametrize("value", ["far", "-5", "0", "nan", "inf"])
def test_a_distance_that_is_not_a_positive_number_stops_the_start_naming_the_variable(tmp_path, monkeypatch, value):
    monkeypatch.setenv("MUNICIPAL_INSPECTION_MAX_DISTANCE_M", value)
    with pytest.raises(ValueError, match="MUNICIPAL_INSPECTION_MAX_DISTANCE_M"):
        configured(tmp_path)


def test_trusted_proxies_default_to_none_and_are_read_as_a_whole_number(tmp_path, monkeypatch):
    assert configured(tmp_path).config["TRUSTED_PROXIES"] == 0
    monkeypatch.setenv("MUNICIPAL_TRUSTED_PROXIES", "2")
    assert configured(tmp_path).config["TRUSTED_PROXIES"] == 2


@pytest.mark.parametrize("value", ["one", "-1", "1.5", "99"])
def test_a_proxy_count_that_is_not_a_small_whole_number_stops_the_start(tmp_path, monkeypatch, value):
    monkeypatch.setenv("MUNICIPAL_TRUSTED_PROXIES", value)
    with pytest.raises(ValueError, match="MUNICIPAL_TRUSTED_PROXIES"):
        configured(tmp_path)
