"""Who sees and who acts on the ledger.

An issue is seen by its first responder, by the team of its village (and that team's town
office and organization department), and by every department it was escalated to. Who may
take which action on it is decided in one place, `services.may`."""

from django.db.models import Q

from issues.models import Category, DeadlineAlert, Event, Issue, Notification, Photo, Step
from teams import scope


def issue_visible_q(s, prefix=""):
    """The issues the user sees: those they registered, those of their villages, those escalated
    to their departments. Each part is read through its own index and the ids gathered, so a
    cadre's ledger costs what the cadre sees; but a county's organization department sees
    nearly every issue, and checking each row as the table is read costs less than gathering
    them all."""
    others = [Issue.objects.filter(first_responder_id=s.user_id).values("pk")]
    if s.department_ids:
        others.append(Step.objects.filter(department__in=s.department_ids).values("issue_id"))
    villages = s.working_villages
    if s.org_county_ids:
        return villages.q(f"{prefix}village__") | Q(**{f"{prefix}pk__in": scope.union(others)})
    if not villages.is_empty:
        others.append(Issue.objects.filter(villages.q("village__")).values("pk"))
    return Q(**{f"{prefix}pk__in": scope.union(others)})


def handles_step(s, step):
    """Whether the user handles the issue at this step's level: its team, town office or department."""
    return s.handles(team_id=step.team_id, town_id=step.town_id, department_id=step.department_id)


def sees_personal_data(s, issue):
    """The resident's name and phone, and their household: only the people handling the issue
    at its current level and its first responder (and administrators); everyone else sees them
    masked. The same rule as for a household's phone and ID number (`Scope.handles`)."""
    step = issue.current_step
    return issue.first_responder_id == s.user_id or (step is not None and handles_step(s, step)) or s.is_admin


def _through_issue(s, qs):
    return qs.filter(issue_visible_q(s, "issue__"))


def _none(s, qs):
    return qs.none()


scope.register(Category, visible=lambda s, qs: qs, changeable=_none)
# An issue changes only through the ledger's services, whose rule is `services.may`.
scope.register(Issue, visible=lambda s, qs: qs.filter(issue_visible_q(s)), changeable=_none)
scope.register(Step, visible=_through_issue, changeable=_none)
scope.register(Event, visible=_through_issue, changeable=_none)
scope.register(Photo, visible=_through_issue, changeable=_none)
scope.register(
    DeadlineAlert,
    visible=lambda s, qs: qs.filter(issue_visible_q(s, "step__issue__")),
    changeable=_none,
)
scope.register(
    Notification,
    visible=lambda s, qs: qs.filter(user_id=s.user_id),
    changeable=lambda s, qs: qs.filter(user_id=s.user_id),
)
