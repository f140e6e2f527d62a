"""The OpenAPI description says what the API does: every error it documents has the body errors really have."""
from municipal.errors import ErrorSchema
from tests.web.api_helpers import bearer  # noqa: F401


def resolve(spec, node):
    while "$ref" in node:
        section, name = node["$ref"].split("/")[-2:]
        node = spec["components"][section][name]
    return node


def test_every_documented_error_refers_to_the_one_error_schema(client, db):
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for status, response in operation["responses"].items():
                if status == "default" or status >= "400":
                    documented += 1
                    schema = resolve(spec, response)["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
    assert documented > 50
    error = resolve(spec, spec["components"]["schemas"]["Error"]["properties"]["error"])
    assert set(error["required"]) == {"code", "message", "fields"}
    assert error["properties"]["fields"]["additionalProperties"] == {"type": "string"}


def test_real_error_bodies_match_the_error_schema(client, bearer):
    headers = bearer()
    for response in (client.get("/api/v1/me"), client.get("/api/v1/assets/999", headers=headers),
                     client.post("/api/v1/assets", json={"name": 7}, headers=headers),
                     client.put("/api/v1/assets", json={}, headers=headers)):
        assert response.status_code >= 400
        assert ErrorSchema().validate(response.get_json()) == {}, response.get_json()


def test_bounds_and_choices_checked_by_the_api_are_in_the_description(client, db):
    spec = client.get("/api/v1/openapi.json").get_json()
    bind = spec["components"]["schemas"]["CodeBind"]["properties"]["asset_id"]
    assert (bind["minimum"], bind["maximum"]) == (1, 2**31 - 1)
    parameters = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/assets"]["get"]["parameters"]}
    assert "reservoir" in parameters["type"]["enum"]


def test_every_operation_documents_its_success(client, db):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                assert any(status[0] in "23" for status in operation["responses"]), (method, path)
