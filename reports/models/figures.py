"""Metric snapshots: each metric's numerator and denominator per unit (team, town, county,
county department) and period, computed by Celery.

A county's figures are computed in one `Refresh` (a generation): its towns in parallel tasks,
then the county. Readers use the county's latest finished refresh, so they never see half of
one; a refresh that dies leaves the previous one in use. Changes made afterwards are applied
to the cells they touch, in place."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from teams.models import County

# The counts a snapshot keeps beside the metrics (reports/figures/registry.py), in the order
# the pages show them.
COUNTS = {
    "visits_household": _("Household visits"),
    "visits_reception": _("Receptions"),
    "visits_consolation": _("Consolation visits"),
    "visits_forum": _("Forums"),
    "issues_received": _("Issues received"),
    "issues_open": _("Received in the period, still open"),
    "issues_overdue": _("Received in the period, overdue now"),
}


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


def count_field(label):
    return models.PositiveIntegerField(label, default=0)


class Rates:
    """For a row that keeps metrics' numerators and denominators as `<metric>_num` and
    `<metric>_den` (their columns match reports/figures/registry.py: test_registry.py)."""

    def rate(self, metric):
        """numerator / denominator, or None for 0/0."""
        den = getattr(self, f"{metric}_den")
        return getattr(self, f"{metric}_num") / den if den else None


class Snapshot(Rates, models.Model):
    """One unit's figures for one period: for each metric its numerator and denominator (the
    rate is theirs to divide; 0/0 is no rate), and the counts beside them."""

    refresh = models.ForeignKey(Refresh, models.CASCADE, related_name="snapshots", verbose_name=_("refresh"))
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    unit_id = models.PositiveIntegerField(_("unit id"))
    period = models.CharField(_("period"), max_length=7)
    start = models.DateField(_("first day"))
    computed_at = models.DateTimeField(_("computed at"))
    attendance_num = count_field(_("present"))
    attendance_den = count_field(_("attendance rows"))
    timely_num = count_field(_("steps ended on time"))
    timely_den = count_field(_("steps judged"))
    resolution_num = count_field(_("issues resolved"))
    resolution_den = count_field(_("issues received"))
    feedback_num = count_field(_("issues answered"))
    feedback_den = count_field(_("issues with an answer"))
    satisfaction_num = count_field(_("satisfied ratings"))
    satisfaction_den = count_field(_("ratings"))
    coverage_num = count_field(_("households visited"))
    coverage_den = count_field(_("households"))
    visits_household = count_field(COUNTS["visits_household"])
    visits_reception = count_field(COUNTS["visits_reception"])
    visits_consolation = count_field(COUNTS["visits_consolation"])
    visits_forum = count_field(COUNTS["visits_forum"])
    issues_received = count_field(COUNTS["issues_received"])
    issues_open = count_field(COUNTS["issues_open"])
    issues_overdue = count_field(COUNTS["issues_overdue"])

    class Meta:
        verbose_name = _("metrics snapshot")
        verbose_name_plural = _("metrics snapshots")
        constraints = [
            models.UniqueConstraint(fields=["refresh", "unit", "unit_id", "period", "start"], name="snapshot_once"),
        ]

    def __str__(self):
        return f"{self.unit}:{self.unit_id} · {self.period}:{self.start}"

class MemberCoverage(models.Model):
    """Visit coverage by member (定点联系) for one period: of the households assigned to the
    member in the team at the period's end (its last day, or today) and on the roll then, how
    many had a household visit in the period; a pair counts for both members. A row of its own
    beside the snapshots, in the same refresh: two figures rather than a snapshot's twenty, for
    ten times as many members as teams; and per team, as the refresh computes a team at a time
    (a member of two teams has a row in each; `member:ID` adds them up). Kept for months,
    quarters and years only (`grid.MEMBER_KINDS`)."""

    refresh = models.ForeignKey(Refresh, models.CASCADE, related_name="member_rows", verbose_name=_("refresh"))
    team_id = models.PositiveIntegerField(_("team"))
    member_id = models.PositiveIntegerField(_("member"))
    period = models.CharField(_("period"), max_length=7)
    start = models.DateField(_("first day"))
    computed_at = models.DateTimeField(_("computed at"))
    coverage_num = count_field(_("households visited"))
    coverage_den = count_field(_("households"))

    class Meta:
        verbose_name = _("coverage by member")
        verbose_name_plural = _("coverage by member")
        constraints = [
            models.UniqueConstraint(fields=["refresh", "team_id", "member_id", "period", "start"],
                                    name="member_coverage_once"),
        ]

    def __str__(self):
        return f"member:{self.member_id} · team:{self.team_id} · {self.period}:{self.start}"

    def rate(self, _metric="coverage"):
        return self.coverage_num / self.coverage_den if self.coverage_den else None


class PendingChange(models.Model):
    """A town's figures count something else from the day `since` on — one village's (its
    team's, and the sums above it) when `village_id` is set, else every team's of the town: the
    incremental refresh recomputes every period from that day to today, then deletes the rows
    it read. One row per
    change, never merged into another: a change noted while a refresh is computing stays for the
    next one (a merged row would be deleted with the change it was merged into uncounted)."""

    county = models.ForeignKey(County, models.CASCADE, related_name="+")
    town_id = models.PositiveIntegerField()
    village_id = models.PositiveIntegerField(null=True)
    since = models.DateField()
    # When the change was noted: /healthz and /metrics report the oldest still waiting, the
    # figures' lag. Set by the database, so bulk inserts and raw SQL carry it too.
    noted_at = models.DateTimeField(db_default=Now())

    class Meta:
        indexes = [models.Index(fields=["county", "since"]), models.Index(fields=["noted_at"])]

    def __str__(self):
        return f"{self.town_id} · {self.since}"
