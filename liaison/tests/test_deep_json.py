"""A small request of deeply nested JSON is bad input, answered 400 in Chinese on every JSON
endpoint, for a visitor and a signed-in cadre alike, never a 500."""

import pytest
from drf_spectacular.generators import SchemaGenerator

DEEP = b"[" * 1000 + b"]" * 1000  # 2,000 bytes


def json_endpoints():
    """Every operation of the API that reads a JSON body, from its schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path, method.upper())
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    ]


def test_every_write_endpoint_reads_json():
    assert ("/api/v1/public/issue-status/", "POST") in json_endpoints()
    assert ("/api/v1/auth/token/", "POST") in json_endpoints()
    assert len(json_endpoints()) >= 12


@pytest.mark.parametrize("persona", ["anonymous", "cadre"])
def test_deeply_nested_json_is_a_400_in_chinese_everywhere(busy_world, client, persona):
    ids = {"{id}": str(busy_world.day_a.pk), "{code}": busy_world.issue_a.code}
    if persona == "cadre":
        client.force_login(busy_world.cadre)
    for path, method in json_endpoints():
        for name, value in ids.items():
            path = path.replace(name, value)
        response = client.generic(method, path, DEEP, content_type="application/json")
        # A visitor is turned away from what needs a login before the body is read.
        expected = (400,) if persona == "cadre" else (400, 401)
        assert response.status_code in expected, (path, response.status_code, response.content[:200])
        if response.status_code == 400:
            assert response.json() == {"detail": "请求内容嵌套层数过多。"}, path
