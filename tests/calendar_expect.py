"""A worked case's `expect` checked against a preview response: the same check for the engine, the API and the CLI."""
from collections import Counter


def assert_expected(expect: dict, response: dict) -> None:
    returned = Counter((item["due"], item["kind"]) for item in response["items"])
    assert returned == Counter((item["due"], item["kind"]) for item in expect["items"])
    for item in expect.get("absent", []):
        assert (item["due"], item["kind"]) not in returned
    assert set(expect.get("flags_include", [])) <= set(response["flags"])
    for name, value in expect.get("derived", {}).items():
        assert response["derived"].get(name) == value
    with_status = [item for item in expect["items"] if "status" in item]
    statuses = Counter((item["due"], item["kind"], item["status"]) for item in response["items"])
    assert Counter((item["due"], item["kind"], item["status"]) for item in with_status) <= statuses
    assert [item["due"] for item in response["items"]] == sorted(item["due"] for item in response["items"])
