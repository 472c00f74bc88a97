"""Inspections (督查): the organization department's unannounced checks of teams on their
liaison days, and the criticism notices (通报批评) that may follow.

Nothing tells a team before an inspection is recorded: recording one notifies nobody. Who sees
them: the organization department all of its county's, a team's leader and its town office
their own; a member named in a criticism notice sees that notice (`notices_for`); a county
department sees none. Only the organization department records, corrects and deletes them, and
not once a published assessment round has used them (`Frozen`, 409; the database refuses it too,
reports/migrations/*_assessment_audit.py)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import texts
from core.web import Conflict
from reports import scope as reports_scope
from reports.models import AssessmentRound, Inspection
from teams import scope
from teams.models import LiaisonDay, Membership

INSPECTORS = texts.Bound.of(Inspection, "inspectors", gettext_lazy("Inspectors"))
FINDINGS = texts.Bound(2000, gettext_lazy("Findings"))
CRITICISM = texts.Bound(2000, gettext_lazy("Criticism notice"))
CHECKLIST = ("team_present", "notice_posted", "log_kept", "ledger_up_to_date")


class Frozen(Conflict):
    """The change is not allowed in the object's current state (409); `message` is for the user."""


def inspections(user):
    """The inspections the user sees, newest first, with what their list shows."""
    return (
        scope.visible(user, Inspection).select_related("team__village__town")
        .prefetch_related("criticised").order_by("-date", "-pk")
    )


def notices_for(user):
    """The criticism notices naming the user, newest first."""
    return (
        Inspection.objects.filter(criticised=user).exclude(criticism="")
        .select_related("team__village__town").order_by("-date", "-pk")
    )


def notices(user):
    """The criticism notices the user sees: those in their scope and those naming them."""
    seen = scope.visible(user, Inspection).values("pk")
    return (
        Inspection.objects.exclude(criticism="").filter(Q(pk__in=seen) | Q(criticised=user)).distinct()
        .select_related("team__village__town").prefetch_related("criticised").order_by("-date", "-pk")
    )


def inspection_for(user, pk):
    """The inspection if the user sees it (or is named in its notice), else None."""
    return (
        Inspection.objects.filter(Q(pk__in=scope.visible(user, Inspection).values("pk")) | Q(criticised=user), pk=pk)
        .select_related("team__village__town", "liaison_day", "recorded_by")
        .prefetch_related("absent_members", "criticised").distinct().first()
    )


def team_members(team, day):
    """The team's members on `day`: whom an inspection may name absent or criticise."""
    return list(
        Membership.objects.active_on(day).filter(team=team).select_related("user").order_by("user__name", "user_id")
    )


def used_by_published_round(inspection):
    return inspection.results.filter(round__status=AssessmentRound.Status.PUBLISHED).exists()


def _deduction(value):
    """Points to deduct: a number from 0 to the maximum, to one decimal place."""
    limit = settings.INSPECTION_MAX_DEDUCTION
    try:
        points = Decimal(str(value if value not in (None, "") else 0)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise ValidationError({"deduction": _("Enter the points deducted as a number.")}) from None
    if not points.is_finite() or points < 0 or points > limit:
        raise ValidationError({"deduction": _("Points deducted must be from 0 to %(limit)d.") % {"limit": limit}})
    return points


def _checked(*, by, team, date, inspectors, findings, deduction, criticism, absent_members, criticised):
    """The inspection's values once every rule has passed, or ValidationError naming each field refused."""
    if not reports_scope.manages(by, team.village.town.county_id):
        raise PermissionDenied(_("Only the county's organization department records inspections."))
    errors = texts.errors(inspectors=(inspectors, INSPECTORS), findings=(findings, FINDINGS),
                          criticism=(criticism, CRITICISM))
    if not (inspectors or "").strip():
        errors.setdefault("inspectors", _("Name the inspectors."))
    try:
        points = _deduction(deduction)
    except ValidationError as error:
        errors.update({k: v[0] for k, v in error.message_dict.items()})
        points = None
    day = None
    if date > timezone.localdate():
        errors["date"] = _("An inspection cannot be recorded for a day still to come.")
    else:
        day = LiaisonDay.objects.filter(team=team, date=date, status=LiaisonDay.Status.SCHEDULED).first()
        if day is None:
            errors["date"] = _("%(date)s was not a liaison day of %(team)s.") % {"date": date, "team": team.name}
    members = {m.user_id for m in Membership.objects.active_on(date).filter(team=team)}
    for field, chosen in (("absent_members", absent_members), ("criticised", criticised)):
        # Refused without naming anyone: an id outside the team may be any account's, of any county.
        if any(u.pk not in members for u in chosen):
            errors[field] = _("Choose only members of the team on that day.")
    if criticised and not (criticism or "").strip():
        errors["criticism"] = _("Write the criticism notice that names these members.")
    if errors:
        raise ValidationError(errors)
    return day, points


@transaction.atomic
def record(*, by, team, date, inspectors, findings="", deduction=0, criticism="", absent_members=(),
           criticised=(), **checklist):
    """Record an inspection of the team on its liaison day of `date`. Notifies nobody."""
    day, points = _checked(by=by, team=team, date=date, inspectors=inspectors, findings=findings,
                           deduction=deduction, criticism=criticism, absent_members=absent_members,
                           criticised=criticised)
    inspection = Inspection.objects.create(
        team=team, liaison_day=day, date=date, inspectors=inspectors.strip(), findings=(findings or "").strip(),
        deduction=points, criticism=(criticism or "").strip(), recorded_by=by,
        **{name: bool(checklist.get(name, True)) for name in CHECKLIST},
    )
    inspection.absent_members.set(absent_members)
    inspection.criticised.set(criticised)
    return inspection


def _lock(inspection, by):
    if not scope.changeable(by, Inspection).filter(pk=inspection.pk).exists():
        raise PermissionDenied(_("Only the county's organization department changes inspections."))
    locked = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if used_by_published_round(locked):
        raise Frozen(_("A published assessment round has used this inspection: it can no longer be changed."))
    return locked


@transaction.atomic
def update(*, inspection, by, inspectors, findings="", deduction=0, criticism="", absent_members=(),
           criticised=(), **checklist):
    """Correct an inspection (its team and day stay): refused once a published round used it."""
    locked = _lock(inspection, by)
    _day, points = _checked(by=by, team=locked.team, date=locked.date, inspectors=inspectors, findings=findings,
                            deduction=deduction, criticism=criticism, absent_members=absent_members,
                            criticised=criticised)
    locked.inspectors, locked.findings = inspectors.strip(), (findings or "").strip()
    locked.deduction, locked.criticism = points, (criticism or "").strip()
    for name in CHECKLIST:
        setattr(locked, name, bool(checklist.get(name, True)))
    locked.save()
    locked.absent_members.set(absent_members)
    locked.criticised.set(criticised)
    return locked


@transaction.atomic
def delete(*, inspection, by):
    """Delete an inspection recorded in error: refused once a published round used it. Draft
    rounds that used it forget it (they are computed afresh anyway)."""
    locked = _lock(inspection, by)
    locked.results.clear()
    locked.delete()
