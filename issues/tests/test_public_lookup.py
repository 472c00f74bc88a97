"""The residents' lookup: tracking code plus the phone's last four digits → the status page."""

import os
import re
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client

from issues import codes, ratelimit, services
from issues.models import Issue
from issues.tests.conftest import at

pytestmark = pytest.mark.usefixtures("fresh_public_counters")

LOOKUP = "/public/lookup/"
NEUTRAL = "没有找到与该查询码和联系电话后四位相符的问题"
TYPO = "查询码有误"


def lookup(client, code, last4):
    """The lookup, and the status page it leads to (its own signed address) when it matches."""
    return client.post(LOOKUP, {"code": code, "phone_last4": last4}, follow=True)


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
    found = client.post(LOOKUP, {"code": issue.code, "phone_last4": "5678"})
    assert found.status_code == 302 and found["Location"].startswith("/public/status/")
    # The issue with its category, village, town, step, handler and first responder's role; the timeline.
    with django_assert_num_queries(2):
        response = client.get(found["Location"])
    body = response.content.decode()
    assert response.status_code == 200
    for text in ("民生文化", "罗阳街道 · 西区社区", "镇街", "罗阳街道驻点办", "李丽芳（镇街干部）",
                 "已联系路灯维修单位", "需街道协调维修经费", "2026-11-16", "2026-11-30"):
        assert text in body, text
    assert "维修单位下周才有空" not in body


def test_a_county_step_names_its_department(world, register, client):
    issue = register(world)
    services.escalate(issue=issue, by=world.leader, reason="需街道协调维修经费")
    services.escalate(issue=issue, by=world.town_office, reason="需住建部门鉴定", department=world.dept2)
    body = lookup(client, issue.code, "5678").content.decode()
    assert "住房和城乡建设局" in body and "需住建部门鉴定" in body


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


def test_a_village_created_after_a_lookup_is_named(world, register, client):
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


def test_every_ledger_change_shows_on_the_next_lookup(world, register, client):
    issue = register(world)
    assert "已联系路灯维修单位" not in lookup(client, issue.code, "5678").content.decode()
    services.add_progress(issue=issue, by=world.cadre, note="已联系路灯维修单位")
    assert "已联系路灯维修单位" in lookup(client, issue.code, "5678").content.decode()
    services.escalate(issue=issue, by=world.leader, reason="需街道协调维修经费")
    body = lookup(client, issue.code, "5678").content.decode()
    assert "需街道协调维修经费" in body and "罗阳街道驻点办" in body


def test_a_passing_deadline_shows_on_the_next_lookup(world, register, client):
    with time_machine.travel(at(2026, 11, 16, 9, 0), tick=False):
        issue = register(world)
        assert "已超期" not in lookup(client, issue.code, "5678").content.decode()
    # Due on the fifth working day: a week later the same lookup says it is overdue.
    with time_machine.travel(at(2026, 11, 24, 9, 0), tick=False):
        assert "已超期" in lookup(client, issue.code, "5678").content.decode()


def test_a_ledger_change_makes_no_cache_round_trip(world, register, settings):
    issue = register(world)
    # Any cache call would now fail: a transition must not depend on Redis.
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0",
    }}
    services.add_progress(issue=issue, by=world.cadre, note="已联系路灯维修单位")
    services.resolve(issue=issue, by=world.cadre, result="已修复")
    issue.refresh_from_db()
    assert issue.status == Issue.Status.RESOLVED
    assert issue.events.filter(public_note="已联系路灯维修单位").exists()


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def resident_status_page(issue):
    """A browser of its own, with its own CSRF cookie checked as in production, and the status
    page it got: (browser, page, the page's CSRF token)."""
    browser = Client(enforce_csrf_checks=True)
    token = CSRF_INPUT.search(browser.get(LOOKUP).content.decode()).group(1)
    response = browser.post(
        LOOKUP, {"csrfmiddlewaretoken": token, "code": issue.code, "phone_last4": "5678"}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    return browser, page, CSRF_INPUT.search(page).group(1)


def test_each_resident_gets_their_own_csrf_token_and_can_rate(world, register):
    issue = register(world)
    services.resolve(issue=issue, by=world.cadre, result="路灯已更换")
    first, _page, _token = resident_status_page(issue)
    second, page, token = resident_status_page(issue)
    assert "路灯已更换" in page
    rating = {"token": re.search(r'name="token" value="([^"]+)"', page).group(1), "satisfaction": "satisfied"}
    # The second resident's page carries a token for their own cookie, not the first's.
    assert first.post("/public/rate/", {**rating, "csrfmiddlewaretoken": token}).status_code == 403
    rated = second.post("/public/rate/", {**rating, "csrfmiddlewaretoken": token}, follow=True)
    assert rated.status_code == 200 and "感谢您的评价" in rated.content.decode()
    _browser, page, _token = resident_status_page(issue)
    assert "您的评价" in page and 'name="satisfaction"' not in page


def test_an_official_logged_in_sees_their_own_header_and_a_resident_never_does(world, register, as_user):
    issue = register(world)
    body = lookup(as_user(world.cadre), issue.code, "5678").content.decode()
    assert "退出登录" in body and 'href="/issues/"' in body
    body = lookup(Client(), issue.code, "5678").content.decode()
    assert "退出登录" not in body and 'href="/issues/"' not in body


def test_the_status_page_follows_the_residents_language(world, register, client):
    issue = register(world)
    assert "办理进度" in lookup(client, issue.code, "5678").content.decode()
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Handling progress" in lookup(english, issue.code, "5678").content.decode()
    assert "办理进度" in lookup(client, issue.code, "5678").content.decode()


FRESH_WORKER = """
import sys, time
real_monotonic, booted = time.monotonic, time.monotonic()
time.monotonic = lambda: real_monotonic() - booted + 60  # the machine started a minute ago
import django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
print(Client().post("/public/lookup/", {"code": sys.argv[1], "phone_last4": "5678"}).status_code)
"""


def test_a_fresh_worker_on_a_machine_just_started_answers_its_first_lookup(tworld, tcategory):
    """Nothing of the lookup may depend on the process's age or the machine's uptime (a
    per-process copy once compared its load time, 0.0, with time.monotonic(): 500s after a boot)."""
    issue = services.register(
        by=tworld.cadre, village=tworld.village_a, category=tcategory, title="路灯不亮", description="巷口路灯坏了",
        source="reception", reporter_name="王秀英", reporter_phone="13912345678",
    )
    test_database = urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + connection.settings_dict["NAME"])
    worker = subprocess.run(
        [sys.executable, "-c", FRESH_WORKER, issue.code], capture_output=True, text=True, timeout=60,
        env={**os.environ, "DATABASE_URL": test_database.geturl(), "DJANGO_SETTINGS_MODULE": "liaison.settings"},
        cwd=settings.BASE_DIR,
    )
    assert worker.stdout.split() == ["302"], worker.stderr[-3000:]  # on to the status page
