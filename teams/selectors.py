"""Named reads for teams and liaison days."""

from django.db.models import Count, Q
from django.utils import timezone

from teams import scope
from teams.models import Department, LiaisonDay, Team, Town


def teams_of(user):
    """The active teams the user sees, with village, town and schedule loaded."""
    return (
        scope.visible(user, Team)
        .filter(is_active=True)
        .select_related("village__town__county", "schedule")
        .order_by("village__town__name", "village__name")
    )


def next_liaison_days(team_ids, today=None):
    """{team_id: the team's next liaison day that is not cancelled}, in one query."""
    today = today or timezone.localdate()
    days = LiaisonDay.objects.filter(
        team__in=team_ids, date__gte=today, status=LiaisonDay.Status.SCHEDULED
    ).order_by("team_id", "date", "pk")
    result = {}
    for day in days:
        result.setdefault(day.team_id, day)
    return result


def with_next_day(teams):
    teams = list(teams)
    upcoming = next_liaison_days([t.pk for t in teams])
    for team in teams:
        team.next_day = upcoming.get(team.pk)
    return teams


def home_sections(user):
    """What the home page shows for each of the user's positions."""
    s = scope.scope_for(user)
    sections = {"scope": s}
    if s.member_team_ids:
        sections["my_teams"] = with_next_day(teams_of(user).filter(pk__in=s.member_team_ids))
    if s.office_town_ids:
        sections["office_towns"] = list(Town.objects.filter(pk__in=s.office_town_ids).order_by("name"))
        sections["town_teams"] = with_next_day(teams_of(user).filter(village__town__in=s.office_town_ids))
    if s.org_county_ids:
        sections["county_towns"] = list(
            Town.objects.filter(county__in=s.org_county_ids)
            .annotate(
                team_count=Count("villages__team", filter=Q(villages__team__is_active=True)),
                village_count=Count("villages", distinct=True),
            )
            .order_by("name")
        )
    if s.department_ids:
        sections["departments"] = list(Department.objects.filter(pk__in=s.department_ids))
    return sections
