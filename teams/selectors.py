"""Named reads for teams and liaison days."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from teams import scope
from teams.models import (
    Attendance,
    AttendanceChange,
    Department,
    LiaisonDay,
    Membership,
    Role,
    Team,
    Town,
    counted,
    present,
)


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
    sections = {"has_position": scope.scope_for(user).has_position}
    if teams := scope.member_teams(user):
        sections["my_teams"] = with_next_day(teams_of(user).filter(pk__in=teams))
        for team in sections["my_teams"]:
            team.is_leader = scope.leads(user, team.pk)
    if towns := scope.office_towns(user):
        sections["office_towns"] = list(Town.objects.filter(pk__in=towns).order_by("name"))
        sections["town_teams"] = with_next_day(teams_of(user).filter(village__town__in=towns))
    if counties := scope.org_counties(user):
        sections["county_towns"] = list(
            Town.objects.filter(county__in=counties)
            .annotate(
                team_count=Count("villages__team", filter=Q(villages__team__is_active=True)),
                village_count=Count("villages", distinct=True),
            )
            .order_by("name")
        )
    if departments := scope.departments(user):
        sections["departments"] = list(Department.objects.filter(pk__in=departments))
    return sections


def my_liaison_days(user, today=None, weeks=5):
    """For each of the user's teams: today's liaison day, the coming ones, the past ones
    whose sheet may still be corrected, and the user's own attendance row on each, in three
    queries."""
    today = today or timezone.localdate()
    teams = list(
        Team.objects.filter(pk__in=scope.member_teams(user), is_active=True)
        .select_related("village__town")
        .order_by("village__name")
    )
    since = today - timedelta(days=settings.ATTENDANCE_EDIT_DAYS)
    days = list(
        LiaisonDay.objects.filter(team__in=teams, date__range=(since, today + timedelta(weeks=weeks))).order_by(
            "date", "pk"
        )
    )
    mine = {a.liaison_day_id: a for a in Attendance.objects.filter(liaison_day__in=days, member=user)}
    for day in days:
        day.my_attendance = mine.get(day.pk)
    for team in teams:
        team.is_leader = scope.leads(user, team.pk)
        team_days = [d for d in days if d.team_id == team.pk]
        team.today = next((d for d in team_days if d.date == today), None)
        team.coming = [d for d in team_days if d.date > today and not d.is_cancelled][:4]
        # Sheets the leader may still correct.
        team.recent = [d for d in team_days if d.date < today and not d.is_cancelled][::-1]
    return teams


def past_days(team, today=None, count=12):
    """The team's latest past liaison days, each with its sheet's present and counted rows
    (leave excepted), in one query: the team page's way back to its attendance sheets."""
    today = today or timezone.localdate()
    return list(
        LiaisonDay.objects.filter(team=team, date__lt=today)
        .annotate(
            present=Count("attendance", filter=present("attendance__")),
            counted=Count("attendance", filter=counted("attendance__")),
        )
        .order_by("-date")[:count]
    )


def sheet_totals(rows):
    """The sheet's counts by status, and its attendance rate as DESIGN.md counts it
    (`models.present` over `models.counted`, for rows at hand; None: nothing to count)."""
    counts = dict.fromkeys(Attendance.Status.values, 0)
    for row in rows:
        counts[row.status] += 1
    counted = len(rows) - counts[Attendance.Status.LEAVE]
    counts["rate"] = round(100 * counts[Attendance.Status.PRESENT] / counted) if counted else None
    return counts


def day_sheet(user, pk):
    """A liaison day the user sees, its attendance rows with each member's role, and the
    log of changes."""
    day = scope.visible(user, LiaisonDay).select_related("team__village__town").get(pk=pk)
    roles = dict(
        Membership.objects.active_on(day.date).filter(team=day.team_id).values_list("user_id", "role")
    )
    rows = list(Attendance.objects.filter(liaison_day=day).select_related("member", "updated_by").order_by(
        "member__name", "pk"
    ))
    for row in rows:
        row.role_display = Role(roles[row.member_id]).label if row.member_id in roles else ""
    day.totals = sheet_totals(rows)
    changes = list(
        AttendanceChange.objects.filter(attendance__liaison_day=day)
        .select_related("changed_by", "attendance__member")
        .order_by("-changed_at", "-pk")
    )
    return day, rows, changes
