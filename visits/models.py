"""Households, visits (走访, 接待, 慰问, 座谈) and the visit diary (民情日记)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from teams.models import Membership, Team, Village
from visits.validators import mask_id_number, mask_phone, validate_id_number, validate_phone


class HouseholdTag(models.Model):
    """A priority tag (低保, 独居老人, 困难党员, 残疾, 脱贫监测 …); administrators add more."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=30)
    priority = models.PositiveSmallIntegerField(_("priority"), default=10, help_text=_("Lower comes first."))

    class Meta:
        verbose_name = _("household tag")
        verbose_name_plural = _("household tags")
        ordering = ["priority", "code"]

    def __str__(self):
        return self.name


# How many members a household may have: the form, the API and the Excel import ask this.
MEMBERS_COUNT = range(1, 100)


class Household(models.Model):
    village = models.ForeignKey(Village, models.PROTECT, related_name="households", verbose_name=_("village"))
    head_name = models.CharField(_("head of household"), max_length=40)
    address = models.CharField(_("address"), max_length=120)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    id_number = models.CharField(_("ID number"), max_length=18, blank=True, validators=[validate_id_number])
    members_count = models.PositiveSmallIntegerField(_("number of members"), default=1)
    tags = models.ManyToManyField(HouseholdTag, blank=True, related_name="households", verbose_name=_("tags"))
    # On the roll since: a household counts for visit coverage from this day.
    registered_on = models.DateField(_("registered on"), default=timezone.localdate)
    is_active = models.BooleanField(_("active"), default=True)
    moved_out_on = models.DateField(_("moved out on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["village", "address"]
        indexes = [
            models.Index(fields=["village", "is_active"]),
            models.Index(fields=["village", "head_name"]),
            models.Index(fields=["village", "id"]),
            models.Index(fields=["village", "address"]),
        ]

    def __str__(self):
        return f"{self.head_name}（{self.address}）"

    @property
    def masked_phone(self):
        return mask_phone(self.phone)

    @property
    def masked_id_number(self):
        return mask_id_number(self.id_number)

    def is_active_on(self, day):
        return self.is_active or (self.moved_out_on is not None and self.moved_out_on >= day)


class Visit(models.Model):
    class Kind(models.TextChoices):
        HOUSEHOLD = "household", _("Household visit")
        RECEPTION = "reception", _("Reception")
        CONSOLATION = "consolation", _("Consolation visit")
        FORUM = "forum", _("Forum")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    date = models.DateField(_("date"))
    village = models.ForeignKey(Village, models.PROTECT, related_name="visits", verbose_name=_("village"))
    team = models.ForeignKey(Team, models.PROTECT, related_name="visits", verbose_name=_("team"))
    cadres = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="visits", verbose_name=_("cadres present"))
    households = models.ManyToManyField(Household, blank=True, related_name="visits", verbose_name=_("households"))
    # max_length: the bound of what is typed (services.VISIT_NOTES, the admin's form), not a column type.
    notes = models.TextField(_("notes"), blank=True, max_length=2000)
    needs_follow_up = models.BooleanField(_("needs follow-up"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-date", "-pk"]
        indexes = [
            models.Index(fields=["team", "-date"]),
            models.Index(fields=["village", "-date"]),
            # The diary's and the API's order, for those who see the whole county.
            models.Index(fields=["-date", "-id"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.village} · {self.date}"


class AssignmentQuerySet(models.QuerySet):
    def active_on(self, day):
        """Assignments in force on `day`: their own dates and their membership's cover it (an
        assignment ends when its member's membership does, without a write)."""
        return self.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=day),
            Q(membership__end_date__isnull=True) | Q(membership__end_date__gte=day),
            start_date__lte=day, membership__start_date__lte=day,
        )


class Assignment(models.Model):
    """定点联系: a household is the named member's to visit, from a day until a day. Kept like
    memberships: a change ends one row and starts another, so who had whom is never lost."""

    household = models.ForeignKey(Household, models.PROTECT, related_name="assignments", verbose_name=_("household"))
    membership = models.ForeignKey(
        Membership, models.PROTECT, related_name="assignments", verbose_name=_("member")
    )
    start_date = models.DateField(_("start date"))
    # Inclusive, as a membership's. A row ended the day before it started was withdrawn the day
    # it was made (a wrong pick corrected): kept, never in force.
    end_date = models.DateField(_("end date"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("assigned by")
    )
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("ended by"),
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # The creating request's `client_id` (a phone's queued POST): a repeat answers these rows.
    client_id = models.UUIDField(_("client id"), null=True, blank=True, db_index=True, editable=False)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("household assignment")
        verbose_name_plural = _("household assignments")
        ordering = ["household", "start_date", "pk"]
        indexes = [
            models.Index(fields=["membership", "end_date"]),
            models.Index(fields=["household", "end_date"]),
        ]

    def __str__(self):
        return f"{self.household} → {self.membership.user}"

    @property
    def ends_on(self):
        """The last day in force: its own end or its membership's, whichever is first."""
        ends = [day for day in (self.end_date, self.membership.end_date) if day is not None]
        return min(ends, default=None)

    def is_active_on(self, day):
        ends_on = self.ends_on
        return self.start_date <= day and self.membership.start_date <= day and (ends_on is None or ends_on >= day)


class MemberPlan(models.Model):
    """The coverage planner's figures for one member of a team (visits/planner.py): computed, never
    typed; replaced whole each time the team's plan is recomputed."""

    membership = models.OneToOneField(Membership, models.CASCADE, related_name="plan", verbose_name=_("member"))
    team = models.ForeignKey(Team, models.CASCADE, related_name="+", verbose_name=_("team"))
    households = models.PositiveIntegerField(_("households"))
    visited = models.PositiveIntegerField(_("visited this year"))
    priority_due = models.PositiveIntegerField(_("priority households due this quarter"))
    days_left = models.PositiveIntegerField(_("liaison days left"))
    next_date = models.DateField(_("next planned day"), null=True)
    next_count = models.PositiveIntegerField(_("households planned that day"))
    at_risk = models.PositiveIntegerField(_("households at risk"))
    # Households visited a liaison day held; None before the first.
    pace = models.FloatField(_("pace"), null=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("member's visit plan")
        verbose_name_plural = _("members' visit plans")
        indexes = [models.Index(fields=["team", "at_risk"])]

    def __str__(self):
        return f"{self.membership} · {self.at_risk}"

    @property
    def unvisited(self):
        return self.households - self.visited


class PlannedVisit(models.Model):
    """A household the planner puts on one of a member's coming liaison days."""

    # Rows the planner writes by the thousand a town, of people, teams and households that are never
    # deleted: no constraint checked a row, and only the two indexes the pages read.
    membership = models.ForeignKey(Membership, models.DO_NOTHING, related_name="+", verbose_name=_("member"),
                                   db_constraint=False, db_index=False)
    team = models.ForeignKey(Team, models.DO_NOTHING, related_name="+", verbose_name=_("team"),
                             db_constraint=False, db_index=False)
    date = models.DateField(_("date"))
    household = models.ForeignKey(Household, models.DO_NOTHING, related_name="+", verbose_name=_("household"),
                                  db_constraint=False, db_index=False)
    priority = models.BooleanField(_("priority"), default=False)
    position = models.PositiveSmallIntegerField(_("order in the day"))

    class Meta:
        verbose_name = _("planned visit")
        verbose_name_plural = _("planned visits")
        ordering = ["date", "membership", "position"]
        indexes = [models.Index(fields=["membership", "date"]), models.Index(fields=["team", "date"])]

    def __str__(self):
        return f"{self.membership} · {self.date} · {self.household_id}"
