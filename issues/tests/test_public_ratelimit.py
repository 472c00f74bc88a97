"""Failed lookups are limited per client address and per tracking code, in Redis; past the
limit every lookup gets 429 and a Chinese message saying when to try again."""

import functools
import time

import pytest
import time_machine
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

from conftest import run_together
from issues import public, ratelimit, services
from issues.tests.conftest import at
from issues.tests.test_public_lookup import missing_code

pytestmark = pytest.mark.usefixtures("fresh_public_counters")

LIMITED = "查询失败次数过多"


def lookup(client, code, last4, address="203.0.113.7"):
    """The lookup's answer; a match is followed to the status page."""
    return client.post("/public/lookup/", {"code": code, "phone_last4": last4}, REMOTE_ADDR=address, follow=True)


@time_machine.travel(at(2026, 11, 16, 9, 10), tick=False)
def test_wrong_phones_for_one_code_reach_the_per_code_limit(world, register, client):
    issue = register(world)
    limit, _window = ratelimit.PER_CODE
    for i in range(limit):
        response = lookup(client, issue.code, f"{i:04d}", address=f"198.51.100.{i}")
        assert response.status_code == 200 and LIMITED not in response.content.decode()
    blocked = lookup(client, issue.code, "5678", address="198.51.100.200")
    assert blocked.status_code == 429
    body = blocked.content.decode()
    # The hour's window ends at 10:00 Beijing time.
    assert LIMITED in body and "10:00" in body and "约50分钟后" in body
    assert blocked["Retry-After"] == str(50 * 60)
    assert "承办单位" not in body
    other = register(world)
    assert lookup(client, other.code, "5678", address="198.51.100.200").status_code == 200


@time_machine.travel(at(2026, 11, 16, 9, 10), tick=False)
def test_a_missing_code_is_limited_exactly_like_a_wrong_phone(world, register, client):
    code = missing_code()
    limit, _window = ratelimit.PER_CODE
    answers = [lookup(client, code, "5678", address=f"198.51.100.{i}").status_code for i in range(limit + 1)]
    assert answers == [200] * limit + [429]


@time_machine.travel(at(2026, 11, 16, 9, 10), tick=False)
def test_one_address_trying_many_codes_reaches_the_per_address_limit(world, register, client):
    issue = register(world)
    limit, _window = ratelimit.PER_ADDRESS
    for _ in range(limit):
        assert lookup(client, missing_code(), "5678").status_code == 200
    assert lookup(client, missing_code(), "5678").status_code == 429
    # Refused even for the right code and phone, so that the refusal says nothing.
    assert lookup(client, issue.code, "5678").status_code == 429
    assert lookup(client, issue.code, "5678", address="198.51.100.1").status_code == 200


def test_the_limit_ends_with_its_window(world, register, client):
    issue = register(world)
    limit, window = ratelimit.PER_CODE
    with time_machine.travel(at(2026, 11, 16, 9, 10), tick=False):
        for i in range(limit):
            lookup(client, issue.code, "0000", address=f"198.51.100.{i}")
        assert lookup(client, issue.code, "5678").status_code == 429
    with time_machine.travel(at(2026, 11, 16, 10, 0, 1), tick=False):
        assert lookup(client, issue.code, "5678").status_code == 200


def test_successful_lookups_and_typos_are_not_counted(world, register, client):
    issue = register(world)
    limit, _window = ratelimit.PER_ADDRESS
    for _ in range(limit + 5):
        assert lookup(client, issue.code, "5678").status_code == 200
    typo = issue.code[:-1] + ("2" if issue.code[-1] != "2" else "3")
    for _ in range(limit + 5):
        assert lookup(client, typo, "5678").status_code == 200
    assert ratelimit.blocked(address="203.0.113.7", code=issue.code) is None


@time_machine.travel(at(2026, 11, 16, 9, 10), tick=False)
def test_the_api_shares_the_limits(world, register, client, api_as):
    issue = register(world)
    limit, _window = ratelimit.PER_CODE
    for i in range(limit):
        lookup(client, issue.code, f"{i:04d}", address=f"198.51.100.{i}")
    response = api_as(None).post(
        "/api/v1/public/issue-status/", {"code": issue.code, "phone_last4": "5678"}, format="json"
    )
    assert response.status_code == 429
    assert LIMITED in response.json()["detail"] and response["Retry-After"] == str(50 * 60)


@pytest.fixture(params=["redis", "local memory"])
def backend(request, settings):
    """Redis in production; the local memory cache when `make run` has no Redis."""
    if request.param == "local memory":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert isinstance(caches["default"], RedisCache) == (request.param == "redis")
    return request.param


@pytest.fixture
def issue(tworld, tcategory):
    return services.register(
        by=tworld.cadre, village=tworld.village_a, category=tcategory, title="路灯不亮", description="巷口路灯坏了",
        source="reception", reporter_name="王秀英", reporter_phone="13912345678",
    )


def code_failures(code):
    _, (key, _limit, _until) = ratelimit.keys("203.0.113.7", code, time.time())
    return cache.get(key, 0)


def test_concurrent_wrong_phones_are_each_counted(issue, backend):
    limit, _window = ratelimit.PER_CODE
    attempts = 40
    results = run_together(*(
        functools.partial(public.guarded_lookup, code=issue.code, phone_last4=f"{i:04d}", address=f"198.51.100.{i}")
        for i in range(attempts)
    ))
    evaluated = [value for kind, value in results if kind == "ok" and value == (None, None)]
    refused = [value for kind, value in results if kind == "ok" and value[1] is not None]
    assert len(evaluated) >= limit and len(evaluated) + len(refused) == attempts, results
    # Atomic counting: no failure is lost, however many arrive at once.
    assert code_failures(issue.code) == len(evaluated)
    assert ratelimit.blocked(address="203.0.113.7", code=issue.code) is not None


def test_two_workers_guessing_at_once_get_at_most_one_guess_past_the_limit(issue, backend):
    """Gunicorn's sync workers each serve one request at a time: two of them running wrong
    guesses side by side overshoot the per-code limit by one at most."""
    limit, _window = ratelimit.PER_CODE
    evaluated = 0
    for n in range(0, 2 * limit, 2):
        results = run_together(*(
            functools.partial(public.guarded_lookup, code=issue.code, phone_last4=f"{i:04d}", address=f"198.51.100.{i}")
            for i in (n, n + 1)
        ))
        assert all(kind == "ok" for kind, _value in results), results
        evaluated += sum(value == (None, None) for _kind, value in results)
    assert limit <= evaluated <= limit + 1
    assert ratelimit.blocked(address="203.0.113.7", code=issue.code) is not None


def test_concurrent_successful_lookups_leave_the_code_open(issue, backend):
    limit, _window = ratelimit.PER_CODE
    for _ in range(3):
        results = run_together(*(
            functools.partial(public.guarded_lookup, code=issue.code, phone_last4="5678", address="203.0.113.7")
            for _ in range(limit)
        ))
        assert all(kind == "ok" and value[0] is not None and value[1] is None for kind, value in results), results
    assert ratelimit.blocked(address="203.0.113.7", code=issue.code) is None


@time_machine.travel(at(2026, 11, 16, 9, 10), tick=False)
def test_the_limits_hold_on_each_backend(world, register, client, backend):
    issue = register(world)
    limit, _window = ratelimit.PER_CODE
    assert lookup(client, issue.code, "5678").status_code == 200
    for i in range(limit):
        assert lookup(client, issue.code, f"{i:04d}", address=f"198.51.100.{i}").status_code == 200
    blocked = lookup(client, issue.code, "5678", address="198.51.100.200")
    assert blocked.status_code == 429 and blocked["Retry-After"] == str(50 * 60)
    limit, _window = ratelimit.PER_ADDRESS
    for _ in range(limit):
        assert lookup(client, missing_code(), "5678", address="203.0.113.9").status_code == 200
    assert lookup(client, missing_code(), "5678", address="203.0.113.9").status_code == 429
