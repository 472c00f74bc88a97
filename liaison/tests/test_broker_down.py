"""Redis stopped or frozen under a real server (gunicorn, a redis-server of the test's own): every
write that feeds the figures or hands work to the workers (a new issue, a progress note, a visit,
attendance, "refresh now", a large export) answers its success at once — it was
committed — and writes its row once; once Redis is back, the sweeper publishes what the requests
could not, and a worker does it: the figures' pending changes, the export, the refresh.

Run with `-s` to see the times."""

import os
import signal
import subprocess
import sys
import time

import pytest
import requests
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from core import broker
from issues.models import Category, Event, Issue
from liaison.tests.test_celery_worker import database_url, wait_for
from liaison.tests.test_redis_down import free_port
from reports.models import ExportJob, PendingChange, Refresh
from teams.models import Attendance
from visits.models import Visit

# The answer must not wait on Redis: one timed-out call (REDIS_SOCKET_TIMEOUT, 1 s) at most.
PROMPT = 2.0


class RedisServer:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True)
                 .stdout.strip() == b"PONG", 10, "redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)

    def freeze(self):
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self):
        os.kill(self.process.pid, signal.SIGCONT)

    def close(self):
        if self.process.poll() is None:
            self.thaw()
            self.stop()


def environment(redis, **extra):
    return {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": redis.url,
            "DJANGO_SETTINGS_MODULE": "liaison.tests.broker_settings", "CONN_MAX_AGE": "0", **extra}


def start_server(redis, port, media):
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "liaison.wsgi", "--workers", "1", "--threads", "2",
         "--bind", f"127.0.0.1:{port}", "--timeout", "120"],
        cwd=settings.BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=environment(redis, MEDIA_ROOT=str(media)),
    )

    def answers():
        try:
            return requests.get(f"http://127.0.0.1:{port}/public/", timeout=2).status_code == 200
        except (requests.ConnectionError, requests.Timeout):  # not up yet, or its first answer is slow: ask again
            return False

    try:
        wait_for(answers, 60, "the server did not start")
    except BaseException:
        server.kill()  # leave no server (and its database sessions) behind
        server.wait()
        raise
    return server


def signed_in(base, user):
    session = requests.Session()
    session.get(f"{base}/accounts/login/", timeout=10)
    response = session.post(f"{base}/accounts/login/", data={
        "username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"],
    }, timeout=10, allow_redirects=False)
    assert response.status_code == 302, response.text[:500]
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    return session


def timed(call):
    start = time.monotonic()
    response = call()
    return response, time.monotonic() - start


@pytest.mark.celery_worker
@pytest.mark.parametrize("failure", ["stopped", "frozen"])
def test_writes_answer_at_once_with_redis_down_and_the_sweeper_publishes_their_work(
        tbusy_world, tmp_path, failure):
    w = tbusy_world
    redis = RedisServer()
    redis.start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(redis, port, tmp_path)
    worker = None
    try:
        cadre, orgdept = signed_in(base, w.cadre), signed_in(base, w.org_department)
        # Each client has spoken to Redis once: the pools hold connections, as in production.
        assert cadre.get(f"{base}/api/v1/issues/{w.issue_a.code}/", timeout=10).status_code == 200
        PendingChange.objects.all().delete()
        if failure == "stopped":
            redis.stop()
        else:
            redis.freeze()
        today = timezone.localdate().isoformat()
        category = Category.objects.order_by("pk").first().code
        writes = {
            "register": lambda: cadre.post(f"{base}/api/v1/issues/", json={
                "title": "村口路灯不亮", "description": "村口路灯坏了三天。", "category": category,
                "source": "reception", "village": w.village_a.pk, "reporter_name": "王秀英",
                "reporter_phone": "13912345678"}, timeout=60),
            "progress": lambda: cadre.post(f"{base}/api/v1/issues/{w.issue_a.code}/progress/", json={
                "note": "已联系供电所", "step": w.issue_a.current_step_id}, timeout=60),
            "visit": lambda: cadre.post(f"{base}/api/v1/visits/", json={
                "kind": "reception", "date": today, "village": w.village_a.pk, "notes": "来访登记"}, timeout=60),
            "attendance": lambda: cadre.post(f"{base}/api/v1/liaison-days/{w.day_a.pk}/attendance/", json=[{
                "member": w.cadre.pk, "status": "leave", "note": "事假", "seen": "pending"}], timeout=60),
            "refresh": lambda: orgdept.post(f"{base}{reverse('dashboard-refresh', args=[w.county.pk])}",
                                            timeout=60, allow_redirects=False),
            "export": lambda: cadre.post(f"{base}{reverse('export-start', args=['issues'])}",
                                         timeout=60, allow_redirects=False),
        }
        times, answers = {}, {}
        for name, write in writes.items():
            # Each write pays the timeout itself: after one failure a process leaves Redis alone
            # for a few seconds (core/broker.py), which would make the next writes quicker.
            time.sleep(broker.QUIET if failure == "frozen" else 0)
            response, times[name] = timed(write)
            answers[name] = response.status_code
        print(f"\nRedis {failure}: " + ", ".join(
            f"{name} {answers[name]} in {seconds:.2f} s" for name, seconds in times.items()))
        assert all(status in (200, 201, 302) for status in answers.values()), answers
        assert max(times.values()) < PROMPT, times

        # Each write once, and its work waiting in the database.
        assert Issue.objects.filter(title="村口路灯不亮").count() == 1
        assert Event.objects.filter(issue=w.issue_a, kind=Event.Kind.PROGRESS).count() == 1
        assert Visit.objects.filter(notes="来访登记").count() == 1
        assert Attendance.objects.get(liaison_day=w.day_a, member=w.cadre).status == Attendance.Status.LEAVE
        refresh = Refresh.objects.get(county=w.county)
        job = ExportJob.objects.get(user=w.cadre)
        assert (refresh.status, job.status) == (Refresh.Status.QUEUED, ExportJob.Status.QUEUED)
        assert PendingChange.objects.filter(county=w.county).exists()

        # Redis back (a stopped one empty, as after a restart without persistence): the worker's
        # sweeper publishes what the requests could not, and the workers do it.
        if failure == "stopped":
            redis.start()
        else:
            redis.thaw()
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "liaison", "worker", "-B", "--pool=solo", "--loglevel=WARNING",
             "--schedule", str(tmp_path / "beat-schedule"), "--without-heartbeat", "--without-gossip",
             "--without-mingle"],
            cwd=settings.BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=environment(redis, MEDIA_ROOT=str(tmp_path), SWEEP_SECONDS="1", JOB_STALL_SECONDS="1"),
        )
        wait_for(lambda: not PendingChange.objects.filter(county=w.county).exists(), 90,
                 "the pending changes were never applied")
        wait_for(lambda: ExportJob.objects.get(pk=job.pk).status == ExportJob.Status.DONE, 90,
                 "the export was never written")
        wait_for(lambda: Refresh.objects.get(pk=refresh.pk).status == Refresh.Status.DONE, 90,
                 "the refresh never finished")
        assert Event.objects.filter(issue=w.issue_a, kind=Event.Kind.PROGRESS).count() == 1
        assert ExportJob.objects.get(pk=job.pk).runs == 1
    finally:
        for process in (worker, server):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
        redis.close()
