"""Excel: export jobs and import batches (the rules are in excel/exports.py and excel/imports.py)."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def export_path(instance, filename):
    """A random name: the file holds personal data and is served only through its job's view."""
    return f"exports/{timezone.now():%Y/%m}/{secrets.token_urlsafe(18)}.xlsx"


class ExportJob(models.Model):
    """An Excel export too large to write during the request: a worker writes it, the page
    follows its progress, and only the user who asked may download it until it expires."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Failure(models.TextChoices):
        ERROR = "error", _("The export failed. Try again; if it fails again, tell the administrator.")
        NO_WORKER = "no-worker", _("No worker finished the export in time. Export again from the page it came from.")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=20)
    # The query string of the page the export started from: its filters.
    filters = models.JSONField(_("filters"), default=dict)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(_("rows to write"), default=0)
    rows = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to=export_path, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    # When its work last moved (asked for, published again, rows written): the sweeper publishes a
    # job whose work has not moved for JOB_STALL_SECONDS again, or fails it (exports.stalled);
    # `retries` counts those publications.
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    retries = models.PositiveSmallIntegerField(_("published again"), default=0)
    # Each worker that takes the job counts one: only the latest run may write its rows and result.
    runs = models.PositiveSmallIntegerField(_("runs"), default=0)
    failure = models.CharField(_("why it failed"), max_length=10, choices=Failure.choices, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self):
        return f"{self.kind} · {self.user_id} · {self.get_status_display()}"

    @property
    def progress(self):
        if self.status == self.Status.DONE:
            return 100
        return min(99, int(100 * self.rows / self.total)) if self.total else 0

    def is_expired(self, now):
        return self.expires_at is not None and self.expires_at <= now


class ImportBatch(models.Model):
    """An uploaded import file whose report showed bad rows: kept (a day at most) so that the
    user may import its valid rows after reading the report."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=20)
    name = models.CharField(_("file name"), max_length=200)
    content = models.BinaryField(_("content"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self):
        return f"{self.kind} · {self.name}"
