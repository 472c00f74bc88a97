"""Redis down (nothing listening) or frozen (a real redis-server stopped with SIGSTOP): residents
get an answer at once — the lookup a 503 with a Chinese message, since its limits cannot be
counted, the statistics and notices from the ledger — and nothing a cadre does waits on Redis.
The broker gives up as quickly, so enqueueing a task cannot hang either."""

import os
import signal
import socket
import subprocess
import threading
import time

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from conftest import PASSWORD
from issues import services
from issues.models import Category, Issue
from liaison.celery import app
from teams.tasks import generate_liaison_days

# REDIS_SOCKET_TIMEOUT's default is 1 s: one timed-out call, and the rest of the request.
PROMPT = 3.0
UNAVAILABLE = "查询功能暂时无法使用"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def frozen_redis():
    """A real redis-server that has accepted connections and stopped answering."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip() != b"PONG":
        assert time.monotonic() < deadline and server.poll() is None, "redis-server did not start"
        time.sleep(0.05)
    os.kill(server.pid, signal.SIGSTOP)
    # Code without timeouts would wait forever: wake the server after a while so that such code
    # fails the timing assertions instead of hanging the suite.
    thaw = threading.Timer(20, os.kill, (server.pid, signal.SIGCONT))
    thaw.start()
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        thaw.cancel()
        os.kill(server.pid, signal.SIGCONT)
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def stopped_redis():
    """Where a Redis was: nothing listens on the port."""
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture(params=["stopped_redis", "frozen_redis"])
def broken_redis(request):
    return request.getfixturevalue(request.param)


@pytest.fixture
def register(db):
    def make(w):
        return services.register(
            by=w.cadre, village=w.village_a, category=Category.objects.get(code="livelihood"), title="路灯不亮",
            description="西区三巷路灯坏了两周。", source=Issue.Source.RECEPTION, reporter_name="王秀英",
            reporter_phone="13912345678",
        )

    return make


def cache_at(url, **options):
    """The configured cache (timeouts included) pointed at another Redis."""
    default = settings.CACHES["default"]
    return override_settings(
        CACHES={"default": {**default, "LOCATION": url, "OPTIONS": {**default.get("OPTIONS", {}), **options}}}
    )


def timed(call):
    start = time.monotonic()
    result = call()
    return result, time.monotonic() - start


def test_the_lookup_answers_503_in_chinese_at_once(world, register, client, broken_redis):
    issue = register(world)
    data = {"code": issue.code, "phone_last4": "5678"}
    with cache_at(broken_redis):
        assert client.get("/public/lookup/").status_code == 200
        page, seconds = timed(lambda: client.post("/public/lookup/", data, REMOTE_ADDR="203.0.113.9"))
        assert page.status_code == 503 and seconds < PROMPT, seconds
        assert UNAVAILABLE in page.content.decode() and page["Retry-After"] == "60"
        assert "承办单位" not in page.content.decode()  # the status page is not shown without the limits

        api, seconds = timed(lambda: APIClient().post("/api/v1/public/issue-status/", data, format="json"))
        assert api.status_code == 503 and seconds < PROMPT, seconds
        assert UNAVAILABLE in api.json()["detail"]


def test_statistics_and_the_village_notice_come_from_the_ledger(world, register, client, broken_redis):
    register(world)
    with cache_at(broken_redis):
        page, seconds = timed(lambda: client.get("/public/statistics/"))
        assert page.status_code == 200 and seconds < PROMPT, seconds
        assert world.town1.name in page.content.decode()
        notice, seconds = timed(lambda: client.get(reverse("public-village", args=[world.village_a.pk])))
        assert notice.status_code == 200 and seconds < PROMPT, seconds


def test_signing_in_a_cadres_pages_and_a_transition_never_wait_on_redis(world, register, client, frozen_redis):
    issue = register(world)
    # A socket timeout far longer than any page: a page that waited on Redis could not be quick.
    with cache_at(frozen_redis, socket_timeout=10, socket_connect_timeout=10):
        for step in (
            lambda: client.post("/accounts/login/", {"username": "leader", "password": PASSWORD}),
            lambda: client.get("/"),
            lambda: client.get(reverse("issue-list")),
            lambda: client.get(reverse("issue-detail", args=[issue.code])),
            lambda: client.post(reverse("issue-action", args=[issue.code, "escalate"]), {"reason": "需镇街协调"}),
        ):
            response, seconds = timed(step)
            assert response.status_code in (200, 302) and seconds < PROMPT, (response, seconds)
    issue.refresh_from_db()
    assert issue.level == "town" and issue.status == Issue.Status.OPEN


def test_enqueueing_a_task_on_a_frozen_broker_gives_up_in_seconds(frozen_redis):
    with app.connection_for_write(frozen_redis) as connection:
        start = time.monotonic()
        with pytest.raises(OperationalError, match="Timeout"):
            generate_liaison_days.apply_async(connection=connection)
        seconds = time.monotonic() - start
    assert seconds < 10, seconds
