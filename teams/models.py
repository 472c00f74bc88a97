"""The administrative tree, users and their positions, teams, the liaison schedule,
liaison days and attendance, and the holiday calendar.

History is never deleted: foreign keys to people and teams PROTECT, and memberships end
with a date instead of being removed.

Over 400 lines because the app's tables are one tree (county → town → village → team → liaison
day → attendance) whose constraints and audit rules read best side by side.
"""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Weekday(models.IntegerChoices):
    MONDAY = 1, _("Monday")
    TUESDAY = 2, _("Tuesday")
    WEDNESDAY = 3, _("Wednesday")
    THURSDAY = 4, _("Thursday")
    FRIDAY = 5, _("Friday")
    SATURDAY = 6, _("Saturday")
    SUNDAY = 7, _("Sunday")


class HalfDay(models.TextChoices):
    MORNING = "morning", _("Morning")
    AFTERNOON = "afternoon", _("Afternoon")


class County(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    # 三固定: one weekday for the whole county, unless a team overrides it.
    liaison_weekday = models.PositiveSmallIntegerField(
        _("liaison weekday"), choices=Weekday.choices, default=Weekday.TUESDAY
    )

    class Meta:
        verbose_name = _("county")
        verbose_name_plural = _("counties")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Town(models.Model):
    # A town is a 镇 or a 街道: pages name one town by its kind, towns in general 镇街 ("Town").
    class Kind(models.TextChoices):
        TOWN = "town", pgettext_lazy("town kind", "Town")
        SUBDISTRICT = "subdistrict", pgettext_lazy("town kind", "Subdistrict")

    county = models.ForeignKey(County, models.PROTECT, related_name="towns", verbose_name=_("county"))
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.TOWN)

    class Meta:
        verbose_name = _("town")
        verbose_name_plural = _("towns")
        ordering = ["county", "name"]
        constraints = [models.UniqueConstraint(fields=["county", "name"], name="town_unique_name")]

    def __str__(self):
        return self.name


class Village(models.Model):
    class Kind(models.TextChoices):
        VILLAGE = "village", _("Village")
        COMMUNITY = "community", _("Community")

    town = models.ForeignKey(Town, models.PROTECT, related_name="villages", verbose_name=_("town"))
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.VILLAGE)

    class Meta:
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        ordering = ["town", "name"]
        constraints = [models.UniqueConstraint(fields=["town", "name"], name="village_unique_name")]

    def __str__(self):
        return self.name


class Department(models.Model):
    """A county department (县直部门) that handles issues escalated to the county."""

    county = models.ForeignKey(County, models.PROTECT, related_name="departments", verbose_name=_("county"))
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["county", "name"]
        constraints = [models.UniqueConstraint(fields=["county", "name"], name="department_unique_name")]

    def __str__(self):
        return self.name


class User(AbstractUser):
    name = models.CharField(_("full name"), max_length=40, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self):
        return self.name or self.username

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Users are never deleted; deactivate the account instead."))


class Position(models.Model):
    """An office a user holds besides team membership: the town office (镇街驻点办), a county
    department, the county's organization department (组织部), or administrator."""

    class Kind(models.TextChoices):
        TOWN_OFFICE = "town_office", _("Town office")
        DEPARTMENT = "department", _("County department")
        ORG_DEPARTMENT = "org_department", _("Organization department")
        ADMIN = "admin", _("Administrator")

    user = models.ForeignKey(User, models.PROTECT, related_name="positions", verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    town = models.ForeignKey(Town, models.PROTECT, null=True, blank=True, verbose_name=_("town"))
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, verbose_name=_("department"))
    county = models.ForeignKey(County, models.PROTECT, null=True, blank=True, verbose_name=_("county"))
    title = models.CharField(pgettext_lazy("job title", "title"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        constraints = [
            models.CheckConstraint(
                name="position_unit_matches_kind",
                condition=(
                    Q(kind="town_office", town__isnull=False, department__isnull=True, county__isnull=True)
                    | Q(kind="department", town__isnull=True, department__isnull=False, county__isnull=True)
                    | Q(kind="org_department", town__isnull=True, department__isnull=True, county__isnull=False)
                    | Q(kind="admin", town__isnull=True, department__isnull=True)
                ),
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.get_kind_display()} · {self.unit or ''}"

    @property
    def unit(self):
        return self.town or self.department or self.county

    def clean(self):
        required = {
            self.Kind.TOWN_OFFICE: ("town", _("A town office position needs a town.")),
            self.Kind.DEPARTMENT: ("department", _("A department position needs a department.")),
            self.Kind.ORG_DEPARTMENT: ("county", _("An organization department position needs a county.")),
        }
        errors = {}
        if self.kind in required:
            field, message = required[self.kind]
            if getattr(self, f"{field}_id") is None:
                errors[field] = message
            for other in ("town", "department", "county"):
                if other != field and getattr(self, f"{other}_id") is not None:
                    errors[other] = _("Leave this empty for this kind of position.")
        elif self.kind == self.Kind.ADMIN and (self.town_id or self.department_id):
            errors["town"] = _("An administrator position is not tied to a town or department.")
        if errors:
            raise ValidationError(errors)


class Team(models.Model):
    """The fixed team stationed in one village (一村一队)."""

    village = models.OneToOneField(Village, models.PROTECT, related_name="team", verbose_name=_("village"))
    name = models.CharField(_("name"), max_length=80)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["village__town", "village__name"]

    def __str__(self):
        return self.name

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Teams are never deleted; deactivate the team instead."))


class Role(models.TextChoices):
    LEADER = "leader", _("Team leader")
    TOWN_CADRE = "town_cadre", _("Town cadre")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    PARTY_REPRESENTATIVE = "party_representative", _("Party congress representative")
    NPC_DEPUTY = "npc_deputy", _("People's congress deputy")
    CPPCC_MEMBER = "cppcc_member", _("CPPCC member")
    POLICE_OFFICER = "police_officer", _("Police officer")
    PROSECUTOR = "prosecutor", _("Prosecutor")
    JUDGE = "judge", _("Judge")
    LAWYER = "lawyer", _("Lawyer")
    FIRST_SECRETARY = "first_secretary", _("First secretary")
    VILLAGE_COMMITTEE = "village_committee", _("Village committee member")
    VOLUNTEER = "volunteer", _("Volunteer")
    GRADUATE_OFFICIAL = "graduate_official", _("College-graduate village official")


# Auxiliary members (辅助团队) help on liaison days but are not counted in attendance.
AUXILIARY_ROLES = frozenset({Role.VILLAGE_COMMITTEE, Role.VOLUNTEER, Role.GRADUATE_OFFICIAL})
REQUIRED_ROLES = frozenset(Role.values) - AUXILIARY_ROLES
MAX_TEAMS_PER_LEADER = 2


class MembershipQuerySet(models.QuerySet):
    def active_on(self, day):
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=day), start_date__lte=day)

    def required(self):
        return self.filter(role__in=REQUIRED_ROLES)


class Membership(models.Model):
    team = models.ForeignKey(Team, models.PROTECT, related_name="memberships", verbose_name=_("team"))
    user = models.ForeignKey(User, models.PROTECT, related_name="memberships", verbose_name=_("member"))
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    # Published on the village's public notice and contact card.
    public_phone = models.CharField(_("published phone"), max_length=20, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["team", "start_date"]
        constraints = [
            models.CheckConstraint(
                name="membership_ends_after_start",
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                violation_error_message=_("A membership cannot end before it starts."),
            ),
        ]
        indexes = [models.Index(fields=["user", "end_date"])]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.team}"

    @property
    def is_required(self):
        return self.role in REQUIRED_ROLES

    def is_active_on(self, day):
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)

    def clean(self):
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("A membership cannot end before it starts.")})


class Schedule(models.Model):
    """三固定: the team's fixed day and place. An empty weekday means the county's day."""

    class Frequency(models.IntegerChoices):
        WEEKLY = 1, _("Every week")
        FORTNIGHTLY = 2, _("Every two weeks")

    team = models.OneToOneField(Team, models.PROTECT, related_name="schedule", verbose_name=_("team"))
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), choices=Weekday.choices, null=True, blank=True,
        help_text=_("Leave empty to use the county's liaison day."),
    )
    every_weeks = models.PositiveSmallIntegerField(_("frequency"), choices=Frequency.choices, default=Frequency.WEEKLY)
    # Fortnightly schedules count their weeks from this date.
    starts_on = models.DateField(_("starts on"), default=date(2026, 1, 5))
    half_day = models.CharField(_("half-day"), max_length=10, choices=HalfDay.choices, default=HalfDay.MORNING)
    place = models.CharField(_("place"), max_length=120)

    class Meta:
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")
        constraints = [
            models.CheckConstraint(
                name="schedule_has_place", condition=~Q(place=""),
                violation_error_message=_("Give the place where the team receives residents."),
            ),
        ]

    def __str__(self):
        return f"{self.team} · {self.get_half_day_display()} · {self.place}"

    def clean(self):
        if not (self.place or "").strip():
            raise ValidationError({"place": _("Give the place where the team receives residents.")})

    def effective_weekday(self, county):
        return self.weekday or county.liaison_weekday


class LiaisonDay(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")

    team = models.ForeignKey(Team, models.PROTECT, related_name="liaison_days", verbose_name=_("team"))
    # The date the schedule generated; it stays fixed so that generating again after a
    # reschedule creates nothing new.
    scheduled_date = models.DateField(_("scheduled date"))
    date = models.DateField(_("date"))
    half_day = models.CharField(_("half-day"), max_length=10, choices=HalfDay.choices)
    place = models.CharField(_("place"), max_length=120)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    change_reason = models.CharField(_("reason for change"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("liaison day")
        verbose_name_plural = _("liaison days")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["team", "scheduled_date"], name="liaison_day_once_per_slot"),
            models.UniqueConstraint(fields=["team", "date"], name="liaison_day_one_a_date"),
        ]
        # The API lists the days latest first: a cursor reads a range of (date, team, id).
        indexes = [
            models.Index(fields=["date"]),
            models.Index(fields=["date", "team", "id"], name="liaison_day_listed"),
        ]

    def __str__(self):
        return f"{self.team} · {self.date}"

    @property
    def is_cancelled(self):
        return self.status == self.Status.CANCELLED

    @property
    def is_rescheduled(self):
        return self.date != self.scheduled_date

    def sheet_closes_on(self):
        """The last date the day's attendance sheet may still be corrected."""
        return self.date + timedelta(days=settings.ATTENDANCE_EDIT_DAYS)

    def sheet_is_open(self, today):
        return not self.is_cancelled and today <= self.sheet_closes_on()


class Attendance(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PRESENT = "present", _("Present")
        ABSENT = "absent", _("Absent")
        LEAVE = "leave", _("On leave")

    liaison_day = models.ForeignKey(
        LiaisonDay, models.PROTECT, related_name="attendance", verbose_name=_("liaison day")
    )
    member = models.ForeignKey(User, models.PROTECT, related_name="attendance", verbose_name=_("member"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # When the member checked themselves in: a leader's mark after the fact says nothing of the hour.
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("updated by")
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["liaison_day", "member"]
        constraints = [
            models.UniqueConstraint(fields=["liaison_day", "member"], name="attendance_once_per_member"),
            models.CheckConstraint(
                name="leave_has_reason", condition=~Q(status="leave") | ~Q(note=""),
                violation_error_message=_("Give the reason for the leave."),
            ),
        ]

    def __str__(self):
        return f"{self.member} · {self.liaison_day} · {self.get_status_display()}"

    def clean(self):
        if self.status == self.Status.LEAVE and not self.note.strip():
            raise ValidationError({"note": _("Give the reason for the leave.")})


# The attendance rate (DESIGN.md) of a sheet, and of the figures over the rows they count:
# present over the rows, leave excepted; a row still pending counts as not present. `prefix`
# leads from the rows asked to their attendance.


def present(prefix=""):
    return Q(**{f"{prefix}status": Attendance.Status.PRESENT})


def counted(prefix=""):
    return ~Q(**{f"{prefix}status": Attendance.Status.LEAVE})


class Holiday(models.Model):
    """The official calendar's exceptions: public holidays, and the make-up working days
    (调休) that fall on weekends. Kept as data because it changes every year."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Public holiday")
        WORKDAY = "workday", _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=40)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holiday calendar")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name} ({self.get_kind_display()})"


class AttendanceChange(models.Model):
    """Who changed an attendance row, when, and from what to what: the sheet's audit trail."""

    attendance = models.ForeignKey(
        Attendance, models.PROTECT, related_name="changes", verbose_name=_("attendance")
    )
    changed_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("changed by"))
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    from_status = models.CharField(_("from"), max_length=10, choices=Attendance.Status.choices)
    to_status = models.CharField(_("to"), max_length=10, choices=Attendance.Status.choices)
    from_note = models.CharField(_("previous note"), max_length=200, blank=True)
    to_note = models.CharField(_("new note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("attendance change")
        verbose_name_plural = _("attendance changes")
        ordering = ["changed_at", "pk"]

    def __str__(self):
        return f"{self.attendance} · {self.get_from_status_display()} → {self.get_to_status_display()}"
