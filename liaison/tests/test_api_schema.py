"""The OpenAPI schema builds without a warning and validates, so /api/docs/ describes every endpoint."""

from django.core.management import call_command


def test_the_schema_builds_cleanly_and_lists_the_contract_endpoints(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    schema = target.read_text(encoding="utf-8")
    for path in (
        "/api/v1/me/", "/api/v1/towns/", "/api/v1/villages/", "/api/v1/departments/", "/api/v1/teams/",
        "/api/v1/households/", "/api/v1/liaison-days/", "/api/v1/liaison-days/{id}/attendance/", "/api/v1/visits/",
        "/api/v1/categories/", "/api/v1/issues/", "/api/v1/issues/{code}/", "/api/v1/public/issue-status/",
        "/api/v1/auth/token/",
    ):
        assert f"  {path}:" in schema, path
