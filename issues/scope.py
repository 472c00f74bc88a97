"""Who sees and who acts on the ledger.

An issue is seen by its first responder, by the team of its village (and that team's town
office and organization department), and by every department it was escalated to. Who may
take which action on it is decided in one place, `may`."""

from django.db.models import Q

from issues.models import Category, DeadlineAlert, Event, Issue, Level, Notification, Photo, Step
from teams import scope
from visits.scope import keeps_a_roll, roll_villages


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


def may(user, issue, action):
    """Whether the user's position lets them take this action on the issue (its current step
    loaded): the handler of the current step acts on it; the first responder may add notes,
    give the feedback, record a rating and escalate from the village; a team leader escalates
    to the town; the town office calls in a county department."""
    s = scope.scope_for(user)
    step = issue.current_step
    owner = user is not None and issue.first_responder_id == user.pk
    if s.is_admin:
        return True
    if action == "escalate" and step.level == Level.VILLAGE:
        return step.team_id in s.leader_team_ids or (owner and step.team_id in s.member_team_ids)
    if action in ("resolve", "explain", "escalate"):
        return handles_step(s, step)
    if action in ("progress", "feedback", "rate"):
        return owner or handles_step(s, step)
    if action == "handover":
        village = issue.village
        return owner or village.team.pk in s.leader_team_ids or village.town_id in s.office_town_ids
    raise ValueError(action)


def registrable_villages(user):
    """Villages the user may register issues for: those whose household roll they keep (their
    teams', their town office's), one rule with visits."""
    return roll_villages(user)


def may_register(user):
    """Whether the user registers issues at all: `registrable_villages`, without a query."""
    return keeps_a_roll(user)


def queues(user):
    """The units whose queue the user works, as (kind, ids) for `selectors.in_queue`: their
    teams, their town offices, their county departments."""
    s = scope.scope_for(user)
    return [(kind, ids) for kind, ids in (
        ("team", s.member_team_ids), ("town", s.office_town_ids), ("department", s.department_ids)) if ids]


def watches_county(user):
    """Whether the user watches a whole county's open issues: the organization department."""
    return bool(scope.scope_for(user).org_county_ids)


def works_town_queue(user):
    """Whether the user works a town's queue (what was escalated to the town): its office."""
    return bool(scope.scope_for(user).office_town_ids)


def works_department_queue(user):
    """Whether the user works a county department's queue (吹哨报到): its staff."""
    return bool(scope.scope_for(user).department_ids)


def searches_reporters(user):
    """Whether the user may find issues by the name that reported them (which tells who
    reported what): administrators only."""
    return scope.administers(user)


def _through_issue(s, qs):
    return qs.filter(issue_visible_q(s, "issue__"))


def _none(s, qs):
    return qs.none()


scope.register(Category, visible=lambda s, qs: qs, changeable=_none)
# An issue changes only through the ledger's services, whose rule is `may`.
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
