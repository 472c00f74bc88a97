"""The sweeper's rules (`services.stalled_refreshes`, `exports.stalled`): work that has not moved
for JOB_STALL_SECONDS is queued again, JOB_RETRIES times, then fails with a reason the user
reads — never left blocking "refresh now", and removed by the purge a day later; a run the
sweeper gave to another worker stops without writing its result."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reports.excel import exports
from reports.figures import selectors, services
from reports.models import ExportJob, Refresh
from teams.models import Town


def later(seconds):
    return timezone.now() + timedelta(seconds=seconds)


def test_an_export_waiting_for_a_worker_is_published_again_until_it_has_waited_too_long(world, client, settings):
    """Waiting in a busy queue is not a worker's death: published again (one run still takes it),
    never counted against its runs, failed only once it has waited JOB_QUEUED_LIMIT."""
    settings.JOB_STALL_SECONDS, settings.JOB_RETRIES = 120, 3
    job = ExportJob.objects.create(user=world.cadre, kind="issues", total=10, heartbeat_at=timezone.now())
    assert exports.stalled(later(60)) == []  # still fresh
    moment = later(121)
    for attempt in range(1, 8):
        assert exports.stalled(moment) == [job.pk]
        job.refresh_from_db()
        assert (job.status, job.retries, job.runs) == (ExportJob.Status.QUEUED, attempt, 0)
        moment += timedelta(seconds=121)
    assert exports.stalled(later(settings.JOB_QUEUED_LIMIT.total_seconds() + 1)) == []
    job.refresh_from_db()
    assert (job.status, job.failure) == (ExportJob.Status.FAILED, ExportJob.Failure.NO_WORKER)
    client.force_login(world.cadre)
    assert "没有处理程序及时完成这次导出" in client.get(f"/reports/exports/{job.pk}/").content.decode()
    assert exports.purge(timezone.now() + timedelta(days=1, minutes=1)) == 1
    assert not ExportJob.objects.exists()


def test_an_export_whose_worker_died_runs_again_until_its_runs_are_spent(world, settings):
    settings.JOB_STALL_SECONDS, settings.JOB_RETRIES = 120, 3
    job = ExportJob.objects.create(user=world.cadre, kind="issues", total=10, heartbeat_at=timezone.now())
    moment = timezone.now()
    for run in (1, 2, 3, 4):
        assert exports._claim(job.pk) == run  # a worker takes it, then dies
        moment += timedelta(seconds=121)
        ExportJob.objects.filter(pk=job.pk).update(heartbeat_at=moment - timedelta(seconds=121))
        assert exports.stalled(moment) == ([job.pk] if run <= 3 else [])
    job.refresh_from_db()
    assert (job.status, job.failure, job.runs) == (ExportJob.Status.FAILED, ExportJob.Failure.NO_WORKER, 4)


def test_a_running_export_whose_worker_died_is_queued_again_and_the_old_run_stops(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = ExportJob.objects.create(user=world.cadre, kind="issues", total=10, heartbeat_at=timezone.now())
    first = exports._claim(job.pk)
    assert exports._claim(job.pk) is None  # one worker at a time
    assert exports.stalled(later(settings.JOB_STALL_SECONDS + 1)) == [job.pk]
    second = exports._claim(job.pk)
    assert (first, second) == (1, 2)
    with pytest.raises(exports.Superseded):
        exports._progress(job.pk, first, 1000)
    exports._progress(job.pk, second, 1000)
    job.refresh_from_db()
    assert (job.status, job.rows, job.runs) == (ExportJob.Status.RUNNING, 1000, 2)


def test_a_refresh_never_published_is_published_again_then_fails_and_frees_the_button(world, settings):
    settings.JOB_STALL_SECONDS, settings.JOB_RETRIES = 120, 3
    refresh = services.start_full_refresh(world.county)
    assert selectors.running_refresh(world.county.pk) == refresh
    assert services.stalled_refreshes(later(60)) == []
    moment = later(121)
    for _attempt in range(6):  # waiting for a worker: published again, not given up
        assert services.stalled_refreshes(moment) == [refresh.pk]
        moment += timedelta(seconds=121)
    assert services.stalled_refreshes(later(services.STALE_REFRESH.total_seconds() + 1)) == []
    refresh.refresh_from_db()
    assert refresh.status == Refresh.Status.FAILED
    assert selectors.running_refresh(world.county.pk) is None  # "refresh now" is free again
    # A late run of the refresh given up changes nothing.
    services.finish_refresh(refresh.pk)
    refresh.refresh_from_db()
    assert refresh.status == Refresh.Status.FAILED


def test_a_running_refresh_that_stops_moving_is_published_again_then_fails(world, settings):
    settings.JOB_STALL_SECONDS, settings.JOB_RETRIES = 120, 3
    refresh = services.start_full_refresh(world.county)
    services.refresh_towns(refresh.pk, [world.town1.pk])
    moment = later(121)
    for _attempt in range(3):
        assert services.stalled_refreshes(moment) == [refresh.pk]
        moment += timedelta(seconds=121)
    assert services.stalled_refreshes(moment) == []
    assert Refresh.objects.get(pk=refresh.pk).status == Refresh.Status.FAILED


def test_a_town_published_twice_is_computed_once_and_a_late_one_leaves_a_done_refresh_alone(world):
    refresh = services.start_full_refresh(world.county)
    services.refresh_towns(refresh.pk, [world.town1.pk])
    computed = list(refresh.snapshots.filter(unit="town").values_list("pk", "computed_at"))
    services.refresh_towns(refresh.pk, [world.town1.pk])  # the sweeper published the refresh again
    assert list(refresh.snapshots.filter(unit="town").values_list("pk", "computed_at")) == computed
    for town in Town.objects.filter(county=world.county).exclude(pk=world.town1.pk):
        services.refresh_towns(refresh.pk, [town.pk])
    services.finish_refresh(refresh.pk)
    rows = sorted(refresh.snapshots.values_list("pk", "computed_at"))
    services.refresh_towns(refresh.pk, [world.town1.pk])  # late: a dead worker's task, redelivered
    assert sorted(refresh.snapshots.values_list("pk", "computed_at")) == rows


def test_the_sweeper_runs_every_minute_and_names_counties_with_pending_changes(world, settings):
    from liaison import settings as project

    assert project.CELERY_BEAT_SCHEDULE["sweep-unpublished-work"] == {
        "task": "reports.tasks.sweep", "schedule": 60}
    services.note_change(world.town1.pk, timezone.localdate())
    assert services.counties_pending() == [world.county.pk]
