"""The ledger's use cases: one function per transition.

Each locks the issue's row, checks that the issue is still what the caller loaded (else it
lost a race: 409), that the user may make this change (403) and that the change is allowed
from the current state (409), then writes the change, exactly one timeline event for it and
the notices, all in one transaction. Over 400 lines because the ledger's transitions are read
as one state machine: each is short, and they share the lock-and-check steps."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core import texts
from core.web import Conflict
from issues import deadlines, images, notifications
from issues.models import Event, Issue, Level, Photo, Step
from issues.scope import may, registrable_villages
from teams import changes
from teams.models import Department, Membership, Village
from visits.models import Visit
from visits.validators import normalize_phone, validate_phone


class LedgerError(Exception):
    """A ledger rule refused the change; `message` is for the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class TransitionNotAllowed(LedgerError, Conflict):
    """Not allowed from the issue's current state, or another change got there first (409)."""


# Issues taken on paper may be entered afterwards, but not from further back than this.
MAX_BACKDATING = timedelta(days=365)

# What people type into the ledger, each bounded to fit its use (the public status page shows
# the notes to residents, the ledger lists titles).
TITLE = texts.Bound.of(Issue, "title", pgettext_lazy("text field", "Title"))
DESCRIPTION = texts.Bound(2000, pgettext_lazy("text field", "Description"))
REPORTER_NAME = texts.Bound.of(Issue, "reporter_name", pgettext_lazy("text field", "Resident's name"))
PROGRESS_NOTE = texts.Bound(2000, pgettext_lazy("text field", "Progress note"))
INTERNAL_NOTE = texts.Bound(2000, pgettext_lazy("text field", "Internal note"))
ESCALATION_REASON = texts.Bound(1000, pgettext_lazy("text field", "Reason for escalating"))
RESULT = texts.Bound(2000, pgettext_lazy("text field", "Result"))
EXPLANATION = texts.Bound(2000, pgettext_lazy("text field", "Explanation"))
FEEDBACK_NOTE = texts.Bound(1000, pgettext_lazy("text field", "Feedback"))
COMMENT = texts.Bound.of(Issue, "satisfaction_comment", pgettext_lazy("text field", "Comment"))
HANDOVER_REASON = texts.Bound(500, pgettext_lazy("text field", "Reason for the handover"))

# The fields a transition may change; the caller's instance is brought up to date with them.
_ISSUE_FIELDS = [
    "level", "status", "current_step_id", "due_at", "ended_at", "result", "feedback_note", "feedback_at",
    "satisfaction", "satisfaction_comment", "rated_at", "first_responder_id",
]


def _required(value, field, message):
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def _lock(issue, seen_step=None):
    """The issue's row, locked, with its current step. 409 if it changed since the caller read
    it, or since the user saw it (`seen_step`: the step their page or app showed) — checked
    before any permission, so that someone who was allowed a moment ago learns that another
    person acted, rather than that they may not."""
    locked = (
        Issue.objects.select_for_update(of=("self",))
        .select_related("current_step", "village__town", "village__team")
        .get(pk=issue.pk)
    )
    seen = (issue.status, issue.current_step_id, issue.satisfaction, issue.first_responder_id)
    if seen != (locked.status, locked.current_step_id, locked.satisfaction, locked.first_responder_id) or (
        seen_step is not None and seen_step != locked.current_step_id
    ):
        raise TransitionNotAllowed(_("Someone else changed this issue just now. Reload it and try again."))
    return locked


def _sync(target, source):
    for name in _ISSUE_FIELDS:
        setattr(target, name, getattr(source, name))
    if "current_step" in source._state.fields_cache:
        target.current_step = source.current_step


ACTIONS = ("progress", "escalate", "resolve", "explain", "feedback", "rate", "handover")


def allowed_actions(user, issue):
    return [a for a in ACTIONS if issue.allows(a) and may(user, issue, a)]


def _check(issue, by, action, refusal):
    """The state first (409), then the permission (403)."""
    if not issue.allows(action):
        raise TransitionNotAllowed(refusal % {"status": issue.get_status_display()})
    _check_permission(issue, by, action)


def _check_permission(issue, by, action):
    """The permission, judged on the issue as read under its lock. Someone who could take this
    action on one of the issue's earlier steps, and cannot now, lost it because the issue moved
    on (someone escalated it, or answered and reopened it) since they loaded it: that is a
    transition not allowed from the current state (409, "someone else changed it"), whether or
    not the client sent the step it saw. Only someone who never could is refused (403)."""
    if may(by, issue, action):
        return
    if _moved_away_from(by, issue, action):
        raise TransitionNotAllowed(
            _("Someone else has changed this issue since you opened it; it is now with %(handler)s. "
              "Reload it to see what changed.") % {"handler": issue.current_step.handler}
        )
    raise PermissionDenied(_("You may not make this change to this issue."))


def _moved_away_from(user, issue, action):
    """Whether the user could take `action` on the issue at one of its earlier steps."""
    if user is None:
        return False
    earlier = Step.objects.filter(issue=issue).exclude(pk=issue.current_step_id).order_by("-opened_at", "-pk")
    for step in earlier:
        then = Issue(pk=issue.pk, village=issue.village, first_responder_id=issue.first_responder_id)
        then.current_step = step
        if may(user, then, action):
            return True
    return False


def _event(issue, *, kind, by, at, step=None, public_note="", internal_note="", satisfaction=""):
    """The change's one timeline event. Every change to the ledger writes one, so here the
    figures are told: whatever a change touches — the issue's answer, its steps' ends and
    deadlines, a rating — lies on or after the day it was received."""
    event = Event.objects.create(
        issue=issue, step=step or issue.current_step, at=at, actor=by, kind=kind,
        public_note=public_note, internal_note=internal_note, satisfaction=satisfaction,
    )
    changes.changed(issue.village.town_id, timezone.localdate(issue.received_at), issue.village_id)
    return event


def _open_step(issue, *, level, at, calendar=None, **handler):
    step = Step.objects.create(
        issue=issue, level=level, opened_at=at, due_at=deadlines.due_at(level, at, calendar), **handler
    )
    issue.level = level
    issue.current_step = step
    issue.due_at = step.due_at
    return step


def _end_step(step, *, outcome, by, at, note=""):
    step.ended_at = at
    step.ended_by = by
    step.outcome = outcome
    step.on_time = at <= step.due_at
    step.note = note
    step.save(update_fields=["ended_at", "ended_by", "outcome", "on_time", "note"])


def _save(issue, *fields):
    issue.save(update_fields=list(fields))


def received_at_refusal(received_at, now):
    """Why a time received cannot be taken (in the future, or more than a year back), or None."""
    if received_at > now:
        return _("The time received cannot be in the future.")
    if received_at < now - MAX_BACKDATING:
        return _("The time received cannot be more than a year ago.")
    return None


@transaction.atomic
def register(
    *, by, village, category, title, description, source, reporter_name, reporter_phone,
    household=None, visit=None, received_at=None, photos=(),
):
    """Register a resident's issue, with any photos taken of the problem: `by` becomes its first
    responder; the village's team handles its first step. Registering from a visit clears the
    visit's follow-up flag. Photos must decode as images (`images.accept`)."""
    now = timezone.now()
    received_at = received_at or now
    errors = texts.errors(
        title=(title, TITLE), description=(description, DESCRIPTION), reporter_name=(reporter_name, REPORTER_NAME)
    )
    if refusal := received_at_refusal(received_at, now):
        errors["received_at"] = refusal
    for field, value, message in (
        ("title", title, _("Give the issue a short title.")),
        ("description", description, _("Describe what the resident raised.")),
        ("reporter_name", reporter_name, _("Give the resident's name.")),
        ("reporter_phone", reporter_phone, _("Give the resident's phone number, so they can be answered.")),
    ):
        if not (value or "").strip():
            errors[field] = message
    reporter_phone = normalize_phone(reporter_phone)
    if "reporter_phone" not in errors:
        try:
            validate_phone(reporter_phone)
        except ValidationError as error:
            errors["reporter_phone"] = error.messages
    if source not in Issue.Source.values:
        errors["source"] = _("Choose where the issue came from.")
    if household is not None and household.village_id != village.pk:
        errors["household"] = _("The household is not in this village.")
    if visit is not None and visit.village_id != village.pk:
        errors["visit"] = _("The visit was not in this village.")
    try:
        photos = images.accept(photos)
    except ValidationError as error:
        errors["photos"] = error.messages
    if errors:
        raise ValidationError(errors)
    if not registrable_villages(by).filter(pk=village.pk).exists():
        raise PermissionDenied(_("You may not register issues for this village."))
    team_id = Village.objects.filter(pk=village.pk).values_list("team__pk", flat=True).first()
    if team_id is None:
        raise ValidationError({"village": _("This village has no team to handle the issue.")})
    issue = Issue.objects.create(
        title=title.strip(), description=description.strip(), category=category, source=source,
        village=village, household=household, visit=visit, reporter_name=reporter_name.strip(),
        reporter_phone=reporter_phone, first_responder=by, received_at=received_at,
    )
    _open_step(issue, level=Level.VILLAGE, at=received_at, team_id=team_id)
    _save(issue, "level", "current_step", "due_at")
    _event(issue, kind=Event.Kind.REGISTERED, by=by, at=received_at)
    Photo.objects.bulk_create(Photo(issue=issue, image=f) for f in photos)
    if visit is not None and visit.needs_follow_up:
        Visit.objects.filter(pk=visit.pk).update(needs_follow_up=False)
        visit.needs_follow_up = False
    return issue


_CLOSED = gettext_lazy("This issue is already %(status)s; it can no longer be changed this way.")


@transaction.atomic
def add_progress(*, issue, by, note, internal_note="", seen_step=None):
    note = (note or "").strip()
    internal_note = (internal_note or "").strip()
    if not note and not internal_note:
        raise ValidationError({"note": _("Write what was done.")})
    texts.check(note=(note, PROGRESS_NOTE), internal_note=(internal_note, INTERNAL_NOTE))
    locked = _lock(issue, seen_step)
    _check(locked, by, "progress", _CLOSED)
    event = _event(locked, kind=Event.Kind.PROGRESS, by=by, at=timezone.now(), public_note=note,
                   internal_note=internal_note)
    notifications.notify(issue=locked, event=event, user_ids=[locked.first_responder_id])
    _sync(issue, locked)
    return event


@transaction.atomic
def escalate(*, issue, by, reason, department=None, internal_note="", seen_step=None):
    """Village → the town office; town → one county department (吹哨报到)."""
    reason = _required(reason, "reason", _("Give the reason for escalating; it is kept on the timeline."))
    texts.check(reason=(reason, ESCALATION_REASON), internal_note=(internal_note, INTERNAL_NOTE))
    locked = _lock(issue, seen_step)
    if locked.level == Level.COUNTY and locked.status == Issue.Status.OPEN:
        raise TransitionNotAllowed(_("This issue is already with a county department; it cannot go higher."))
    _check(locked, by, "escalate", _CLOSED)
    town = locked.village.town
    if locked.level == Level.TOWN:
        if department is None:
            raise ValidationError({"department": _("Name the county department to call in (吹哨报到).")})
        if department.county_id != town.county_id:
            raise ValidationError({"department": _("Choose a department of this county.")})
    now = timezone.now()
    _end_step(locked.current_step, outcome=Step.Outcome.ESCALATED, by=by, at=now, note=reason)
    if locked.level == Level.VILLAGE:
        kind = Event.Kind.ESCALATED_TOWN
        new_step = _open_step(locked, level=Level.TOWN, at=now, town_id=town.pk)
    else:
        kind = Event.Kind.ESCALATED_COUNTY
        new_step = _open_step(locked, level=Level.COUNTY, at=now, department_id=department.pk)
    _save(locked, "level", "current_step", "due_at")
    event = _event(locked, kind=kind, by=by, at=now, step=new_step, public_note=reason,
                   internal_note=(internal_note or "").strip())
    handlers = notifications.handler_user_ids([new_step])[new_step.pk]
    notifications.notify(issue=locked, event=event, user_ids=[locked.first_responder_id, *handlers])
    _sync(issue, locked)
    return event


def _finish(issue, *, by, action, status, outcome, kind, text, internal_note, seen_step):
    locked = _lock(issue, seen_step)
    _check(locked, by, action, _CLOSED)
    now = timezone.now()
    _end_step(locked.current_step, outcome=outcome, by=by, at=now, note=text)
    locked.status = status
    locked.result = text
    locked.ended_at = now
    _save(locked, "status", "result", "ended_at")
    event = _event(locked, kind=kind, by=by, at=now, public_note=text, internal_note=(internal_note or "").strip())
    notifications.notify(issue=locked, event=event, user_ids=[locked.first_responder_id])
    _sync(issue, locked)
    return event


@transaction.atomic
def resolve(*, issue, by, result, internal_note="", seen_step=None):
    result = _required(result, "result", _("Say how the issue was resolved; the resident will read it."))
    texts.check(result=(result, RESULT), internal_note=(internal_note, INTERNAL_NOTE))
    return _finish(issue, by=by, action="resolve", status=Issue.Status.RESOLVED, outcome=Step.Outcome.RESOLVED,
                   kind=Event.Kind.RESOLVED, text=result, internal_note=internal_note, seen_step=seen_step)


@transaction.atomic
def explain(*, issue, by, explanation, internal_note="", seen_step=None):
    """The issue cannot be solved: the reason is given to the resident (解释说明)."""
    explanation = _required(explanation, "explanation", _("Give the explanation the resident will read."))
    texts.check(explanation=(explanation, EXPLANATION), internal_note=(internal_note, INTERNAL_NOTE))
    return _finish(issue, by=by, action="explain", status=Issue.Status.EXPLAINED, outcome=Step.Outcome.EXPLAINED,
                   kind=Event.Kind.EXPLAINED, text=explanation, internal_note=internal_note,
                   seen_step=seen_step)


@transaction.atomic
def record_feedback(*, issue, by, note, seen_step=None):
    """The answer was given back to the resident (回音): the issue is closed."""
    note = _required(note, "note", _("Say how and when the resident was given the answer."))
    texts.check(note=(note, FEEDBACK_NOTE))
    locked = _lock(issue, seen_step)
    _check(locked, by, "feedback", _("Feedback is recorded once the issue is resolved or explained; it is %(status)s."))
    now = timezone.now()
    locked.status = Issue.Status.CLOSED
    locked.feedback_note = note
    locked.feedback_at = now
    _save(locked, "status", "feedback_note", "feedback_at")
    event = _event(locked, kind=Event.Kind.FEEDBACK, by=by, at=now, public_note=note)
    notifications.notify(issue=locked, event=event, user_ids=[locked.first_responder_id])
    _sync(issue, locked)
    return event


@transaction.atomic
def rate(*, issue, satisfaction, comment="", by=None, seen_step=None):
    """The resident's rating (by=None: on the public page; else a cadre recording it from a
    return visit). A dissatisfied rating of a resolved issue reopens it at its last level."""
    if satisfaction not in Issue.Satisfaction.values:
        raise ValidationError({"satisfaction": _("Choose satisfied, basically satisfied or dissatisfied.")})
    comment = (comment or "").strip()
    texts.check(comment=(comment, COMMENT))
    locked = _lock(issue, seen_step)
    if locked.status == Issue.Status.OPEN:
        raise TransitionNotAllowed(_("The issue is still being handled; it can be rated once it is answered."))
    if locked.satisfaction:
        raise TransitionNotAllowed(_("This answer has already been rated."))
    if by is not None:
        _check_permission(locked, by, "rate")
    now = timezone.now()
    locked.satisfaction = satisfaction
    locked.satisfaction_comment = comment
    locked.rated_at = now
    _save(locked, "satisfaction", "satisfaction_comment", "rated_at")
    event = _event(locked, kind=Event.Kind.RATED, by=by, at=now, public_note=comment, satisfaction=satisfaction)
    notifications.notify(issue=locked, event=event, user_ids=[locked.first_responder_id])
    if satisfaction == Issue.Satisfaction.DISSATISFIED and locked.current_step.outcome == Step.Outcome.RESOLVED:
        _reopen(locked, by=by, at=now)
    _sync(issue, locked)
    return event


def _reopen(issue, *, by, at):
    """重新办理: a new step at the level that resolved it; the rating stays on the timeline."""
    last = issue.current_step
    step = _open_step(issue, level=last.level, at=at, team_id=last.team_id, town_id=last.town_id,
                      department_id=last.department_id)
    issue.status = Issue.Status.OPEN
    issue.ended_at = None
    issue.result = ""
    issue.feedback_note = ""
    issue.feedback_at = None
    issue.satisfaction = ""
    issue.satisfaction_comment = ""
    issue.rated_at = None
    _save(issue, "status", "current_step", "due_at", "ended_at", "result", "feedback_note", "feedback_at",
          "satisfaction", "satisfaction_comment", "rated_at")
    event = _event(issue, kind=Event.Kind.REOPENED, by=by, at=at, step=step,
                   public_note=_("The resident was not satisfied; the issue is handled again."))
    handlers = notifications.handler_user_ids([step])[step.pk]
    notifications.notify(issue=issue, event=event, user_ids=[issue.first_responder_id, *handlers])
    return event


@transaction.atomic
def hand_over(*, issue, by, to, reason, seen_step=None):
    """Move the first responder's ownership to another member of the village's team, for
    example when the cadre leaves the team."""
    reason = _required(reason, "reason", _("Give the reason for the handover; it is kept on the timeline."))
    texts.check(reason=(reason, HANDOVER_REASON))
    locked = _lock(issue, seen_step)
    _check(locked, by, "handover", _CLOSED)
    if to.pk == locked.first_responder_id:
        raise ValidationError({"to": _("This person is already the first responder.")})
    team_id = locked.village.team.pk
    if not Membership.objects.active_on(timezone.localdate()).filter(team_id=team_id, user=to).exists():
        raise ValidationError({"to": _("The new first responder must be a member of the village's team.")})
    previous = locked.first_responder_id
    locked.first_responder = to
    _save(locked, "first_responder")
    event = _event(locked, kind=Event.Kind.HANDOVER, by=by, at=timezone.now(), public_note="",
                   internal_note=reason)
    notifications.notify(issue=locked, event=event, user_ids=[previous, to.pk])
    _sync(issue, locked)
    return event


def departments_for(issue):
    """The county departments this issue can be escalated to."""
    return Department.objects.filter(county__towns__villages=issue.village_id).order_by("name")
