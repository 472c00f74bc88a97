"""Odd characters in query strings and URLs (a superscript digit, NUL) get a page or a 404,
never a server error."""

import pytest


@pytest.mark.parametrize("query", ["town=²", "town=٣", "town=99999999999999999999", "q=%00", "q=a%00b&town=1"])
def test_the_village_index_survives_odd_queries(world, client, query):
    response = client.get(f"/public/?{query}")
    assert response.status_code == 200


def test_a_nul_in_the_search_is_dropped(world, client):
    response = client.get("/public/?q=%E8%A5%BF%00%E5%8C%BA")
    assert response.status_code == 200 and response.context["query"] == "西区"


@pytest.mark.parametrize("path", ["/issues/A%00B/", "/issues/A%00B/receipt/", "/issues/%C2%B2/"])
def test_odd_tracking_codes_in_pages_are_not_found(world, as_user, path):
    assert as_user(world.cadre).get(path).status_code == 404


def test_an_odd_tracking_code_in_an_action_is_not_found(world, as_user):
    response = as_user(world.cadre).post("/issues/A%00B/progress/", {"note": "已联系"})
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/issues/A%00B/", "/api/v1/issues/A%00B/progress/"])
def test_odd_tracking_codes_in_the_api_are_not_found(world, api_as, path):
    api = api_as(world.cadre)
    response = api.post(path, {"note": "已联系"}, format="json") if "progress" in path else api.get(path)
    assert response.status_code == 404


@pytest.mark.parametrize("action,data,field,message", [
    ("progress", {"note": "长" * 2001, "internal_note": ""}, "note", "进展情况不能超过 2000 个字。"),
    ("progress", {"note": "已联系", "internal_note": "长" * 2001}, "internal_note", "内部备注不能超过 2000 个字。"),
    ("resolve", {"result": "长" * 2001}, "result", "办理结果不能超过 2000 个字。"),
    ("explain", {"explanation": "长" * 2001}, "explanation", "解释说明不能超过 2000 个字。"),
    ("escalate", {"reason": "长" * 1001, "internal_note": ""}, "reason", "上报理由不能超过 1000 个字。"),
    ("progress", {"note": "已\x00联系", "internal_note": ""}, "note", "不能含有空字符（NUL），请删掉后再提交。"),
])
def test_the_action_forms_refuse_text_they_cannot_keep(
        world, register, as_user, monday_before, action, data, field, message):
    issue = register(world)
    response = as_user(world.cadre).post(f"/issues/{issue.code}/{action}/", data)
    assert response.status_code == 400
    form = response.context["action_forms"][action]
    assert form.errors[field] == [message] and form[field].value() == data[field]
    assert list(issue.events.values_list("kind", flat=True)) == ["registered"]


def test_the_register_page_names_the_field_past_its_bound(world, as_user, category, monday_before):
    from issues.models import Issue

    fields = {
        "village": world.village_a.pk, "category": category.pk, "source": "reception", "title": "长" * 121,
        "description": "下" * 2001, "reporter_name": "张国强", "reporter_phone": "13987654321",
    }
    response = as_user(world.cadre).post("/issues/new/", fields)
    errors = response.context["form"].errors
    assert errors["title"] == ["标题不能超过 120 个字。"] and errors["description"] == ["问题描述不能超过 2000 个字。"]
    assert response.context["form"]["description"].value() == "下" * 2001
    assert not Issue.objects.exists()
