"""The OpenAPI schema builds without a warning and validates, describes every endpoint with the
error answers it gives, and types its parameters as the API reads them."""

import re

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from core.web import MAX_ID


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


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


def test_every_operation_documents_the_errors_it_answers(schema):
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        parameters = operation.get("parameters", [])
        public = (path, method) in (("/api/v1/public/issue-status/", "POST"), ("/api/v1/auth/token/", "POST"))
        where = (method, path)
        assert ("401" in codes) == (path != "/api/v1/public/issue-status/"), where
        if "requestBody" in operation or any(p["in"] == "query" and p["name"] != "page" for p in parameters):
            assert "400" in codes, where
        if method == "POST":
            assert {"400", "413", "415"} <= codes, where
            assert ("403" in codes) == (path != "/api/v1/public/issue-status/"), where
        if any(p["in"] == "path" or p.get("required") or p["name"] == "page" for p in parameters):
            assert "404" in codes, where
        assert ("409" in codes) == (method == "POST" and "{" in path), where
        assert ("429" in codes) == public, where
        for code, answer in operation["responses"].items():
            if code >= "400":
                assert answer["content"]["application/json"]["schema"]["$ref"].startswith("#/components/"), where
    refusal = schema["components"]["schemas"]["ErrorDetail"]
    assert refusal["required"] == ["detail"]


def test_ids_and_pages_are_whole_numbers_from_1(schema):
    seen = 0
    for _path, _method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["schema"].get("type") == "integer":
                assert (parameter["schema"]["minimum"], parameter["schema"]["maximum"]) == (1, MAX_ID)
                seen += 1
            if parameter["in"] == "query" and not parameter.get("required"):
                assert parameter["allowEmptyValue"] is True  # an empty filter is no filter
    assert seen > 20


def test_a_request_body_is_documented_as_json_with_no_blank_text(schema):
    register = schema["components"]["schemas"]["RegisterRequest"]
    assert register["properties"]["title"]["minLength"] == 1
    for _path, _method, operation in operations(schema):
        if "requestBody" in operation:
            assert list(operation["requestBody"]["content"]) == ["application/json"]


@pytest.mark.parametrize("path", ["/api/v1/issues/", "/api/v1/visits/", "/api/v1/households/", "/api/v1/teams/"])
@pytest.mark.parametrize("value", ["0.5", "0", "-1", "1e3", "١٢", str(MAX_ID + 1)])
def test_an_id_filter_that_is_not_a_whole_number_from_1_is_a_400(world, api_as, path, value):
    response = api_as(world.org_department).get(path, {"village": value})
    assert response.status_code == 400, response.content
    assert response.json() == {"village": ["请输入记录编号（从 1 开始的整数）。"]}


@pytest.mark.parametrize("path, name", [
    ("/api/v1/villages/", "town"), ("/api/v1/towns/", "county"), ("/api/v1/departments/", "county"),
    ("/api/v1/teams/", "village"), ("/api/v1/issues/", "town"), ("/api/v1/visits/", "cadre"),
])
def test_an_id_the_schema_accepts_filters_to_nothing_rather_than_a_400(world, api_as, path, name):
    response = api_as(world.org_department).get(path, {name: MAX_ID})
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 0


@pytest.mark.parametrize("path, name", [
    ("/api/v1/issues/", "overdue"), ("/api/v1/issues/", "mine"), ("/api/v1/households/", "not_visited"),
    ("/api/v1/households/", "is_active"), ("/api/v1/visits/", "needs_follow_up"),
])
def test_a_yes_no_filter_takes_true_false_or_nothing(world, api_as, path, name):
    api = api_as(world.org_department)
    for value in ("true", "false", ""):
        assert api.get(path, {name: value}).status_code == 200, value
    for value in ("maybe", "yes", "1", "True"):
        response = api.get(path, {name: value})
        assert response.status_code == 400, value
        assert response.json() == {name: ["请输入 true 或 false。"]}


def test_not_found_is_said_in_chinese(world, api_as):
    response = api_as(world.leader).get("/api/v1/liaison-days/999999999/")
    assert response.status_code == 404
    assert response.json() == {"detail": "未找到。"}


def test_no_format_suffix_routes(busy_world, api_as):
    """`.json` routes answered an action with a 500 (its method takes no `format`); the API
    speaks JSON only, so they are gone."""
    api = api_as(busy_world.leader)
    response = api.post(f"/api/v1/liaison-days/{busy_world.day_a.pk}/attendance.json", [], format="json")
    assert response.status_code == 404
    assert api.get("/api/v1/towns.json").status_code == 404


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("path", [
    "/api/v1/towns/1.5/", "/api/v1/issues/AB.CD/", "/api/v1/nothing/", "/api/v1/towns/1/nothing/", "/api/v2/",
    "/api/", "/api/v1/liaison-days/1/attendance/x/", "/api/v1/nothing",
])
def test_a_path_no_route_takes_under_api_is_a_json_404_even_in_development(world, api_as, settings, debug, path):
    """DEBUG's technical 404 page was HTML; the router's misses are answered by the API's own
    last route, in the user's language."""
    settings.DEBUG = debug
    api = api_as(world.leader)
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "未找到。"}
    api.cookies["django_language"] = "en"
    assert api.post(path, {}, format="json").json() == {"detail": "Not found."}


@pytest.mark.parametrize("path", ["/api/v1/issues/%C2%84/escalate/", "/api/v1/liaison-days/0.5/attendance/"])
def test_a_post_to_a_path_no_route_takes_is_a_json_404_not_the_csrf_page(world, path):
    """Found by Schemathesis: the last route is a Django view, and the CSRF check answered a POST
    without a token with its HTML 403 before the view said 404."""
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(path, "{}", content_type="application/json")
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")


def test_a_path_that_misses_only_its_slash_is_still_sent_to_it(world, api_as, settings):
    settings.DEBUG = True
    response = api_as(world.leader).get("/api/v1/towns?county=1")
    assert (response.status_code, response["Location"]) == (301, "/api/v1/towns/?county=1")


def _strings(schema, components, seen=None):
    """Every string schema inside `schema`, following references."""
    seen = set() if seen is None else seen
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref", "")
    if ref:
        if ref not in seen:
            seen.add(ref)
            yield from _strings(components[ref.rsplit("/", 1)[1]], components, seen)
        return
    if schema.get("type") == "string":
        yield schema
    for key in ("items", "additionalProperties"):
        yield from _strings(schema.get(key), components, seen)
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, ()):
            yield from _strings(part, components, seen)
    for part in schema.get("properties", {}).values():
        yield from _strings(part, components, seen)


def test_every_text_the_api_reads_says_it_holds_no_nul(schema):
    """The server refuses a NUL in every text it reads (PostgreSQL cannot store one): the schema
    says so, with an enum, a format or a pattern that a NUL does not match."""
    components = schema["components"]["schemas"]
    checked = 0
    for path, method, operation in operations(schema):
        read = [p["schema"] for p in operation.get("parameters", [])]
        read += [m["schema"] for m in operation.get("requestBody", {}).get("content", {}).values()]
        for part in read:
            for text in _strings(part, components):
                checked += 1
                if "enum" in text or "format" in text:
                    continue
                assert "pattern" in text, (method, path, text)
                assert not re.search(text["pattern"], "前\x00后"), (method, path, text)
    assert checked > 50


def test_a_text_filter_the_schema_refuses_is_a_400_and_one_it_accepts_is_not(schema, world, api_as):
    api = api_as(world.org_department)
    seen = 0
    for path, method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            text = parameter["schema"]
            if method != "GET" or parameter["in"] != "query" or text.get("type") != "string" or "format" in text:
                continue
            if "enum" in text or parameter.get("required"):
                continue
            seen += 1
            for value in ("前\x00后", "前后"):
                refused = not re.search(text["pattern"], value)
                response = api.get(path, {parameter["name"]: value})
                assert (response.status_code == 400) == refused, (path, parameter["name"], value)
    assert seen >= 3


def test_the_period_is_what_the_server_takes_whatever_the_year(schema, world, api_as):
    """week:7802-W53 fitted the schema's pattern and was refused: now the pattern bounds the years
    and has week 53 only in the years that have one, and the server takes every key it matches."""
    (parameter,) = [p for p in schema["paths"]["/api/v1/metrics/"]["get"]["parameters"] if p["name"] == "period"]
    pattern = parameter["schema"]["pattern"]
    api = api_as(world.org_department)
    keys = ["week:7802-W53", "year:1999", "year:2100", "week:2026-W54", "month:2026-13", "quarter:2026-Q0"]
    for year in range(2000, 2100):
        keys += [f"week:{year}-W53", f"week:{year}-W52", f"month:{year}-12", f"quarter:{year}-Q4", f"year:{year}"]
    taken = 0
    for key in keys:
        response = api.get("/api/v1/metrics/", {"unit": f"county:{world.county.pk}", "period": key})
        matches = re.search(pattern, key) is not None
        assert (response.status_code != 400) == matches, (key, response.content[:200])
        taken += matches
    assert taken == 4 * 100 + 18  # every week 53 of a year that has one: 2004, 2009, 2015, 2020, 2026, …
    response = api.get("/api/v1/metrics/", {"unit": f"county:{world.county.pk}", "period": "week:2001-W53"})
    assert response.json() == {"period": ["统计周期须在 2000 年至 2099 年之间；第 53 周只在有第 53 周的年份。"]}


def test_the_public_lookup_states_the_shape_of_a_code_and_refuses_what_it_does_not_match(schema, world, api_as):
    from issues import codes
    from issues.tests.conftest import forget_public_counters

    forget_public_counters()
    fields = schema["components"]["schemas"]["IssueStatusRequestRequest"]["properties"]
    code, last4 = fields["code"]["pattern"], fields["phone_last4"]["pattern"]
    body = "SSSSSSSSS"
    real = body + codes.check_character(body)
    for written in (real, real.lower(), codes.display(real), f" {real[:4]}\u3000{real[4:]} "):
        assert re.search(code, written), written
        response = api_as(None).post("/api/v1/public/issue-status/", {"code": written, "phone_last4": "5678"},
                                     format="json")
        assert response.status_code == 404, (written, response.content)  # well formed: looked up, not there
    # ſ is S once upper-cased: the server took it for the code above; the schema never did.
    for written, digits in ((real.replace("S", "ſ"), "5678"), (real, "５６７８"), (real + "2", "5678")):
        assert not (re.search(code, written) and re.search(last4, digits))
        response = api_as(None).post("/api/v1/public/issue-status/", {"code": written, "phone_last4": digits},
                                     format="json")
        assert response.status_code == 400, (written, response.content)
    forget_public_counters()
