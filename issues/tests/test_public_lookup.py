"""The residents' lookup: tracking code plus the phone's last four digits → the status page."""

import re
import time

import pytest
import redis
import time_machine
from django.conf import settings
from django.core.cache import cache

from issues import codes, ratelimit, services
from issues.models import Issue
from issues.tests.conftest import at

LOOKUP = "/public/lookup/"
NEUTRAL = "没有找到与该查询码和联系电话后四位相符的问题"
TYPO = "查询码有误"


def forget_public_counters():
    """Drop this suite's rate-limit counters, kept lookups and cached statistics, and nothing else: the
    Redis database may hold other tests' data (Celery's broker shares it)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    for pattern in ("*public-lookup:*", "*public-town-statistics:*"):
        keys = list(client.scan_iter(match=pattern))
        if keys:
            client.delete(*keys)


@pytest.fixture(autouse=True)
def fresh_cache():
    forget_public_counters()


def lookup(client, code, last4):
    return client.post(LOOKUP, {"code": code, "phone_last4": last4})


def without_csrf(body):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)


def missing_code():
    """A well-formed code that belongs to no issue."""
    while True:
        code = codes.new_code()
        if not Issue.objects.filter(code=code).exists():
            return code


def test_a_typo_is_caught_by_the_check_character_before_any_lookup(world, register, client, django_assert_num_queries):
    issue = register(world)
    typo = issue.code[:3] + ("Z" if issue.code[3] != "Z" else "Y") + issue.code[4:]
    with django_assert_num_queries(0):
        response = lookup(client, typo, "5678")
    assert response.status_code == 200
    body = response.content.decode()
    assert TYPO in body and NEUTRAL not in body


def test_the_code_may_be_typed_in_lower_case_with_dashes_and_spaces(world, register, client):
    issue = register(world)
    typed = f" {codes.display(issue.code).lower()} "
    body = lookup(client, typed, "5678").content.decode()
    assert "承办单位" in body and codes.display(issue.code) in body


def test_a_wrong_phone_and_a_missing_issue_get_the_same_answer(world, register, client):
    issue = register(world)
    wrong_phone = lookup(client, issue.code, "0000")
    no_issue = lookup(client, missing_code(), "5678")
    assert wrong_phone.status_code == no_issue.status_code == 200
    assert NEUTRAL in wrong_phone.content.decode()
    # The two pages differ only in the code the visitor typed, echoed in the form.
    strip = lambda r, code: without_csrf(r.content.decode()).replace(code, "CODE")  # noqa: E731
    assert strip(wrong_phone, issue.code) == strip(no_issue, no_issue.wsgi_request.POST["code"]).replace(
        'value="5678"', 'value="0000"'
    )


@time_machine.travel(at(2026, 11, 16, 9, 0), tick=False)
def test_the_status_page_shows_the_public_fields_and_timeline(world, register, client, django_assert_num_queries):
    issue = register(world)
    services.add_progress(issue=issue, by=world.cadre, note="已联系路灯维修单位", internal_note="维修单位下周才有空")
    services.escalate(issue=issue, by=world.leader, reason="需街道协调维修经费")
    lookup(client, register(world).code, "5678")
    # The issue with its step and first responder, and its timeline; the names of the category,
    # village, town and handler come from the process's copy, loaded by the first lookup.
    with django_assert_num_queries(2):
        first = lookup(client, issue.code, "5678")
    # Looked up again, by a resident not logged in: the kept page, without the database.
    with django_assert_num_queries(0):
        response = lookup(client, issue.code, "5678")
    body = response.content.decode()
    assert response.status_code == 200 and without_csrf(body) == without_csrf(first.content.decode())
    for text in ("民生文化", "罗阳街道 · 西区社区", "镇街", "罗阳街道驻点办", "李丽芳（镇街干部）",
                 "已联系路灯维修单位", "需街道协调维修经费", "2026-11-16", "2026-11-30"):
        assert text in body, text
    assert "维修单位下周才有空" not in body


def test_a_status_page_asks_no_rating_while_the_issue_is_open(world, register, client):
    issue = register(world)
    body = lookup(client, issue.code, "5678").content.decode()
    assert 'name="satisfaction"' not in body
    assert "办理期限" in body


def test_the_lookup_form_is_on_the_public_index_and_on_its_own_page(world, client):
    for url in ("/public/", LOOKUP):
        body = client.get(url).content.decode()
        assert 'name="code"' in body and 'name="phone_last4"' in body and "csrfmiddlewaretoken" in body


def test_the_lookup_is_a_get_for_the_form_and_a_post_for_the_answer(world, client):
    assert client.get(LOOKUP).status_code == 200
    assert client.put(LOOKUP).status_code == 405


def test_the_lookup_needs_the_csrf_token(world, register):
    from django.test import Client

    issue = register(world)
    response = Client(enforce_csrf_checks=True).post(LOOKUP, {"code": issue.code, "phone_last4": "5678"})
    assert response.status_code == 403


def test_phone_digits_must_be_four(world, register, client):
    issue = register(world)
    body = lookup(client, issue.code, "56a8").content.decode()
    assert "请输入您登记时留下的联系电话的后四位" in body


def test_the_index_lists_towns_then_a_towns_villages_and_searches(world, client, django_assert_num_queries):
    # The towns with their number of villages.
    with django_assert_num_queries(1):
        body = client.get("/public/").content.decode()
    assert f'href="?town={world.town1.pk}"' in body and "2个村（社区）" in body and "城东社区" not in body
    # The town's villages with team and schedule, then the towns they are in.
    with django_assert_num_queries(2):
        body = client.get("/public/", {"town": world.town1.pk}).content.decode()
    assert body.index("罗阳街道") < body.index("东区社区") < body.index("西区社区")
    assert f"/public/villages/{world.village_a.pk}/" in body and "西区社区党群服务中心" in body
    assert "龙溪村" not in body
    body = client.get("/public/", {"q": "龙溪"}).content.decode()
    assert "龙溪村委会" in body and "西区社区" not in body
    assert "没有找到" in client.get("/public/", {"q": "不存在的村"}).content.decode()


def test_a_village_created_after_the_names_were_loaded_is_named(world, register, client):
    from teams.models import Schedule, Team, Village

    issue = register(world)
    assert "西区社区驻点团队" in lookup(client, issue.code, "5678").content.decode()
    village = Village.objects.create(town=world.town1, name="新建社区")
    Schedule.objects.create(team=Team.objects.create(village=village, name="新建社区驻点团队"), place="新建社区居委会")
    newer = register(world, by=world.admin, village=village)
    body = lookup(client, newer.code, "5678").content.decode()
    assert "新建社区驻点团队" in body and "罗阳街道 · 新建社区" in body


@time_machine.travel(at(2026, 11, 16, 9, 10), tick=False)
def test_a_wrong_phone_and_a_missing_issue_cost_the_same_work(world, register, client, django_assert_num_queries):
    """Comparable timing without a timed test: both answers make the same single query and
    count one failure against the address and one against the code."""
    issue = register(world)
    lookup(client, issue.code, "5678")
    missing = missing_code()
    for code, last4 in ((issue.code, "0000"), (missing, "5678")):
        with django_assert_num_queries(1):
            lookup(client, code, last4)
    now = time.time()
    (address_key, *_), (wrong_phone_key, *_) = ratelimit.keys("127.0.0.1", issue.code, now)
    _, (missing_key, *_) = ratelimit.keys("127.0.0.1", missing, now)
    assert cache.get_many([address_key, wrong_phone_key, missing_key]) == {
        address_key: 2, wrong_phone_key: 1, missing_key: 1,
    }
