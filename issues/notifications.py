"""In-app notices: who hears about a change to an issue."""

from django.db.models import Count, Q, Window
from django.utils import timezone

from issues.models import Level, Notification
from teams.models import Membership, Position, Role


def handler_user_ids(steps):
    """{step_id: [user ids]} of the people who handle each step: the team's leaders for a
    village step, the town office for a town step, the department's staff for a county step."""
    steps = list(steps)
    team_ids = {s.team_id for s in steps if s.level == Level.VILLAGE}
    town_ids = {s.town_id for s in steps if s.level == Level.TOWN}
    dept_ids = {s.department_id for s in steps if s.level == Level.COUNTY}
    by_team, by_town, by_department = {}, {}, {}
    if team_ids:
        for team_id, user_id in (
            Membership.objects.active_on(timezone.localdate())
            .filter(team__in=team_ids, role=Role.LEADER)
            .values_list("team_id", "user_id")
        ):
            by_team.setdefault(team_id, []).append(user_id)
    if town_ids or dept_ids:
        for kind, town_id, department_id, user_id in Position.objects.filter(
            Q(kind=Position.Kind.TOWN_OFFICE, town__in=town_ids)
            | Q(kind=Position.Kind.DEPARTMENT, department__in=dept_ids),
            is_active=True,
        ).values_list("kind", "town_id", "department_id", "user_id"):
            if kind == Position.Kind.TOWN_OFFICE:
                by_town.setdefault(town_id, []).append(user_id)
            else:
                by_department.setdefault(department_id, []).append(user_id)
    return {
        s.pk: by_team.get(s.team_id, []) if s.level == Level.VILLAGE
        else by_town.get(s.town_id, []) if s.level == Level.TOWN
        else by_department.get(s.department_id, [])
        for s in steps
    }


def notify(*, issue, event, user_ids, kind=None):
    """One notice per person concerned, never to the person who made the change."""
    recipients = {u for u in user_ids if u is not None and u != event.actor_id}
    Notification.objects.bulk_create(
        [Notification(user_id=u, issue=issue, event=event, kind=kind or event.kind) for u in sorted(recipients)]
    )
    return len(recipients)


def unread(user, limit=5):
    """The user's latest unread notices with the total unread count, in one query."""
    rows = list(
        Notification.objects.filter(user=user, read_at__isnull=True)
        .annotate(total=Window(Count("pk")))
        .select_related("issue")[:limit]
    )
    return rows, (rows[0].total if rows else 0)


def mark_read(*, user, notification_ids=None):
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())
