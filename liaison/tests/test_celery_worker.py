"""A real Celery worker process on Redis runs a liaison-day generation task we enqueue."""

import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.db import connection

from teams.models import LiaisonDay
from teams.tasks import generate_liaison_days


@pytest.mark.celery_worker
def test_a_worker_process_completes_the_enqueued_generation(tworld):
    queue = f"liaison-test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "liaison", "worker", "--pool=solo", "--concurrency=1",
         "-Q", queue, "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        result = generate_liaison_days.apply_async(kwargs={"weeks": 2}, queue=queue)
        outcome = result.get(timeout=60)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
    assert outcome["liaison_days"] == 8, output
    assert LiaisonDay.objects.filter(team=tworld.team_a).count() == 2
