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
    "issues_open": _("Received in the period, still open"),
    "issues_overdue": _("Received in the period, overdue now"),
}
FIGURES = [f"{metric}_{part}" for metric in METRICS for part in ("num", "den")] + list(COUNTS)


class Refresh(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
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
    # When its work last moved (asked for, published again, a town done): the sweeper publishes a
    # refresh whose work has not moved for JOB_STALL_SECONDS again (services.stalled_refreshes);
    # `retries` counts the times it was found stalled while running.
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    retries = models.PositiveSmallIntegerField(_("published again"), default=0)

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
    """A town's figures count something else from the day `since` on: the incremental refresh
    recomputes every period from that day to today, then deletes the rows it read. One row per
    change, never merged into another: a change noted while a refresh is computing stays for the
    next one (a merged row would be deleted with the change it was merged into uncounted)."""

    county = models.ForeignKey(County, models.CASCADE, related_name="+")
    town_id = models.PositiveIntegerField()
    since = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["county", "since"])]

    def __str__(self):
        return f"{self.town_id} · {self.since}"


# Inspections (督查) and assessment rounds (考核): the rules are in inspections.py and assessments.py.


class Inspection(models.Model):
    """An unannounced check of a team on one of its liaison days: the checklist, the findings,
    the points deducted, and, it may be, a public criticism notice (通报批评) naming members."""

    team = models.ForeignKey("teams.Team", models.PROTECT, related_name="inspections", verbose_name=_("team"))
    liaison_day = models.ForeignKey(
        "teams.LiaisonDay", models.PROTECT, related_name="inspections", verbose_name=_("liaison day")
    )
    date = models.DateField(_("date"))
    inspectors = models.CharField(_("inspectors"), max_length=200)
    team_present = models.BooleanField(_("team present on time"), default=True)
    notice_posted = models.BooleanField(_("notice posted"), default=True)
    log_kept = models.BooleanField(_("log kept"), default=True)
    ledger_up_to_date = models.BooleanField(_("ledger up to date"), default=True)
    absent_members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("members absent without leave")
    )
    findings = models.TextField(_("findings"), blank=True)
    deduction = models.DecimalField(_("points deducted"), max_digits=4, decimal_places=1, default=0)
    criticism = models.TextField(_("criticism notice"), blank=True)
    criticised = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="criticisms", verbose_name=_("members criticised")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        indexes = [models.Index(fields=["date"])]

    def __str__(self):
        return f"{self.team} · {self.date}"


class AssessmentRound(models.Model):
    """An assessment (考核) of a county's towns and teams over a quarter or a year. A draft is
    computed afresh from the figures whenever it changes; publishing freezes its results."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    county = models.ForeignKey(County, models.PROTECT, related_name="assessment_rounds", verbose_name=_("county"))
    title = models.CharField(_("title"), max_length=100)
    period = models.CharField(_("period"), max_length=7)
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    weight_attendance = models.PositiveSmallIntegerField(_("attendance weight"), default=25)
    weight_timely = models.PositiveSmallIntegerField(_("timely handling weight"), default=25)
    weight_coverage = models.PositiveSmallIntegerField(_("visit coverage weight"), default=20)
    weight_satisfaction = models.PositiveSmallIntegerField(_("satisfaction weight"), default=15)
    weight_feedback = models.PositiveSmallIntegerField(_("feedback weight"), default=15)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # The moment of the figures the results were computed from.
    figures_at = models.DateTimeField(_("figures computed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("published by"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("assessment round")
        verbose_name_plural = _("assessment rounds")

    def __str__(self):
        return self.title

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED


class AssessmentEvent(models.Model):
    """A round's publications and withdrawals: who, when and, for a withdrawal, why. Append-only
    (database triggers)."""

    class Kind(models.TextChoices):
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # A round that has a record is kept with it.
    round = models.ForeignKey(AssessmentRound, models.PROTECT, related_name="events", verbose_name=_("round"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("assessment round event")
        verbose_name_plural = _("assessment round events")

    def __str__(self):
        return f"{self.round} · {self.kind}"


class AssessmentResult(models.Model):
    """One town's or team's result in a round: the figures it was scored on (numerator and
    denominator of each metric), its deductions and the inspections behind them, its total and
    rank — kept as they were, so that a published round never changes."""

    round = models.ForeignKey(AssessmentRound, models.CASCADE, related_name="results", verbose_name=_("round"))
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    unit_id = models.PositiveIntegerField(_("unit id"))
    name = models.CharField(_("name"), max_length=80)
    town_id = models.PositiveIntegerField(_("town id"))
    attendance_num = _count(_("present"))
    attendance_den = _count(_("attendance rows"))
    timely_num = _count(_("steps ended on time"))
    timely_den = _count(_("steps judged"))
    coverage_num = _count(_("households visited"))
    coverage_den = _count(_("households"))
    satisfaction_num = _count(_("satisfied ratings"))
    satisfaction_den = _count(_("ratings"))
    feedback_num = _count(_("issues answered"))
    feedback_den = _count(_("issues with an answer"))
    deduction = models.DecimalField(_("points deducted"), max_digits=7, decimal_places=1, default=0)
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2, null=True, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    inspections = models.ManyToManyField(Inspection, blank=True, related_name="results",
                                         verbose_name=_("inspections"))

    class Meta:
        verbose_name = _("assessment result")
        verbose_name_plural = _("assessment results")
        constraints = [models.UniqueConstraint(fields=["round", "unit", "unit_id"], name="assessment_result_once")]
        indexes = [models.Index(fields=["round", "unit", "rank"])]

    def __str__(self):
        return f"{self.round} · {self.name}"

    def rate(self, metric):
        den = getattr(self, f"{metric}_den")
        return getattr(self, f"{metric}_num") / den if den else None
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
