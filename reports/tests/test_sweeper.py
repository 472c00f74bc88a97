"""The sweeper's rules (`services.stalled_refreshes`, `exports.stalled`): work that has not moved
for JOB_STALL_SECONDS is queued again, JOB_RETRIES times, then fails with a reason the user
reads — never left blocking "refresh now", and removed by the purge a day later; a run the
sweeper gave to another worker stops without writing its result."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reports import exports, selectors, services
from reports.models import ExportJob, Refresh


def later(seconds):
    return timezone.now() + timedelta(seconds=seconds)


def test_a_stalled_export_is_queued_again_then_fails_saying_why_and_is_purged(world, client, settings):
    settings.JOB_STALL_SECONDS, settings.JOB_RETRIES = 120, 3
    job = ExportJob.objects.create(user=world.cadre, kind="issues", total=10, heartbeat_at=timezone.now())
    assert exports.stalled(later(60)) == []  # still fresh
    moment = later(121)
    for attempt in (1, 2, 3):
        assert exports.stalled(moment) == [job.pk]
        job.refresh_from_db()
        assert (job.status, job.retries) == (ExportJob.Status.QUEUED, attempt)
        moment += timedelta(seconds=121)
    assert exports.stalled(moment) == []
    job.refresh_from_db()
    assert (job.status, job.failure) == (ExportJob.Status.FAILED, ExportJob.Failure.NO_WORKER)
    client.force_login(world.cadre)
    assert "没有处理程序及时完成这次导出" in client.get(f"/reports/exports/{job.pk}/").content.decode()
    assert exports.purge(timezone.now() + timedelta(days=1, minutes=1)) == 1
    assert not ExportJob.objects.exists()


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
    for _attempt in (1, 2, 3):
        assert services.stalled_refreshes(moment) == [refresh.pk]
        moment += timedelta(seconds=121)
    assert services.stalled_refreshes(moment) == []
    refresh.refresh_from_db()
    assert refresh.status == Refresh.Status.FAILED
    assert selectors.running_refresh(world.county.pk) is None  # "refresh now" is free again
    # A late run of the refresh given up changes nothing.
    services.finish_refresh(refresh.pk)
    refresh.refresh_from_db()
    assert refresh.status == Refresh.Status.FAILED


def test_the_sweeper_runs_every_minute_and_names_counties_with_pending_changes(world, settings):
    from liaison import settings as project

    assert project.CELERY_BEAT_SCHEDULE["sweep-unpublished-work"] == {
        "task": "reports.tasks.sweep", "schedule": 60}
    services.note_change(world.town1.pk, timezone.localdate())
    assert services.counties_pending() == [world.county.pk]
