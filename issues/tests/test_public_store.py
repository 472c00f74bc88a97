"""A resident who looks again is answered from the status kept in Redis, and never sees a
page older than the ledger: every change, a passing deadline or a new day makes it read again."""

import logging
import re

import pytest
import redis
import time_machine
from django.conf import settings
from django.test import Client

from issues import public, public_store, ratelimit, services
from issues.tests.conftest import at
from issues.tests.test_public_lookup import NEUTRAL, forget_public_counters

LOOKUP = "/public/lookup/"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def fresh_cache():
    forget_public_counters()


def lookup(client, issue, last4="5678", **extra):
    return client.post(LOOKUP, {"code": issue.code, "phone_last4": last4}, **extra)


def resident():
    """A browser of its own, with its own CSRF cookie, checked as in production."""
    browser = Client(enforce_csrf_checks=True)
    form = browser.get(LOOKUP).content.decode()
    return browser, CSRF_INPUT.search(form).group(1)


def resident_lookup(browser, token, issue, last4="5678"):
    return browser.post(LOOKUP, {"csrfmiddlewaretoken": token, "code": issue.code, "phone_last4": last4})


def test_a_kept_page_carries_each_residents_own_tokens_and_the_rating_works(world, register):
    issue = register(world)
    services.resolve(issue=issue, by=world.cadre, result="路灯已更换")
    first, first_token = resident()
    assert resident_lookup(first, first_token, issue).status_code == 200
    second, second_token = resident()
    body = resident_lookup(second, second_token, issue).content.decode()
    assert "路灯已更换" in body and "<!--" not in body
    assert set(CSRF_INPUT.findall(body)) == {second_token}
    rating_token = re.search(r'name="token" value="([^"]+)"', body).group(1)
    rated = second.post("/public/rate/", {
        "csrfmiddlewaretoken": CSRF_INPUT.findall(body)[-1], "token": rating_token, "satisfaction": "satisfied",
    })
    assert rated.status_code == 200 and "感谢您的评价" in rated.content.decode()
    # The rating is a ledger event: the page kept before it is not shown again.
    body = resident_lookup(first, first_token, issue).content.decode()
    assert "您的评价" in body and 'name="satisfaction"' not in body


def test_every_ledger_change_shows_on_the_next_lookup(world, register, client, django_assert_num_queries):
    issue = register(world)
    lookup(client, issue)
    with django_assert_num_queries(0):
        assert "已联系路灯维修单位" not in lookup(client, issue).content.decode()
    services.add_progress(issue=issue, by=world.cadre, note="已联系路灯维修单位")
    assert "已联系路灯维修单位" in lookup(client, issue).content.decode()
    services.escalate(issue=issue, by=world.leader, reason="需街道协调维修经费")
    body = lookup(client, issue).content.decode()
    assert "需街道协调维修经费" in body and "罗阳街道驻点办" in body


def test_a_status_read_before_a_change_is_never_kept_after_it(world, register, client):
    issue = register(world)
    before = public.lookup(code=issue.code, phone_last4="5678")
    services.add_progress(issue=issue, by=world.cadre, note="已联系路灯维修单位")
    # The slow reader's older status arrives after the change's mark: refused.
    public_store.keep(before, phone_last4="5678")
    assert public_store.probe(address="203.0.113.7", code=issue.code, phone_last4="5678") is None
    after = public.lookup(code=issue.code, phone_last4="5678")
    public_store.keep(after, phone_last4="5678")
    kept = public_store.probe(address="203.0.113.7", code=issue.code, phone_last4="5678")
    assert kept.status == after.status and kept.status.timeline[-1].note == "已联系路灯维修单位"


def test_a_passing_deadline_is_shown_although_the_page_was_kept(world, register, client):
    with time_machine.travel(at(2026, 11, 16, 9, 0), tick=False):
        issue = register(world)
        assert "已超期" not in lookup(client, issue).content.decode()
    # Due on the fifth working day; a week later the same lookup reads the ledger again.
    with time_machine.travel(at(2026, 11, 24, 9, 0), tick=False):
        assert "已超期" in lookup(client, issue).content.decode()


def test_a_wrong_phone_is_never_answered_from_the_kept_page(world, register, client, django_assert_num_queries):
    issue = register(world)
    lookup(client, issue)
    with django_assert_num_queries(1):
        body = lookup(client, issue, "0000").content.decode()
    assert NEUTRAL in body


def test_a_blocked_code_is_refused_even_with_a_kept_page(world, register, client):
    issue = register(world)
    assert lookup(client, issue).status_code == 200
    for i in range(ratelimit.PER_CODE[0]):
        lookup(client, issue, f"{i:04d}", REMOTE_ADDR=f"198.51.100.{i}")
    assert lookup(client, issue, REMOTE_ADDR="198.51.100.200").status_code == 429


def test_an_official_logged_in_gets_their_own_page_and_residents_never_see_it(world, register, as_user):
    issue = register(world)
    official = as_user(world.cadre)
    body = lookup(official, issue).content.decode()
    assert "退出登录" in body and 'href="/issues/"' in body
    body = lookup(Client(), issue).content.decode()
    assert "退出登录" not in body and 'href="/issues/"' not in body


def test_each_language_has_its_own_kept_page(world, register, client):
    issue = register(world)
    assert "办理进度" in lookup(client, issue).content.decode()
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Handling progress" in lookup(english, issue).content.decode()
    assert "办理进度" in lookup(client, issue).content.decode()


def test_what_is_kept_holds_no_phone_digits_or_reporter(world, register, api_as):
    issue = register(world, reporter_name="司马标记甲", reporter_phone="13700135791")
    api_as(None).post("/api/v1/public/issue-status/", {"code": issue.code, "phone_last4": "5791"}, format="json")
    Client().post(LOOKUP, {"code": issue.code, "phone_last4": "5791"})
    connection = redis.Redis.from_url(settings.REDIS_URL)
    kept = [connection.get(key) for key in connection.scan_iter(match=f"*public-lookup:*{issue.code}*")]
    assert len([value for value in kept if value]) >= 2
    for value in kept:
        assert b"13700135791" not in value and "司马标记甲".encode() not in value and b"|5791|" not in value


def test_the_ledger_goes_on_when_redis_is_unreachable(world, register, settings, caplog):
    issue = register(world)
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0",
    }}
    with caplog.at_level(logging.WARNING, logger="issues.public_store"):
        services.add_progress(issue=issue, by=world.cadre, note="已联系路灯维修单位")
    issue.refresh_from_db()
    assert issue.events.filter(public_note="已联系路灯维修单位").exists()
    assert "Could not mark the public status" in caplog.text
