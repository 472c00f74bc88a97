"""/healthz and /metrics against the real PostgreSQL and Redis: a load balancer's answer (200, or
503 naming what fails — a dead Redis included, never a 500), and Prometheus's scrape behind its
token."""

import re
import socket
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from redis import Redis

from factories import CountyFactory
from issues.models import Issue
from liaison import health
from liaison.tasks import heartbeat
from liaison.tests.test_settings import run_manage
from reports.models import PendingChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def beaten():
    """A worker has just run the heartbeat task (as beat has it do every 30 s)."""
    for queue in health.queues():
        heartbeat(queue)
    yield
    forget_heartbeats()


def forget_heartbeats():
    cache.delete_many([health.HEARTBEAT_KEY.format(queue=q) for q in health.queues()])


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthy_is_200_with_every_check_and_no_login(client, beaten):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "worker", "pending_changes"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["worker"]["age_seconds"] < 5
    assert response["Cache-Control"] == "no-store"


def test_no_heartbeat_fails_the_worker_check(client):
    forget_heartbeats()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["worker"]


def test_a_stale_heartbeat_fails_it(client, beaten, settings):
    cache.set(health.HEARTBEAT_KEY.format(queue="exports"), time.time() - settings.HEALTH_WORKER_STALE_SECONDS - 5,
              timeout=None)
    response = client.get("/healthz")
    assert response.status_code == 503
    check = response.json()["checks"]["worker"]
    assert check["ok"] is False
    assert check["error"] == "no fresh heartbeat: exports"
    assert check["age_seconds"] > settings.HEALTH_WORKER_STALE_SECONDS


def test_beat_sends_a_heartbeat_to_every_queue_and_a_worker_answers_on_its_own(settings):
    """Each queue's heartbeat goes to that queue, whatever the routes say: a worker that reads
    only `figures` beats for `figures` alone."""
    from celery import current_app

    entries = {e["args"][0]: e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("heartbeat")}
    assert set(entries) == set(health.queues()) == {"figures", "exports", "sweeps", "celery"}
    for queue, entry in entries.items():
        route = current_app.amqp.router.route(dict(entry["options"]), entry["task"], entry["args"])
        assert route["queue"].name == queue


def test_a_change_the_figures_have_not_caught_up_with_fails_once_it_is_old(client, beaten, settings):
    county = CountyFactory()
    change = PendingChange.objects.create(county=county, town_id=1, since=timezone.localdate())
    assert client.get("/healthz").status_code == 200  # just noted: the refresh is on its way
    PendingChange.objects.filter(pk=change.pk).update(
        noted_at=timezone.now() - timedelta(seconds=settings.HEALTH_PENDING_SECONDS + 10)
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["pending_changes"]
    assert body["checks"]["pending_changes"]["oldest_age_seconds"] > settings.HEALTH_PENDING_SECONDS


def test_a_dead_redis_is_a_503_naming_it_not_a_500(client, settings):
    dead = f"redis://127.0.0.1:{closed_port()}/0"
    caches = {"default": {**settings.CACHES["default"], "LOCATION": dead}}
    with override_settings(REDIS_URL=dead, CELERY_BROKER_URL=dead, CACHES=caches):
        started = time.monotonic()
        response = client.get("/healthz")
        assert time.monotonic() - started < 5
    assert response.status_code == 503
    body = response.json()
    assert set(body["failing"]) == {"redis", "worker"}
    assert body["checks"]["redis"]["error"] == "ConnectionError"
    assert body["checks"]["database"]["ok"] is True


def test_a_probe_may_ask_only_some_checks(client):
    forget_heartbeats()  # the worker would fail, but is not asked
    response = client.get("/healthz?checks=database,redis")
    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "redis"}


def test_the_answer_holds_no_personal_data_and_is_cheap(client, beaten, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        body = client.get("/healthz").content.decode()
    assert not re.search(r"\d{11}", body)  # no phone number, no ID number


def scrape(client, token="s3cret-scrape-token"):
    return client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")


@override_settings(METRICS_TOKEN="s3cret-scrape-token")
def test_metrics_need_the_token(client):
    assert client.get("/metrics").status_code == 404
    assert scrape(client, token="wrong").status_code == 404
    assert scrape(client).status_code == 200


def test_metrics_are_off_without_a_token(client):
    assert scrape(client, token="").status_code == 404


@override_settings(METRICS_TOKEN="s3cret-scrape-token")
def test_metrics_give_latency_by_route_queue_lengths_lag_and_overdue_issues(client, world, settings):
    client.get("/public/lookup/")
    Redis.from_url(settings.CELERY_BROKER_URL).rpush("celery", "a waiting task")
    PendingChange.objects.create(
        county=world.county, town_id=1, since=timezone.localdate(),
    )
    PendingChange.objects.update(noted_at=timezone.now() - timedelta(seconds=90))
    try:
        text = scrape(client).content.decode()
    finally:
        Redis.from_url(settings.CELERY_BROKER_URL).delete("celery")
    assert re.search(
        r'liaison_request_duration_seconds_count\{method="GET",route="public/lookup/",status="2xx"\} [1-9]', text
    )
    # At least the task pushed here (whatever else this Redis database's tests left queued).
    waiting = re.search(r'liaison_celery_queue_length\{queue="celery"\} ([\d.]+)', text)
    assert waiting and float(waiting.group(1)) >= 1, text[-1500:]
    assert "liaison_figures_pending_changes 1.0" in text
    oldest = float(re.search(r"liaison_figures_pending_oldest_seconds ([\d.]+)", text).group(1))
    assert 90 <= oldest < 120
    overdue = Issue.objects.overdue(timezone.now()).count()
    assert f"liaison_issues_overdue {float(overdue)}" in text


def test_with_a_multiprocess_directory_a_scrape_sums_every_worker(tmp_path):
    """Two processes stand for two gunicorn workers: each serves a page, and a third one's scrape
    counts both, read from PROMETHEUS_MULTIPROC_DIR."""
    serve = "from django.test import Client; Client().get('/public/lookup/')"
    scrape_it = "from liaison import metrics; print(metrics.exposition().decode())"
    db = connection.settings_dict  # the test database: its tables are there, committed
    env = {
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    for _worker in range(2):
        result = run_manage("shell", "-v", "0", "-c", serve, **env)
        assert result.returncode == 0, result.stderr
    result = run_manage("shell", "-v", "0", "-c", scrape_it, **env)
    assert result.returncode == 0, result.stderr
    assert re.search(
        r'liaison_request_duration_seconds_count\{method="GET",route="public/lookup/",status="2xx"\} 2\.0',
        result.stdout,
    )
