"""Real Celery worker processes on Redis: one runs a liaison-day generation task we enqueue; one
killed with SIGKILL in the middle of it leaves the task to the next worker, which completes it."""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from liaison.celery import app
from teams.models import LiaisonDay, Team
from teams.services import schedule_dates
from teams.tasks import generate_liaison_days

# CELERY_VISIBILITY_TIMEOUT for the workers of the kill test: short, so that the test is.
VISIBILITY_TIMEOUT = 3


def database_url():
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def emptied(*queues):
    """The queues emptied of what earlier runs left there; their names as a worker's -Q takes them."""
    with app.connection_for_write() as conn:
        for name in queues:
            conn.default_channel.queue_purge(name)
    return ",".join(queues)


def start_worker(queue, **env):
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "liaison", "worker", "--pool=solo", "--concurrency=1",
         "-Q", queue, "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        cwd=settings.BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL, **env},
    )


def days_in_two_weeks():
    """What generating two weeks must create: it depends on whether today is a team's liaison day."""
    today = timezone.localdate()
    end = today + timedelta(weeks=2)
    teams = Team.objects.filter(is_active=True, schedule__isnull=False).select_related(
        "schedule", "village__town__county"
    )
    return {team.pk: len(list(schedule_dates(team.schedule, team.village.town.county, today, end))) for team in teams}


def stop(worker):
    worker.terminate()
    return worker.communicate(timeout=30)[0].decode(errors="replace")


@pytest.mark.celery_worker
def test_a_worker_process_completes_the_enqueued_generation(tworld):
    queue = f"liaison-test-{uuid.uuid4().hex[:8]}"
    expected = days_in_two_weeks()
    assert sum(expected.values()) >= 8  # four weekly teams
    worker = start_worker(queue)
    try:
        result = generate_liaison_days.apply_async(kwargs={"weeks": 2}, queue=queue)
        outcome = result.get(timeout=60)
    finally:
        output = stop(worker)
    assert outcome["liaison_days"] == sum(expected.values()), output
    assert LiaisonDay.objects.filter(team=tworld.team_a).count() == expected[tworld.team_a.pk]


def waits_on(table):
    """A worker waits for the lock held on `table` in this test's database: found by the lock, as
    its statement's text may be longer than pg_stat_activity keeps (the figures' grid's is)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE relation = %s::regclass AND NOT granted "
                       "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", [table])
        return cursor.fetchone()[0] > 0


def wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


@pytest.mark.celery_worker
def test_a_task_whose_worker_is_killed_mid_task_is_completed_by_the_restarted_worker(tworld):
    queue = f"liaison-test-{uuid.uuid4().hex[:8]}"
    env = {"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}
    db = connection.settings_dict
    # Another session holds the holiday calendar, which the generation reads after it has started:
    # the worker is certainly in the middle of the task when it is killed.
    holder = psycopg.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"], port=db["PORT"] or 5432
    )
    holder.cursor().execute("LOCK TABLE teams_holiday IN ACCESS EXCLUSIVE MODE")

    def worker_waits_on_the_calendar():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query LIKE %s",
                ['%"teams_holiday"%'],
            )
            return cursor.fetchone()[0] > 0

    expected = days_in_two_weeks()
    first = start_worker(queue, **env)
    second = None
    try:
        result = generate_liaison_days.apply_async(kwargs={"weeks": 2}, queue=queue)
        wait_for(worker_waits_on_the_calendar, 60, "the worker never started the task")
        time.sleep(VISIBILITY_TIMEOUT)  # the task has been out for longer than the visibility timeout
        first.kill()
        first.wait(timeout=10)
        holder.rollback()
        assert LiaisonDay.objects.filter(team=tworld.team_a).count() == 0

        second = start_worker(queue, **env)
        restarted = time.monotonic()
        outcome = result.get(timeout=30)
        seconds = time.monotonic() - restarted
    finally:
        holder.close()
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                stop(worker)
    assert outcome["liaison_days"] == sum(expected.values())
    assert LiaisonDay.objects.filter(team=tworld.team_a).count() == expected[tworld.team_a.pk]
    assert seconds < 30
