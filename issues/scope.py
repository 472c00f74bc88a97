"""Who sees and who acts on the ledger.

An issue is seen by its first responder, by the team of its village (and that team's town
office and organization department), and by every department it was escalated to. It is
changeable by its first responder and by whoever handles its current step; which action each
of them may take is decided in `services`."""

from django.db.models import Q

from issues.models import Category, DeadlineAlert, Event, Issue, Notification, Photo, Step
from teams import scope


def issue_visible_q(s, prefix=""):
    q = Q(**{f"{prefix}first_responder_id": s.user_id}) | s.village_q(f"{prefix}village__")
    if s.department_ids:
        q |= Q(**{f"{prefix}pk__in": Step.objects.filter(department__in=s.department_ids).values("issue_id")})
    return q


def issue_changeable_q(s):
    return (
        Q(first_responder_id=s.user_id)
        | Q(current_step__team__in=s.member_team_ids)
        | Q(current_step__town__in=s.office_town_ids)
        | Q(current_step__department__in=s.department_ids)
    )


def _through_issue(s, qs):
    return qs.filter(issue__in=Issue.objects.filter(issue_visible_q(s)).values("pk"))


def _none(s, qs):
    return qs.none()


scope.register(Category, visible=lambda s, qs: qs, changeable=_none)
scope.register(
    Issue,
    visible=lambda s, qs: qs.filter(issue_visible_q(s)),
    changeable=lambda s, qs: qs.filter(issue_changeable_q(s)),
)
scope.register(Step, visible=_through_issue, changeable=_none)
scope.register(Event, visible=_through_issue, changeable=_none)
scope.register(Photo, visible=_through_issue, changeable=_none)
scope.register(
    DeadlineAlert,
    visible=lambda s, qs: qs.filter(step__issue__in=Issue.objects.filter(issue_visible_q(s)).values("pk")),
    changeable=_none,
)
scope.register(
    Notification,
    visible=lambda s, qs: qs.filter(user_id=s.user_id),
    changeable=lambda s, qs: qs.filter(user_id=s.user_id),
)
