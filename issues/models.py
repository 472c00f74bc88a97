"""The ledger (台账): issues, their per-level handling steps, the append-only timeline,
notifications to the people concerned, and deadline alerts."""

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from issues import codes
from teams.models import Department, Team, Town, Village
from visits.models import Household, Visit
from visits.validators import mask_name, mask_phone


class Category(models.Model):
    class Group(models.TextChoices):
        COMMITTEE = "committee", _("Committee")
        DISPUTE = "dispute", _("Dispute")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=30)
    group = models.CharField(_("group"), max_length=12, choices=Group.choices)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "code"]

    def __str__(self):
        return self.name


class Level(models.TextChoices):
    VILLAGE = "village", _("Village level")
    TOWN = "town", _("Town level")
    COUNTY = "county", _("County level")


# The ledger's order: open issues first, soonest due (overdue) on top; then the finished ones,
# latest due first; among equals the later registered first. One key read going down, so that a
# page after a cursor is one row comparison an index range answers (core/pagination.py): an open
# issue's time left before a far date (the sooner due, the larger), a finished one's time since it,
# negative (the later due, the larger, and below every open one). On PostgreSQL an index of the
# same expression serves it, and another the open issues alone (migration 0011, only there). An
# issue has its due time from the commit that registers it on: the Coalesce only keeps the key
# from ever being null.
LEDGER_FAR = datetime(3000, 1, 1, tzinfo=UTC)
LEDGER_KEY = Coalesce(
    Case(
        When(status="open", then=Value(LEDGER_FAR) - F("due_at")),
        default=F("due_at") - Value(LEDGER_FAR),
    ),
    Value(timedelta(0)),
)
LEDGER_ORDER = (LEDGER_KEY.desc(), F("id").desc())


def overdue_q(now):
    """Overdue now: an open issue past its due time, whenever it was received. The one
    definition (DESIGN.md) of every count, filter, list and figure of overdue issues, served by
    the (status, due_at) index; `Issue.is_overdue` is the same rule for an issue at hand."""
    return Q(status=Issue.Status.OPEN, due_at__lt=now)


class IssueQuerySet(models.QuerySet):
    def open(self):
        """Open now: still being handled, whenever received (a reopened issue is open again)."""
        return self.filter(status=Issue.Status.OPEN)

    def overdue(self, now):
        return self.filter(overdue_q(now))


class Issue(models.Model):
    class Source(models.TextChoices):
        VISIT = "visit", _("Visit")
        RECEPTION = "reception", pgettext_lazy("issue source", "Reception")
        PHONE = "phone", _("Phone call")
        ONLINE = "online", _("Online message")
        GRID = "grid", _("Grid system")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")
        EXPLAINED = "explained", _("Explained")
        CLOSED = "closed", _("Closed")

    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
        DISSATISFIED = "dissatisfied", _("Dissatisfied")

    code = models.CharField(_("tracking code"), max_length=codes.LENGTH, unique=True, default=codes.new_code)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"))
    category = models.ForeignKey(Category, models.PROTECT, related_name="issues", verbose_name=_("category"))
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    village = models.ForeignKey(Village, models.PROTECT, related_name="issues", verbose_name=_("village"))
    household = models.ForeignKey(
        Household, models.PROTECT, null=True, blank=True, related_name="issues", verbose_name=_("household")
    )
    visit = models.ForeignKey(
        Visit, models.PROTECT, null=True, blank=True, related_name="issues", verbose_name=_("visit")
    )
    reporter_name = models.CharField(_("reporter's name"), max_length=40)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=20)
    # 首问责任人: the cadre who registered the issue owns it to the end.
    first_responder = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="first_responder_issues",
        verbose_name=_("first responder"),
    )
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, default=Level.VILLAGE)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # The step now handling the issue (the last one), and its due time, kept for fast lists.
    current_step = models.ForeignKey(
        "Step", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("current step")
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    feedback_note = models.TextField(_("feedback to the resident"), blank=True)
    feedback_at = models.DateTimeField(_("feedback given at"), null=True, blank=True)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=20, choices=Satisfaction.choices, blank=True, default=""
    )
    satisfaction_comment = models.CharField(_("comment on the answer"), max_length=300, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = IssueQuerySet.as_manager()

    class Meta:
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(fields=["village", "status"]),
            # A county's count (the ledger's first page, the ratings' scope): its villages' issues,
            # and those the user registered, by id, read from the index alone.
            models.Index(fields=["village", "id"], name="issue_village_id"),
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["first_responder", "status"]),
            models.Index(fields=["received_at"]),
        ]

    def __str__(self):
        return f"{codes.display(self.code)} {self.title}"

    @property
    def display_code(self):
        return codes.display(self.code)

    @property
    def is_open(self):
        return self.status == self.Status.OPEN

    @property
    def masked_reporter_name(self):
        return mask_name(self.reporter_name)

    @property
    def masked_reporter_phone(self):
        return mask_phone(self.reporter_phone)

    def is_overdue(self, now):
        """`overdue_q` for an issue at hand."""
        return self.is_open and self.due_at is not None and self.due_at < now

    @property
    def outcome_display(self):
        """The status as the resolution and feedback records show it: a closed issue says whether
        it was solved or only explained, and an explanation never reads as done. Reads
        current_step: select it with the issue."""
        explained = self.current_step_id is not None and self.current_step.outcome == Step.Outcome.EXPLAINED
        if self.status == self.Status.EXPLAINED:
            return _("Explained, not resolved")
        if self.status == self.Status.CLOSED and explained:
            return _("Explained, not resolved; answered")
        if self.status == self.Status.CLOSED:
            return _("Resolved; answered")
        return self.get_status_display()

    def allows(self, action):
        """Whether the issue's state allows the action; who may take it is `scope.may`."""
        if action in ("progress", "resolve", "explain"):
            return self.is_open
        if action == "escalate":
            return self.is_open and self.level != Level.COUNTY
        if action == "feedback":
            return self.status in (self.Status.RESOLVED, self.Status.EXPLAINED)
        if action == "rate":
            return not self.is_open and not self.satisfaction
        if action == "handover":
            return True
        raise ValueError(action)


class Step(models.Model):
    """One level's handling of an issue: who handles it, when it opened, when it is due and
    how it ended. A reopened issue gets a new step at the same level."""

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", _("Resolved")
        EXPLAINED = "explained", _("Explained")
        ESCALATED = "escalated", _("Escalated")

    issue = models.ForeignKey(Issue, models.PROTECT, related_name="steps", verbose_name=_("issue"))
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    team = models.ForeignKey(Team, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("team"))
    town = models.ForeignKey(Town, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("town"))
    department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="steps", verbose_name=_("department")
    )
    opened_at = models.DateTimeField(_("opened at"))
    due_at = models.DateTimeField(_("due"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("ended by")
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True, default="")
    on_time = models.BooleanField(_("ended on time"), null=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["issue", "opened_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="step_handler_matches_level",
                condition=(
                    Q(level="village", team__isnull=False)
                    | Q(level="town", town__isnull=False)
                    | Q(level="county", department__isnull=False)
                ),
            ),
            models.UniqueConstraint(
                fields=["issue"], condition=Q(ended_at__isnull=True), name="one_open_step_per_issue"
            ),
        ]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(ended_at__isnull=True), name="open_step_due"),
            # The steps list's order, with the key that makes it total: a cursor reads a range of it.
            models.Index(fields=["due_at", "id"], name="step_due"),
            models.Index(fields=["department", "ended_at"]),
        ]

    def __str__(self):
        return f"{self.issue_id} · {self.get_level_display()} · {self.due_at:%Y-%m-%d}"

    @property
    def handler(self):
        return self.team or self.town or self.department


class Event(models.Model):
    """The append-only timeline: one row per change, never edited. `kind` is a code; the page
    translates it. Internal notes are never shown on public pages."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        PROGRESS = "progress", _("Progress note")
        ESCALATED_TOWN = "escalated_town", _("Escalated to the town")
        ESCALATED_COUNTY = "escalated_county", _("Escalated to a county department")
        RESOLVED = "resolved", _("Resolved")
        EXPLAINED = "explained", _("Explained")
        FEEDBACK = "feedback", _("Feedback given to the resident")
        RATED = "rated", _("Rated by the resident")
        REOPENED = "reopened", _("Reopened for handling again")
        HANDOVER = "handover", _("First responder handed over")

    issue = models.ForeignKey(Issue, models.PROTECT, related_name="events", verbose_name=_("issue"))
    step = models.ForeignKey(Step, models.PROTECT, null=True, blank=True, related_name="events", verbose_name=_("step"))
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    public_note = models.TextField(_("public note"), blank=True)
    internal_note = models.TextField(_("internal note"), blank=True)
    # The rating a `rated` event records: each rating stays here, also one that reopened its issue.
    satisfaction = models.CharField(
        _("satisfaction"), max_length=20, choices=Issue.Satisfaction.choices, blank=True, default=""
    )

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["issue", "at", "pk"]
        # The ratings list's order: a cursor reads a range of it, not every event of the county.
        # With the issue (PostgreSQL), the first page's count of a scope is read from the index alone.
        indexes = [
            models.Index(fields=["at", "id"], condition=Q(kind="rated"), include=["issue"], name="event_rated_at"),
            # The ledger's "reopened" flag, part of each page's query: the few reopened issues, not
            # every event, are read for it.
            models.Index(fields=["issue"], condition=Q(kind="reopened"), name="event_reopened"),
        ]

    def __str__(self):
        return f"{self.issue_id} · {self.get_kind_display()} · {self.at:%Y-%m-%d %H:%M}"


def photo_path(instance, filename):
    """A random name, so that a stored photo's address cannot be guessed; the month keeps
    the folders small."""
    suffix = PurePath(filename).suffix.lower()
    suffix = suffix if suffix[1:].isascii() and suffix[1:].isalnum() and len(suffix) <= 6 else ""
    return f"issues/{timezone.now():%Y/%m}/{secrets.token_urlsafe(18)}{suffix}"


class Photo(models.Model):
    issue = models.ForeignKey(Issue, models.PROTECT, related_name="photos", verbose_name=_("issue"))
    image = models.FileField(_("photo"), upload_to=photo_path)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self):
        return self.image.name


class Notification(models.Model):
    """An in-app notice to a person concerned: the first responder, a handler."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="notifications", verbose_name=_("user")
    )
    issue = models.ForeignKey(Issue, models.PROTECT, related_name="notifications", verbose_name=_("issue"))
    event = models.ForeignKey(Event, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("event"))
    kind = models.CharField(_("kind"), max_length=20)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return f"{self.user_id} · {self.kind} · {self.issue_id}"


class DeadlineAlert(models.Model):
    """Records that the sweep warned about a step (due within a working day) or reported it
    overdue, so each is sent once per step and kind."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("Due within one working day")
        OVERDUE = "overdue", _("Overdue")

    step = models.ForeignKey(Step, models.PROTECT, related_name="alerts", verbose_name=_("step"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("deadline alert")
        verbose_name_plural = _("deadline alerts")
        constraints = [models.UniqueConstraint(fields=["step", "kind"], name="alert_once_per_step_and_kind")]

    def __str__(self):
        return f"{self.step_id} · {self.kind}"
