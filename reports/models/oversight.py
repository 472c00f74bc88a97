"""Inspections (督查) and assessment rounds (考核): the rules are in oversight/inspections.py and
oversight/assessments.py."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from reports.models.figures import Rates, Unit, count_field
from teams.models import County


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


class AssessmentResult(Rates, models.Model):
    """One town's or team's result in a round: the figures it was scored on (numerator and
    denominator of each metric), its deductions and the inspections behind them, its total and
    rank — kept as they were, so that a published round never changes."""

    round = models.ForeignKey(AssessmentRound, models.CASCADE, related_name="results", verbose_name=_("round"))
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    unit_id = models.PositiveIntegerField(_("unit id"))
    name = models.CharField(_("name"), max_length=80)
    town_id = models.PositiveIntegerField(_("town id"))
    attendance_num = count_field(_("present"))
    attendance_den = count_field(_("attendance rows"))
    timely_num = count_field(_("steps ended on time"))
    timely_den = count_field(_("steps judged"))
    coverage_num = count_field(_("households visited"))
    coverage_den = count_field(_("households"))
    satisfaction_num = count_field(_("satisfied ratings"))
    satisfaction_den = count_field(_("ratings"))
    feedback_num = count_field(_("issues answered"))
    feedback_den = count_field(_("issues with an answer"))
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
