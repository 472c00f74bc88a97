"""Metric snapshots: each metric's numerator and denominator per unit (team, town, county,
county department) and period, computed by Celery.

A county's figures are computed in one `Refresh` (a generation): its towns in parallel tasks,
then the county. Readers use the county's latest finished refresh, so they never see half of
one; a refresh that dies leaves the previous one in use. Changes made afterwards are applied
to the cells they touch, in place."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from teams.models import County

# (numerator, denominator) column pairs, in the order the pages show them.
METRICS = {
    "attendance": _("Attendance rate"),
    "timely": _("Timely handling rate"),
    "resolution": _("Resolution rate"),
    "feedback": _("Feedback rate"),
    "satisfaction": _("Satisfaction rate"),
    "coverage": _("Visit coverage rate"),
}
COUNTS = {
    "visits_household": _("Household visits"),
    "visits_reception": _("Receptions"),
    "visits_consolation": _("Consolation visits"),
    "visits_forum": _("Forums"),
    "issues_received": _("Issues received"),
    "issues_open": _("Still open"),
    "issues_overdue": _("Overdue now"),
}
FIGURES = [f"{metric}_{part}" for metric in METRICS for part in ("num", "den")] + list(COUNTS)


class Refresh(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    county = models.ForeignKey(County, models.CASCADE, related_name="refreshes", verbose_name=_("county"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    # The moment the figures are computed as of: it cuts every period.
    computed_at = models.DateTimeField(_("computed at"))
    towns_total = models.PositiveIntegerField(_("towns"), default=0)
    towns_done = models.PositiveIntegerField(_("towns done"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("requested by"),
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("metrics refresh")
        verbose_name_plural = _("metrics refreshes")
        indexes = [models.Index(fields=["county", "status", "finished_at"])]

    def __str__(self):
        return f"{self.county} · {self.computed_at:%Y-%m-%d %H:%M} · {self.get_status_display()}"

    @property
    def progress(self):
        """0–100: the towns done, the county's own figures being the last step."""
        if self.status == self.Status.DONE:
            return 100
        return int(95 * self.towns_done / self.towns_total) if self.towns_total else 0


class Unit(models.TextChoices):
    TEAM = "team", _("Team")
    TOWN = "town", _("Town")
    COUNTY = "county", _("County")
    DEPARTMENT = "department", _("Department")


def _count(label):
    return models.PositiveIntegerField(label, default=0)


class Snapshot(models.Model):
    """One unit's figures for one period: for each metric its numerator and denominator (the
    rate is theirs to divide; 0/0 is no rate), and the counts beside them."""

    refresh = models.ForeignKey(Refresh, models.CASCADE, related_name="snapshots", verbose_name=_("refresh"))
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    unit_id = models.PositiveIntegerField(_("unit id"))
    period = models.CharField(_("period"), max_length=7)
    start = models.DateField(_("first day"))
    computed_at = models.DateTimeField(_("computed at"))
    attendance_num = _count(_("present"))
    attendance_den = _count(_("attendance rows"))
    timely_num = _count(_("steps ended on time"))
    timely_den = _count(_("steps judged"))
    resolution_num = _count(_("issues resolved"))
    resolution_den = _count(_("issues received"))
    feedback_num = _count(_("issues answered"))
    feedback_den = _count(_("issues with an answer"))
    satisfaction_num = _count(_("satisfied ratings"))
    satisfaction_den = _count(_("ratings"))
    coverage_num = _count(_("households visited"))
    coverage_den = _count(_("households"))
    visits_household = _count(COUNTS["visits_household"])
    visits_reception = _count(COUNTS["visits_reception"])
    visits_consolation = _count(COUNTS["visits_consolation"])
    visits_forum = _count(COUNTS["visits_forum"])
    issues_received = _count(COUNTS["issues_received"])
    issues_open = _count(COUNTS["issues_open"])
    issues_overdue = _count(COUNTS["issues_overdue"])

    class Meta:
        verbose_name = _("metrics snapshot")
        verbose_name_plural = _("metrics snapshots")
        constraints = [
            models.UniqueConstraint(fields=["refresh", "unit", "unit_id", "period", "start"], name="snapshot_once"),
        ]

    def __str__(self):
        return f"{self.unit}:{self.unit_id} · {self.period}:{self.start}"

    def rate(self, metric):
        """numerator / denominator, or None for 0/0."""
        den = getattr(self, f"{metric}_den")
        return getattr(self, f"{metric}_num") / den if den else None


class PendingChange(models.Model):
    """A team's day whose figures changed since they were computed; the incremental refresh
    consumes these, so a burst of changes costs one refresh."""

    county = models.ForeignKey(County, models.CASCADE, related_name="+")
    town_id = models.PositiveIntegerField()
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["town_id", "day"], name="pending_change_once")]

    def __str__(self):
        return f"{self.town_id} · {self.day}"


def export_path(instance, filename):
    """A random name: the file holds personal data and is served only through its job's view."""
    return f"exports/{timezone.now():%Y/%m}/{secrets.token_urlsafe(18)}.xlsx"


class ExportJob(models.Model):
    """An Excel export too large to write during the request: a worker writes it, the page
    follows its progress, and only the user who asked may download it until it expires."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

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
