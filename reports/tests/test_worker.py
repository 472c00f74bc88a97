"""The figures with a real Celery worker on Redis and PostgreSQL: a visit logged through the API
changes the team's month figures once the worker has run; a worker killed in the middle of a
full refresh leaves the previous figures in use, and the restarted worker completes it."""

import time
from datetime import date

import psycopg
import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from liaison.tests.test_celery_worker import VISIBILITY_TIMEOUT, emptied, start_worker, stop, wait_for, waits_on
from reports import periods as P
from reports.figures import selectors, services, tasks
from reports.models import Refresh, Unit
from visits.models import Household


@pytest.fixture
def queue(tworld):
    """The figures' queue, emptied first of what earlier runs left there (and of the marks that a
    refresh is queued), and read only by this test's workers."""
    cache.delete(tasks.queued_key(tworld.county.pk))
    return emptied("figures")


def month_figures(world):
    return selectors.snapshot(Unit.TEAM, world.team_a.pk, P.of("month", timezone.localdate()))


@pytest.mark.celery_worker
def test_a_visit_logged_through_the_api_shows_in_the_month_once_the_worker_has_run(tworld, api_as, queue):
    home = Household.objects.create(village=tworld.village_a, head_name="王秀英", address="一巷1号",
                                    registered_on=date(2020, 1, 1))
    services.refresh_in_process(tworld.county)
    before = month_figures(tworld)
    assert (before.visits_household, before.coverage_num, before.coverage_den) == (0, 0, 1)
    worker = start_worker(queue)
    try:
        response = api_as(tworld.cadre).post("/api/v1/visits/", {
            "kind": "household", "date": timezone.localdate().isoformat(), "village": tworld.village_a.pk,
            "households": [home.pk],
        }, format="json")
        assert response.status_code == 201, response.json()
        committed = time.monotonic()
        wait_for(lambda: month_figures(tworld).visits_household == 1, 30, "the figures never changed")
        seconds = time.monotonic() - committed
    finally:
        output = stop(worker)
    after = month_figures(tworld)
    assert (after.coverage_num, after.coverage_den) == (1, 1), output
    county = selectors.snapshot(Unit.COUNTY, tworld.county.pk, P.of("month", timezone.localdate()))
    assert county.visits_household == 1
    assert seconds < 10


@pytest.mark.celery_worker
def test_a_worker_killed_mid_refresh_leaves_the_previous_figures(tworld, queue):
    env = {"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}
    old = services.refresh_in_process(tworld.county)
    db = connection.settings_dict
    holder = psycopg.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"],
                              port=db["PORT"] or 5432)
    # The refresh reads the liaison days early on: held here, its worker is certainly mid-task.
    holder.cursor().execute("LOCK TABLE teams_liaisonday IN ACCESS EXCLUSIVE MODE")

    first = start_worker(queue, **env)
    second = None
    try:
        refresh = services.start_full_refresh(tworld.county)
        tasks.dispatch_full_refresh(refresh)
        wait_for(lambda: waits_on("teams_liaisonday"), 60, "the worker never started the refresh")
        time.sleep(VISIBILITY_TIMEOUT)
        first.kill()
        first.wait(timeout=10)
        holder.rollback()
        # Readers still get the previous refresh, whole.
        assert services.current(tworld.county.pk) == old
        assert month_figures(tworld).refresh_id == old.pk
        second = start_worker(queue, **env)
        wait_for(lambda: services.current(tworld.county.pk) == refresh, 60, "the refresh never completed")
    finally:
        holder.close()
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                stop(worker)
    assert month_figures(tworld).refresh_id == refresh.pk
    assert not Refresh.objects.filter(pk=old.pk).exists()
