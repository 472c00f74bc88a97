"""POST /api/v1/public/issue-status/: the status page's answer as JSON, without login."""

import pytest
import time_machine

from issues import services
from issues.tests.conftest import at
from issues.tests.test_public_lookup import missing_code

pytestmark = pytest.mark.usefixtures("fresh_public_counters")

URL = "/api/v1/public/issue-status/"
FIELDS = {
    "code", "category", "town", "village", "received_on", "status", "status_label", "level_label", "handler",
    "responsible_name", "responsible_role", "due_at", "is_overdue", "result", "result_kind", "feedback_note",
    "feedback_at", "satisfaction", "satisfaction_label", "rated_at", "can_rate", "timeline",
}


def post(api, code, last4):
    return api.post(URL, {"code": code, "phone_last4": last4}, format="json")


@time_machine.travel(at(2026, 11, 16, 9, 0), tick=False)
def test_the_status_as_json_with_exactly_the_public_fields(world, register, api_as, django_assert_num_queries):
    issue = register(world)
    services.resolve(issue=issue, by=world.cadre, result="已修复", internal_note="材料费由村集体垫付")
    services.record_feedback(issue=issue, by=world.cadre, note="已电话告知")
    # The issue with its names, step, handler and first responder's role; the timeline. Every
    # lookup reads them.
    with django_assert_num_queries(2):
        first = post(api_as(None), issue.code, "5678")
    with django_assert_num_queries(2):
        response = post(api_as(None), issue.code.lower(), "5678")
    assert response.status_code == 200 and first.json() == response.json()
    data = response.json()
    assert set(data) == FIELDS
    assert data["code"] == issue.code and data["status"] == "closed" and data["result_kind"] == "resolved"
    assert (data["village"], data["handler"], data["responsible_name"]) == ("西区社区", "西区社区驻点团队", "李丽芳")
    assert data["result"] == "已修复" and data["feedback_note"] == "已电话告知" and data["can_rate"] is True
    assert [e["note"] for e in data["timeline"]] == ["", "已修复", "已电话告知"]
    assert "材料费由村集体垫付" not in response.content.decode()


def test_a_wrong_phone_and_a_missing_code_get_the_same_404(world, register, api_as):
    issue = register(world)
    wrong_phone = post(api_as(None), issue.code, "1234")
    no_issue = post(api_as(None), missing_code(), "5678")
    assert wrong_phone.status_code == no_issue.status_code == 404
    assert wrong_phone.content == no_issue.content
    assert "没有找到" in wrong_phone.json()["detail"]


def test_a_typo_is_a_field_error(world, register, api_as):
    issue = register(world)
    typo = "2" + issue.code[1:] if issue.code[0] != "2" else "3" + issue.code[1:]
    response = post(api_as(None), typo, "5678")
    assert response.status_code == 400 and "查询码有误" in response.json()["code"][0]
    assert "phone_last4" in post(api_as(None), issue.code, "56").json()


def test_any_caller_gets_the_same_answer_and_get_is_not_allowed(world, register, api_as):
    issue = register(world)
    for persona in world.personas:
        assert post(api_as(getattr(world, persona)), issue.code, "5678").status_code == 200
    assert api_as(None).get(URL).status_code == 405
