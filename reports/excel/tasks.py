"""Celery work for Excel: an export's job, and the daily purge. The task names are the ones queued
messages and the beat schedule carry, from before the tasks moved here."""

from celery import shared_task

from reports.excel import exports, imports


@shared_task(bind=True, name="reports.tasks.run_export")
def run_export(self, job_id):
    # Handed out again because the process running it died (acks late, rejected on worker lost):
    # the dead run still marks the job running, and this one takes it over at once.
    exports.run(job_id, take_over=bool(self.request.delivery_info.get("redelivered")))


@shared_task(name="reports.tasks.purge_files")
def purge_files():
    """Daily (CELERY_BEAT_SCHEDULE): exports past their expiry, import files left unimported."""
    return {"exports": exports.purge(), "imports": imports.purge()}
