"""Excel exports: the filters an export takes, the workbook written from a sheet of `sheets`, and
the jobs. A small export (at most EXPORT_INLINE_ROWS rows) is written during the request; a larger
one is an `ExportJob` a worker writes, with its progress, kept for EXPORT_KEEP_DAYS days and served
only to the user who asked."""

import logging
import tempfile
from datetime import date, timedelta

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import broker, replica
from reports.excel import xlsx
from reports.excel.sheets import KIND_LABELS, KINDS, NUMBER_FORMATS, STYLED, UnknownKind
from reports.models import ExportJob

logger = logging.getLogger(__name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROGRESS_EVERY = 1000


# The filters an export takes beside its kind are a list page's query string: a few short texts.
# Bounded, so that a body cannot store megabytes of filters, and free of NUL, which PostgreSQL's
# jsonb refuses (a DataError, a 500). Pages and the API alike; the API's schema says the same
# (apis.ExportRequestSchema).
MAX_FILTERS = 30
MAX_FILTER_NAME = 40
MAX_FILTER_TEXT = 200
MAX_FILTER_VALUES = 20


def _filter_value_refusal(value, inside_list=False):
    """Why one filter's value cannot be taken, or None."""
    if isinstance(value, list) and not inside_list:
        if len(value) > MAX_FILTER_VALUES:
            return _("A filter takes at most %(limit)d values.") % {"limit": MAX_FILTER_VALUES}
        return next(filter(None, (_filter_value_refusal(item, True) for item in value)), None)
    if isinstance(value, str):
        if "\x00" in value:
            return _("Null characters are not allowed.")
        if len(value) > MAX_FILTER_TEXT:
            return _("A filter's value cannot be longer than %(limit)d characters.") % {"limit": MAX_FILTER_TEXT}
        return None
    if isinstance(value, bool | int | float):
        return None
    return _("A filter's value is a text, a number, true or false, or a list of them.")


def filter_refusals(filters):
    """{name: [why]} for the filters that cannot be taken; a name that cannot be one is under `detail`."""
    if len(filters) > MAX_FILTERS:
        return {"detail": [_("An export takes at most %(limit)d filters.") % {"limit": MAX_FILTERS}]}
    refusals = {}
    for name, value in filters.items():
        if "\x00" in name or len(name) > MAX_FILTER_NAME:
            refusals["detail"] = [_("A filter's name has at most %(limit)d characters and no NUL.") % {
                "limit": MAX_FILTER_NAME}]
        elif why := _filter_value_refusal(value):
            refusals[name] = [why]
    return refusals


def prepare(user, kind, data):
    """The export of `kind` with the page's filters `data`; ValidationError for a kind or a
    filter that is not one."""
    if kind not in KINDS:
        raise UnknownKind({"kind": [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(KINDS)}]})
    if refusals := filter_refusals(data):
        raise ValidationError(refusals)
    return KINDS[kind](user, data)


def write(export, target, progress=None):
    """Write the export's workbook to `target` (a path or a binary file); `progress(rows)` is
    called every PROGRESS_EVERY rows. Returns the number of rows written."""
    book = xlsx.workbook()
    columns = export.columns() if callable(export.columns) else export.columns
    sheet = xlsx.Sheet(book, name=export.sheet or export.filename.rsplit(".", 1)[0], title=export.title,
                       columns=columns, keys=export.keys)
    styled = export.kind in STYLED
    for row in export.rows():
        # A rate comes as ("rate", value): a cell shown as a percentage; points as ("points", value), with
        # two decimals. The long ledgers carry plain values.
        sheet.append([sheet.cell(cell[1], NUMBER_FORMATS[cell[0]]) if isinstance(cell, tuple) else cell
                      for cell in row] if styled else row)
        if progress is not None and sheet.rows % PROGRESS_EVERY == 0:
            progress(sheet.rows)
    if export.below is not None:
        export.below(sheet)
    sheet.close()
    book.save(target)
    return sheet.rows


def is_small(export):
    return export.count() <= settings.EXPORT_INLINE_ROWS


def write_now(export):
    """A small export written during the request: a temporary file, gone once served."""
    target = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the response that serves it)
    write(export, target)
    target.seek(0)
    return target


def plain(data):
    """A query string or JSON body as {name: value}: the last value of each name, as text."""
    items = data.lists() if hasattr(data, "lists") else ((k, v if isinstance(v, list) else [v])
                                                         for k, v in data.items())
    skip = ("kind", "page", "csrfmiddlewaretoken")
    return {str(k): str(values[-1]) for k, values in items if values and k not in skip}


def start(*, user, kind, data, small_now=False):
    """An export job, its filters checked first (ValidationError). The worker is asked once the
    job is committed; with `small_now`, a small one is written at once (the API's answer is then
    the finished job)."""
    data = plain(data)
    export = prepare(user, kind, data)
    job = ExportJob.objects.create(user=user, kind=kind, filters=data, total=export.count(),
                                   language=translation.get_language() or settings.LANGUAGE_CODE,
                                   heartbeat_at=timezone.now())
    if small_now and job.total <= settings.EXPORT_INLINE_ROWS:
        run(job.pk)
        job.refresh_from_db()
    else:
        # Never on the request's critical path: unpublished (the broker down), the sweeper publishes it.
        # The task by its name: tasks.py imports this module.
        transaction.on_commit(lambda: broker.publish(current_app.signature("reports.tasks.run_export"), job.pk))
    return job


class Superseded(Exception):
    """The sweeper gave this run's job to another worker: this one stops writing."""


def _claim(job_id, take_over=False):
    """Take a queued job (or, to `take_over` from a run that died, a running one): the run's
    number, or None (done, failed, or another worker has it)."""
    statuses = (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING) if take_over else (ExportJob.Status.QUEUED,)
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id, status__in=statuses).first()
        if job is None:
            return None
        job.status, job.rows, job.runs, job.heartbeat_at = ExportJob.Status.RUNNING, 0, job.runs + 1, timezone.now()
        job.save(update_fields=["status", "rows", "runs", "heartbeat_at"])
        return job.runs


def _progress(job_id, run_number, rows):
    if not ExportJob.objects.filter(pk=job_id, runs=run_number, status=ExportJob.Status.RUNNING).update(
            rows=rows, heartbeat_at=timezone.now()):
        raise Superseded


def run(job_id, take_over=False):
    """The worker's part: take the queued job, write its file, noting the rows written as it goes
    (its heartbeat). A job whose worker died is queued again by the sweeper (`stalled`) and
    starts afresh; a job done, failed or taken by another worker is left as it is. Only the
    latest run writes its rows and its result: one the sweeper gave up on stops. A message handed
    out again after its process died `take_over`s the job at once."""
    run_number = _claim(job_id, take_over)
    if run_number is None:
        return
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    try:
        # From the read replica (DATABASE_REPLICA_URL) once it has the job, and so its requester's writes.
        with translation.override(job.language), replica.reading_after(job):
            export = prepare(job.user, job.kind, job.filters)
            with tempfile.TemporaryFile() as target:
                rows = write(export, target, progress=lambda n: _progress(job_id, run_number, n))
                target.seek(0)
                job.file.save(export.filename, File(target), save=False)
    except Superseded:
        return
    except Exception:
        logger.exception("Export %s failed", job_id)
        ExportJob.objects.filter(pk=job_id, runs=run_number, status=ExportJob.Status.RUNNING).update(
            status=ExportJob.Status.FAILED, failure=ExportJob.Failure.ERROR, finished_at=timezone.now())
        return
    now = timezone.now()
    if not ExportJob.objects.filter(pk=job_id, runs=run_number, status=ExportJob.Status.RUNNING).update(
        status=ExportJob.Status.DONE, file=job.file.name, rows=rows, total=max(rows, job.total), finished_at=now,
        expires_at=now + timedelta(days=settings.EXPORT_KEEP_DAYS), heartbeat_at=now,
    ):
        job.file.delete(save=False)  # another run took the job meanwhile: its file is the one kept


def stalled(now=None):
    """The sweeper's rule for exports whose work has not moved for JOB_STALL_SECONDS: a job
    queued (never published, the broker being down; or waiting behind other work) is published
    again, until it has waited JOB_QUEUED_LIMIT; a job running (its worker died) is queued again
    until JOB_RETRIES runs have died. Then it fails, saying no worker finished it, and the purge
    removes it a day later. Published twice, a job is still taken by one run (`_claim`).
    Returns the ids to publish."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.JOB_STALL_SECONDS)
    again = []
    with transaction.atomic():
        for job in ExportJob.objects.select_for_update(skip_locked=True).annotate(
            moved=Coalesce("heartbeat_at", "created_at")).filter(
            status__in=(ExportJob.Status.QUEUED, ExportJob.Status.RUNNING), moved__lt=cutoff,
        ).order_by("pk"):
            if job.status == ExportJob.Status.RUNNING and job.runs > settings.JOB_RETRIES or \
                    job.status == ExportJob.Status.QUEUED and job.created_at < now - settings.JOB_QUEUED_LIMIT:
                job.status, job.failure, job.finished_at = (
                    ExportJob.Status.FAILED, ExportJob.Failure.NO_WORKER, now)
                job.save(update_fields=["status", "failure", "finished_at"])
            else:
                job.status, job.retries, job.heartbeat_at = ExportJob.Status.QUEUED, job.retries + 1, now
                job.save(update_fields=["status", "retries", "heartbeat_at"])
                again.append(job.pk)
    return again


def jobs_of(user):
    """The user's own exports, newest first: nobody else's are ever listed or served."""
    return ExportJob.objects.filter(user=user).order_by("-created_at", "-pk")


def filename(job):
    """The name the download is saved under: the kind, and the day it was written."""
    day = xlsx.local(job.finished_at or job.created_at).date() if (job.finished_at or job.created_at) else date.today()
    return f"{KIND_LABELS.get(job.kind, job.kind)} {day:%Y-%m-%d}.xlsx"


def purge(now=None):
    """Delete the files and jobs past their expiry (and jobs that failed a day ago or more)."""
    now = now or timezone.now()
    expired = ExportJob.objects.filter(expires_at__lte=now) | ExportJob.objects.filter(
        status=ExportJob.Status.FAILED, created_at__lte=now - timedelta(days=1))
    count = 0
    for job in expired:
        if job.file:
            job.file.delete(save=False)
        job.delete()
        count += 1
    return count
