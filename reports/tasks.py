"""The sweeper, which publishes again the work of both the figures and Excel. Celery's
autodiscovery imports this module, and with it every task of the app (figures.tasks, excel.tasks)."""

from celery import shared_task

from core import broker
from reports.excel import exports
from reports.excel.tasks import run_export
from reports.figures import services
from reports.figures.tasks import queue_pending, start_refresh


@shared_task(name="reports.tasks.sweep")
def sweep():
    """Every minute (CELERY_BEAT_SCHEDULE): publish what a request could not (the broker was
    down) and what a dead worker left: the incremental refresh of counties with pending changes,
    refreshes and export jobs whose work has not moved for JOB_STALL_SECONDS (the rules, and
    when they give up, are in `services.stalled_refreshes` and `exports.stalled`)."""
    counties = services.counties_pending()
    for county_id in counties:
        queue_pending(county_id)
    refreshes = services.stalled_refreshes()
    for refresh_id in refreshes:
        broker.publish(start_refresh, refresh_id)
    jobs = exports.stalled()
    for job_id in jobs:
        broker.publish(run_export, job_id)
    return {"counties": counties, "refreshes": refreshes, "exports": jobs}
