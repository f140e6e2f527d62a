"""POST /api/v1/calendar/preview and `municipal calendar preview`: the same JSON either way."""
import json
from pathlib import Path

import pytest

from tests.calendar_expect import assert_expected
from tests.conftest import token_headers

CASES = Path(__file__).resolve().parents[1] / "unit" / "calendar_cases"
URL = "/api/v1/calendar/preview"


def case(name="example-2-flood-season-start"):
    return json.loads((CASES / f"{name}.json").read_text(encoding="utf-8"))


bearer = token_headers


def test_supervisor_gets_the_preview(client, db, users):
    response = client.post(URL, json=case()["request"], headers=bearer(db, users["supervisor"]))
    assert response.status_code == 200
    body = response.get_json()
    assert [item["due"] for item in body["items"]][:2] == ["2025-03-27", "2025-03-31"]
    assert body["items"][0]["rule"] == "RES-PATROL-ROUTINE" and body["derived"] == {"scale_class": "小(2)型"}


def test_a_read_only_token_may_ask_for_a_preview(client, db, users):
    # The preview is a question sent as a body: it changes nothing, so reading is enough.
    response = client.post(URL, json=case()["request"], headers=bearer(db, users["supervisor"], scopes=("read",)))
    assert response.status_code == 200


def test_crew_is_refused_and_anonymous_must_sign_in(client, db, users):
    assert client.post(URL, json=case()["request"], headers=bearer(db, users["crew"])).status_code == 403
    response = client.post(URL, json=case()["request"])
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"


def test_a_bad_request_is_422_naming_each_field(client, db, users):
    request = case()["request"]
    request["asset"]["attributes"]["capcity_m3"] = 1
    request["to"] = "2025-02-30"
    response = client.post(URL, json=request, headers=bearer(db, users["supervisor"]))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and error["message"]
    assert set(error["fields"]) == {"asset.attributes.capcity_m3", "to"}


def test_a_body_that_is_not_json_is_422(client, db, users):
    headers = {**bearer(db, users["supervisor"]), "Content-Type": "application/json"}
    response = client.post(URL, data="{not json", headers=headers)
    assert response.status_code == 422 and "body" in response.get_json()["error"]["fields"]


def test_documented_in_openapi(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "post" in spec["paths"]["/api/v1/calendar/preview"]


@pytest.mark.parametrize("name", [path.stem for path in sorted(CASES.glob("*.json"))])
def test_the_api_and_the_cli_give_each_worked_case_its_expected_answer(app, client, db, users, name, tmp_path):
    response = client.post(URL, json=case(name)["request"], headers=bearer(db, users["supervisor"]))
    assert response.status_code == 200
    api = response.get_json()
    assert_expected(case(name)["expect"], api)
    result = app.test_cli_runner().invoke(args=["calendar", "preview", str(CASES / f"{name}.json")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == api
    bare = tmp_path / "request.json"
    bare.write_text(json.dumps(case(name)["request"], ensure_ascii=False), encoding="utf-8")
    again = app.test_cli_runner().invoke(args=["calendar", "preview", str(bare)])
    assert again.exit_code == 0 and json.loads(again.stdout) == api


def test_cli_refuses_a_bad_request_with_exit_2_naming_the_field(app, tmp_path):
    request = case()["request"]
    request["events"] = [{"kind": "meteor", "start": "2025-03-25"}]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"request": request}), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["calendar", "preview", str(path)])
    assert result.exit_code == 2
    assert "events.0.kind" in result.stderr and result.stdout == ""
    path.write_text("{broken", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["calendar", "preview", str(path)])
    assert result.exit_code == 2 and str(path) in result.stderr


def _rainstorm(**measurements):
    return {"kind": "rainstorm", "start": "2025-03-25", **measurements}


# The issue's own examples of bad input: each refused, the field named, by the API and by the CLI alike.
BAD_INPUT = {
    "impossible date": ({"from": "2025-02-29"}, "from"),
    "to before from": ({"from": "2025-04-01", "to": "2025-03-01"}, "to"),
    "unknown event kind": ({"events": [{"kind": "meteor", "start": "2025-03-25"}]}, "events.0.kind"),
    "negative rainfall": ({"events": [_rainstorm(rain_24h_mm=-5)]}, "events.0.rain_24h_mm"),
    "rainfall not a number": ({"events": [_rainstorm(rain_24h_mm="lots")]}, "events.0.rain_24h_mm"),
    "rainfall true": ({"events": [_rainstorm(rain_24h_mm=True)]}, "events.0.rain_24h_mm"),
    "season that does not parse": ({"seasons": {"flood": {"start": "April", "end": "10-15"}}},
                                   "seasons.flood.start"),
}


@pytest.mark.parametrize("change, field", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_422_and_exit_2_naming_the_field(app, client, db, users, tmp_path, change, field):
    request = {**case()["request"], **change}
    response = client.post(URL, json=request, headers=bearer(db, users["supervisor"]))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["calendar", "preview", str(path)])
    assert result.exit_code == 2 and f"{field}:" in result.stderr and result.stdout == ""


def test_a_falling_level_may_be_negative(client, db, users):
    request = {**case()["request"], "events": [{"kind": "rapid_level_change", "start": "2025-03-25",
                                                "level_change_24h_m": -1.5}]}
    assert client.post(URL, json=request, headers=bearer(db, users["supervisor"])).status_code == 200


def test_wrong_district_settings_are_the_server_s_fault_named_never_a_500(app, client, db, users, monkeypatch,
                                                                          tmp_path, login, make_asset):
    monkeypatch.setitem(app.config, "CALENDAR_SETTINGS", {"rolling_patrol_days": "seven"})
    # The settings are built once per process: this process builds them again, from the wrong ones.
    monkeypatch.delitem(app.extensions, "calendar_table", raising=False)
    login("supervisor")
    response = client.post(URL + "?lang=en", json=case()["request"], headers=bearer(db, users["supervisor"]))
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "unavailable" and "settings.rolling_patrol_days" in error["fields"]
    # The facility's calendar page reads the same settings, and says the same.
    page = client.get(f"/assets/{make_asset('reservoir', '登云水库').id}/calendar?lang=en")
    assert page.status_code == 503 and "rolling_patrol_days" in page.get_data(as_text=True)
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case()), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["calendar", "preview", str(path)])
    assert result.exit_code == 2 and "rolling_patrol_days" in result.stderr


def test_a_broken_rule_file_is_the_server_s_fault_named_never_a_500(app, client, db, users, monkeypatch, tmp_path,
                                                                   login, make_asset):
    from municipal.calendar import settings
    from municipal.calendar.engine import rules

    path = tmp_path / "rules.yaml"
    path.write_text("rules: [unclosed\n", encoding="utf-8")
    monkeypatch.setattr(settings, "load_table", lambda: rules.load_table(path))
    monkeypatch.delitem(app.extensions, "calendar_table", raising=False)
    asset = make_asset("reservoir", "登云水库")
    response = client.get(f"/api/v1/assets/{asset.id}/calendar?lang=en", headers=bearer(db, users["supervisor"]))
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "unavailable" and str(path) in error["message"] and list(error["fields"]) == ["settings"]
    login("supervisor")
    page = client.get(f"/assets/{asset.id}/calendar?lang=en")
    assert page.status_code == 503 and str(path) in page.get_data(as_text=True)
    monkeypatch.delitem(app.extensions, "calendar_table", raising=False)


def test_the_error_mapping_does_not_import_the_calendar():
    """errors.py maps DomainErrors; the calendar registers the answer to its own RuleTableError (calendar.init_app)."""
    import ast

    source = (Path(__file__).resolve().parents[2] / "municipal" / "errors.py").read_text(encoding="utf-8")
    imported = {node.module or "" for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)}
    assert not any(module.split(".")[0] == "calendar" or module.startswith("municipal.calendar") for module in imported)
