"""Queues per kind of work (settings.WORK): an export busy on the exports' worker, with another
waiting behind it on the exports queue, does not delay the figures, which their own worker
process brings up to date meanwhile. Every periodic task goes to the sweeps' queue."""

from datetime import date, timedelta

import psycopg
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from issues.models import Category, Issue
from liaison.celery import app
from liaison.tests.test_celery_worker import emptied, start_worker, stop, wait_for
from reports import periods as P
from reports.excel import exports
from reports.excel.tasks import run_export
from reports.figures import selectors, services, tasks
from reports.models import ExportJob, Unit
from visits.models import Household


def queue_of(task_name):
    return app.amqp.router.route({}, task_name)["queue"].name


def test_every_periodic_task_goes_to_the_sweeps_queue():
    assert {queue_of(entry["task"]) for entry in settings.CELERY_BEAT_SCHEDULE.values()} == {"sweeps"}


def test_each_kind_of_work_has_its_queue_and_its_time_limits():
    assert [queue_of(name) for name in ("reports.tasks.refresh_towns", "reports.tasks.apply_pending",
                                        "reports.tasks.run_export")] == ["figures", "figures", "exports"]
    export, town = run_export, tasks.refresh_towns
    assert export.soft_time_limit < export.time_limit < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert town.soft_time_limit < town.time_limit <= export.time_limit


def export_waits_on_its_job(job):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock' AND query LIKE %s", ['%"reports_exportjob"%'])
        return cursor.fetchone()[0] > 0


@pytest.mark.celery_worker
def test_an_export_waiting_on_the_exports_queue_does_not_delay_a_figure(tworld, api_as, tmp_path):
    queues = emptied("exports", "figures")
    assert queues == "exports,figures"
    cache.delete(tasks.queued_key(tworld.county.pk))
    category = Category.objects.create(code="queue-test", name="民生", group=Category.Group.COMMITTEE)
    now = timezone.now()
    Issue.objects.bulk_create(
        Issue(code=f"Q{i:09d}", title=f"问题{i}", description="描述", category=category, source="reception",
              village=tworld.village_a, reporter_name="王秀英", reporter_phone="13912345678",
              first_responder=tworld.cadre, received_at=now - timedelta(minutes=i))
        for i in range(30))
    home = Household.objects.create(village=tworld.village_a, head_name="王秀英", address="一巷1号",
                                    registered_on=date(2020, 1, 1))
    services.refresh_in_process(tworld.county)

    def month_visits():
        return selectors.snapshot(Unit.TEAM, tworld.team_a.pk, P.of("month", timezone.localdate())).visits_household

    assert month_visits() == 0
    busy = exports.start(user=tworld.org_department, kind="issues", data={"town": str(tworld.town1.pk)})
    db = connection.settings_dict
    holder = psycopg.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"],
                              port=db["PORT"] or 5432)
    # The first export's job row held: its worker is stuck taking it, as if it wrote 557,000 rows.
    holder.cursor().execute("SELECT id FROM reports_exportjob WHERE id = %s FOR UPDATE", [busy.pk])
    env = {"MEDIA_ROOT": str(tmp_path)}
    exporter = start_worker("exports", **env)
    figurer = start_worker("figures", **env)
    try:
        wait_for(lambda: export_waits_on_its_job(busy), 60, "the exports' worker never took the export")
        waiting = exports.start(user=tworld.org_department, kind="issues", data={})
        response = api_as(tworld.cadre).post("/api/v1/visits/", {
            "kind": "household", "date": timezone.localdate().isoformat(), "village": tworld.village_a.pk,
            "households": [home.pk],
        }, format="json")
        assert response.status_code == 201, response.json()
        wait_for(lambda: month_visits() == 1, 30, "the figures waited behind the exports")
        # The figure came while both exports were still held up on theirs.
        assert [ExportJob.objects.get(pk=job.pk).status for job in (busy, waiting)] == ["queued", "queued"]
        holder.rollback()
        wait_for(lambda: not ExportJob.objects.exclude(status="done").exists(), 60, "the exports never finished")
    finally:
        holder.close()
        output = "".join(stop(worker) for worker in (exporter, figurer))
    assert sorted(ExportJob.objects.values_list("rows", flat=True)) == [30, 30], output
