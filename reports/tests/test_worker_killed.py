"""A whole worker killed with SIGKILL in the middle of an export or a refresh: its message comes
back only after the visibility timeout (5 minutes), but the job's row says no work has moved, so
the sweeper (beat, every SWEEP_SECONDS) queues it again once JOB_STALL_SECONDS have passed, and a
new worker finishes it — with the production default of 120 s, within about three minutes; here
the test's short bound. The killed run can no longer write: only the latest run does."""

import os
import subprocess
import sys
import time
from datetime import timedelta

import psycopg
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from issues.models import Category, Issue
from liaison.tests.test_celery_worker import database_url, emptied, start_worker, stop, wait_for, waits_on
from reports.excel import exports
from reports.figures import services, tasks
from reports.models import Refresh

STALL = 3
SWEEP = 1


def locked(holder, table):
    holder.cursor().execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")


@pytest.mark.celery_worker
@pytest.mark.parametrize("work", ["export", "refresh"])
def test_work_of_a_killed_worker_is_finished_by_a_new_one_within_the_stall_bound(tworld, tmp_path, work):
    # The work's own queue; the new worker also reads the sweeps', where beat sends the sweeper.
    queue = emptied("exports" if work == "export" else "figures", "sweeps")
    cache.delete(tasks.queued_key(tworld.county.pk))
    env = {"JOB_STALL_SECONDS": str(STALL), "SWEEP_SECONDS": str(SWEEP), "MEDIA_ROOT": str(tmp_path)}
    db = connection.settings_dict
    holder = psycopg.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"],
                              port=db["PORT"] or 5432)
    if work == "export":
        category = Category.objects.create(code="kill-test", name="民生", group=Category.Group.COMMITTEE)
        now = timezone.now()
        Issue.objects.bulk_create(
            Issue(code=f"K{i:09d}", title=f"问题{i}", description="描述", category=category, source="reception",
                  village=tworld.village_a, reporter_name="王秀英", reporter_phone="13912345678",
                  first_responder=tworld.cadre, received_at=now - timedelta(minutes=i))
            for i in range(50))
        table = "issues_issue"
    else:
        services.refresh_in_process(tworld.county)
        table = "teams_liaisonday"
    if work == "export":
        job = exports.start(user=tworld.org_department, kind="issues", data={"town": str(tworld.town1.pk)})
    else:
        job = services.start_full_refresh(tworld.county)
        assert tasks.dispatch_full_refresh(job)
    model = type(job)
    locked(holder, table)  # the worker is certainly mid-task when it is killed
    first = start_worker(queue.split(",")[0], **env)
    second = beat = None
    try:
        wait_for(lambda: waits_on(table), 60, "the worker never started the work")
        assert model.objects.get(pk=job.pk).status in ("queued", "running")
        first.kill()
        first.wait(timeout=10)
        killed = time.monotonic()
        holder.rollback()
        second = start_worker(queue, **env)
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "liaison", "beat", "--loglevel=WARNING",
             "--schedule", str(tmp_path / "beat-schedule")],
            cwd=settings.BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL, **env},
        )
        wait_for(lambda: model.objects.get(pk=job.pk).status == "done", 60, "the work was never finished")
        seconds = time.monotonic() - killed
        print(f"\n{work}: finished {seconds:.1f} s after its worker was killed (stall bound {STALL} s)")
    finally:
        holder.close()
        for process in (first, second):
            if process is not None and process.poll() is None:
                stop(process)
        if beat is not None:
            beat.terminate()
            beat.wait(timeout=30)
    job.refresh_from_db()
    if work == "export":
        assert (job.runs, job.rows, job.retries) == (2, 50, 1)
        assert job.file and (tmp_path / job.file.name).exists()
    else:
        assert services.current(tworld.county.pk) == job and job.retries == 1
        assert not Refresh.objects.exclude(pk=job.pk).exists()
    # Well before the visibility timeout (300 s) would have handed the message out again.
    assert seconds < STALL + SWEEP + 20, seconds
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == 300


@pytest.mark.celery_worker
def test_an_export_whose_process_dies_is_taken_over_at_once_by_the_next_process(tworld, tmp_path):
    """Only the process running the export dies (out of memory, say): Celery hands its message
    out again at once (acks late, rejected on worker lost), and the next process takes the job
    over from the dead run without waiting for the sweeper (whose bound here is five minutes)."""
    emptied("exports")
    db = connection.settings_dict
    holder = psycopg.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"],
                              port=db["PORT"] or 5432)
    category = Category.objects.create(code="kill-child", name="民生", group=Category.Group.COMMITTEE)
    now = timezone.now()
    Issue.objects.bulk_create(
        Issue(code=f"C{i:09d}", title=f"问题{i}", description="描述", category=category, source="reception",
              village=tworld.village_a, reporter_name="王秀英", reporter_phone="13912345678",
              first_responder=tworld.cadre, received_at=now - timedelta(minutes=i))
        for i in range(30))
    job = exports.start(user=tworld.org_department, kind="issues", data={"town": str(tworld.town1.pk)})
    locked(holder, "issues_issue")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "liaison", "worker", "--pool=prefork", "--concurrency=1",
         "-Q", "exports", "--without-heartbeat", "--without-gossip", "--without-mingle",
         "--loglevel=WARNING"],
        cwd=settings.BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL,
             "JOB_STALL_SECONDS": "300", "MEDIA_ROOT": str(tmp_path)},
    )
    try:
        wait_for(lambda: waits_on("issues_issue"), 60, "the worker never started the export")
        children = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True).stdout.split()
        assert len(children) == 1, children
        os.kill(int(children[0]), 9)
        killed = time.monotonic()
        holder.rollback()
        wait_for(lambda: type(job).objects.get(pk=job.pk).status == "done", 60, "the export was never finished")
        seconds = time.monotonic() - killed
        print(f"\nexport: finished {seconds:.1f} s after its process was killed")
    finally:
        holder.close()
        stop(worker)
    job.refresh_from_db()
    assert (job.runs, job.rows, job.retries) == (2, 30, 0)
    assert seconds < 30, seconds
