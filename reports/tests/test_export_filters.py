"""The filters sent with POST /api/v1/exports/ go into a jsonb column: a NUL anywhere in them was a
DataError (a 500), and their number and size were unbounded. Both are now a 400 in Chinese, and
nothing is stored; the schema says the same bounds."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from reports.excel.exports import MAX_FILTER_NAME, MAX_FILTER_TEXT, MAX_FILTER_VALUES, MAX_FILTERS
from reports.models import ExportJob

EXPORTS = "/api/v1/exports/"
NUL = "不能含有空字符（NUL），请删掉后再提交。"


@pytest.fixture
def api(world, liaison_tuesday, api_as, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return api_as(world.org_department)


@pytest.mark.parametrize("body, field", [
    ({"kind": "issues", "note": "前\x00后"}, "note"),
    ({"kind": "issues", "status": ["open", "\x00"]}, "status"),
    ({"kind": "visits", "date\x00": "2026-11-24"}, "detail"),
    ({"kind": "issues", "\x00": ""}, "detail"),
])
def test_a_nul_anywhere_in_the_filters_is_a_400_in_chinese(api, body, field):
    response = api.post(EXPORTS, body, format="json")
    assert response.status_code == 400, response.content[:300]
    answer = response.json()
    assert list(answer) == [field]
    assert answer[field] == [NUL] if field != "detail" else "NUL" in answer[field][0]
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize("body, field, message", [
    ({"kind": "issues", **{f"f{i}": "1" for i in range(MAX_FILTERS + 1)}}, "detail",
     f"一次导出最多 {MAX_FILTERS} 个筛选条件。"),
    ({"kind": "issues", "q": "长" * (MAX_FILTER_TEXT + 1)}, "q", f"筛选条件的值不能超过 {MAX_FILTER_TEXT} 个字。"),
    ({"kind": "issues", "town": ["1"] * (MAX_FILTER_VALUES + 1)}, "town",
     f"一个筛选条件最多 {MAX_FILTER_VALUES} 个值。"),
    ({"kind": "issues", "n" * (MAX_FILTER_NAME + 1): "1"}, "detail", f"筛选条件的名称最多 {MAX_FILTER_NAME} 个字"),
    ({"kind": "issues", "town": {"id": 1}}, "town", "筛选条件的值是文字、数字、true 或 false，或它们的列表。"),
    ({"kind": "issues", "town": None}, "town", "筛选条件的值是文字、数字、true 或 false，或它们的列表。"),
    ({"kind": "issues", "town": [["1"]]}, "town", "筛选条件的值是文字、数字、true 或 false，或它们的列表。"),
])
def test_filters_past_their_bounds_are_a_400_that_does_not_echo_them(api, body, field, message):
    response = api.post(EXPORTS, body, format="json")
    assert response.status_code == 400, response.content[:300]
    assert message in response.json()[field][0]
    assert len(response.content) < 300
    assert not ExportJob.objects.exists()


def test_filters_at_their_bounds_are_taken(api):
    body = {"kind": "issues", "q": "长" * MAX_FILTER_TEXT, "town": [""] * MAX_FILTER_VALUES,
            **{f"{'n' * (MAX_FILTER_NAME - 2)}{i:02d}": 1 for i in range(MAX_FILTERS - 2)}}
    response = api.post(EXPORTS, body, format="json")
    assert response.status_code == 201, response.content[:300]
    assert ExportJob.objects.get().filters["q"] == "长" * MAX_FILTER_TEXT


def test_an_unknown_kind_is_refused_with_the_kinds_and_the_schema_lists_them(api):
    response = api.post(EXPORTS, {"kind": "pictures"}, format="json")
    kinds = "issues, visits, attendance, dashboard, assessment, assignments"
    assert response.json() == {"kind": [f"请选择以下之一：{kinds}。"]}
    schema = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    request = schema["ExportRequestRequest"]
    assert request["properties"]["kind"]["allOf"][0]["$ref"].endswith("KindEnum")
    assert request["maxProperties"] == MAX_FILTERS + 1
    text = request["additionalProperties"]["anyOf"][0]
    assert (text["maxLength"], text["pattern"]) == (MAX_FILTER_TEXT, "^[^\\x00]*$")


@pytest.mark.parametrize("query", ["foo=%00", "q=%E5%89%8D%00%E5%90%8E", "status=" + "x" * (MAX_FILTER_TEXT + 1)])
def test_the_pages_export_refuses_the_same_filters_with_a_message(
        world, liaison_tuesday, as_user, settings, tmp_path, query):
    """Started from a list page, a large export's filters go into the same jsonb column: the same
    rule, told as a message on the page it came from (it was a DataError, a 500)."""
    settings.MEDIA_ROOT, settings.EXPORT_INLINE_ROWS = tmp_path, 0
    client = as_user(world.org_department)
    response = client.post(f"/reports/exports/issues/?{query}", follow=True)
    assert response.status_code == 200
    texts = [str(m) for m in response.context["messages"]]
    assert any("NUL" in text or str(MAX_FILTER_TEXT) in text for text in texts), texts
    assert not ExportJob.objects.exists()
