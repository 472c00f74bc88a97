"""Rating the answer from the status page: once, and a dissatisfied rating of a solution
reopens the issue by the ledger's rule."""

import re

import pytest
import time_machine

from issues import public, services
from issues.models import Event, Issue
from issues.tests.conftest import at

pytestmark = pytest.mark.usefixtures("fresh_public_counters")


def status_page(client, issue):
    return client.post("/public/lookup/", {"code": issue.code, "phone_last4": "5678"}, follow=True).content.decode()


def token_from(body):
    return re.search(r'name="token" value="([^"]+)"', body).group(1)


def rate(client, token, satisfaction, comment=""):
    return client.post(
        "/public/rate/", {"token": token, "satisfaction": satisfaction, "comment": comment}, follow=True
    )


@pytest.fixture
def resolved(world, register):
    issue = register(world)
    services.resolve(issue=issue, by=world.cadre, result="路灯已更换，恢复照明。")
    return issue


def test_a_resolved_issue_offers_the_three_ratings(world, resolved, client):
    body = status_page(client, resolved)
    assert "路灯已更换，恢复照明。" in body and "办理结果" in body
    for value in ("satisfied", "basically_satisfied", "dissatisfied"):
        assert f'value="{value}"' in body


def test_an_explained_issue_shows_the_explanation_and_can_be_rated(world, register, client):
    issue = register(world)
    services.explain(issue=issue, by=world.cadre, explanation="该路段属于规划改造范围，明年统一施工。")
    body = status_page(client, issue)
    assert "解释说明" in body and "明年统一施工" in body and 'name="satisfaction"' in body


def test_a_satisfied_rating_is_recorded_once(world, resolved, client):
    token = token_from(status_page(client, resolved))
    response = rate(client, token, "satisfied", "很及时，谢谢")
    body = response.content.decode()
    assert response.status_code == 200
    assert "感谢您的评价，评价结果将纳入驻点团队考核。" in body and "您的评价" in body
    assert 'name="satisfaction"' not in body
    resolved.refresh_from_db()
    assert (resolved.satisfaction, resolved.satisfaction_comment) == ("satisfied", "很及时，谢谢")
    again = rate(client, token, "dissatisfied")
    assert again.status_code == 400 and "已经评价过" in again.content.decode()
    resolved.refresh_from_db()
    assert resolved.satisfaction == "satisfied"
    assert resolved.events.filter(kind=Event.Kind.RATED).count() == 1


@time_machine.travel(at(2026, 11, 16, 9, 0), tick=False)
def test_dissatisfied_reopens_a_resolved_issue_and_says_what_happens_next(world, resolved, client):
    token = token_from(status_page(client, resolved))
    body = rate(client, token, "dissatisfied", "晚上还是很黑").content.decode()
    resolved.refresh_from_db()
    assert resolved.status == Issue.Status.OPEN
    assert "您的问题已重新交由西区社区驻点团队办理" in body
    assert "办理期限" in body and "晚上还是很黑" in body
    assert 'name="satisfaction"' not in body


def test_dissatisfied_with_an_explanation_is_recorded_without_reopening(world, register, client):
    issue = register(world)
    services.explain(issue=issue, by=world.cadre, explanation="不属于本村管辖。")
    body = rate(client, token_from(status_page(client, issue)), "dissatisfied").content.decode()
    issue.refresh_from_db()
    assert issue.status == Issue.Status.EXPLAINED and issue.satisfaction == "dissatisfied"
    assert "首问责任人会与您联系沟通" in body


def test_an_open_issue_cannot_be_rated_even_with_a_valid_token(world, register, client):
    issue = register(world)
    response = rate(client, public.rating_token(issue.code), "satisfied")
    assert response.status_code == 400 and "仍在办理中" in response.content.decode()
    issue.refresh_from_db()
    assert issue.satisfaction == ""


def test_a_forged_or_expired_token_is_refused(world, resolved, client):
    forged = rate(client, resolved.code + ":forged", "satisfied")
    assert forged.status_code == 400 and "页面已过期" in forged.content.decode()
    token = public.rating_token(resolved.code)
    with time_machine.travel(at(2099, 1, 1, 9, 0)):
        expired = rate(client, token, "satisfied")
    assert expired.status_code == 400
    resolved.refresh_from_db()
    assert resolved.satisfaction == ""


def test_rating_is_never_a_get(world, resolved, client):
    token = public.rating_token(resolved.code)
    assert client.get("/public/rate/", {"token": token, "satisfaction": "satisfied"}).status_code == 405
    resolved.refresh_from_db()
    assert resolved.satisfaction == ""


def test_a_rating_without_a_choice_asks_for_one(world, resolved, client):
    response = rate(client, public.rating_token(resolved.code), "")
    assert response.status_code == 400 and "请先选择满意程度" in response.content.decode()
