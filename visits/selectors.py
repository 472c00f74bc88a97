"""Named reads for households, visits and coverage, with their related rows loaded inside."""

from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, Exists, F, Min, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from teams import scope
from teams.models import Attendance, AttendanceChange, LiaisonDay, Membership, Role, Team, Village
from visits.models import Household, HouseholdTag, Visit
from visits.scope import personal_data_q

VisitHousehold = Visit.households.through
VisitCadre = Visit.cadres.through
MASK_SHOWS_DIGITS = 4


def year_start(today=None):
    today = today or timezone.localdate()
    return date(today.year, 1, 1)


def visited_since(start):
    """Exists(a household visit to the outer household on or after `start`)."""
    return Exists(
        VisitHousehold.objects.filter(
            household=OuterRef("pk"), visit__kind=Visit.Kind.HOUSEHOLD, visit__date__gte=start
        )
    )


def working_villages(user):
    """Villages whose households and visits the user sees: their teams', their town
    office's, their organization department's county (all of them for administrators).
    Narrower than the reference tree every county worker sees."""
    s = scope.scope_for(user)
    if not s.is_authenticated:
        return Village.objects.none()
    return Village.objects.filter(s.village_q())


def last_household_visit():
    """The date of the outer household's last household visit: a subquery, so that a page
    of a long list computes it for its own rows only."""
    return Subquery(
        VisitHousehold.objects.filter(household=OuterRef("pk"), visit__kind=Visit.Kind.HOUSEHOLD)
        .order_by("-visit__date")
        .values("visit__date")[:1]
    )


def households_visible(user):
    return scope.visible(user, Household)


def search_households(queryset, text, *, user):
    """By name, address or the phone's last digits: any number of them in the villages whose
    numbers the user sees in full, elsewhere only the four the masked number shows."""
    text = (text or "").replace("\x00", "").strip()
    if not text:
        return queryset
    q = Q(head_name__contains=text) | Q(address__contains=text)
    if text.isascii() and text.isdigit():
        phone = Q(phone__endswith=text)
        if len(text) != MASK_SHOWS_DIGITS:
            phone &= personal_data_q(scope.scope_for(user), "village__")
        q |= phone
    return queryset.filter(q)


def household_list(user, *, village, text="", not_visited=False, tag="", active=True):
    """A village's households with their tags and last household-visit date."""
    households = households_visible(user).filter(village=village)
    if active:
        households = households.filter(is_active=True)
    households = search_households(households, text, user=user)
    if tag:
        households = households.filter(tags__code=tag)
    if not_visited:
        households = households.filter(~visited_since(year_start()))
    return (
        households.annotate(last_visit=last_household_visit())
        .prefetch_related(Prefetch("tags", queryset=HouseholdTag.objects.order_by("priority", "code")))
        .order_by("address", "pk")
    )


def household_detail(user, pk):
    return households_visible(user).select_related("village__town", "village__team").get(pk=pk)


def household_visits(household):
    return (
        household.visits.select_related("recorded_by", "team")
        .prefetch_related("cadres")
        .order_by("-date", "-pk")
    )


def villages_for_visits(user):
    """The villages whose teams the user may log visits for."""
    s = scope.scope_for(user)
    villages = Village.objects.filter(team__is_active=True).select_related("town", "team")
    if not s.is_admin:
        villages = villages.filter(team__in=s.member_team_ids)
    return villages.order_by("town__name", "name")


def team_members(team, day=None):
    day = day or timezone.localdate()
    return (
        Membership.objects.active_on(day).filter(team=team).select_related("user").order_by("start_date", "pk")
    )


def diary(user, *, team=None, village=None, kind="", cadre=None, date_after=None, date_before=None):
    """Visits the user sees, newest first, filtered."""
    visits = scope.visible(user, Visit)
    if team is not None:
        visits = visits.filter(team=team)
    if village is not None:
        visits = visits.filter(village=village)
    if kind:
        visits = visits.filter(kind=kind)
    if cadre is not None:
        visits = visits.filter(Exists(VisitCadre.objects.filter(visit=OuterRef("pk"), user=cadre)))
    if date_after:
        visits = visits.filter(date__gte=date_after)
    if date_before:
        visits = visits.filter(date__lte=date_before)
    return (
        visits.select_related("village", "team", "recorded_by")
        .prefetch_related("cadres", "households")
        .order_by("-date", "-pk")
    )


def visit_detail(user, pk):
    return (
        scope.visible(user, Visit)
        .select_related("village__town", "team", "recorded_by")
        .prefetch_related("cadres", "households__tags")
        .get(pk=pk)
    )


def coverage(user, *, villages=None, today=None):
    """Per village this year: active households, those with a household visit, the rate."""
    start = year_start(today)
    visible_villages = working_villages(user).filter(team__isnull=False)
    if villages is not None:
        visible_villages = visible_villages.filter(pk__in=villages)
    counts = coverage_counts(visible_villages, start)
    villages = visible_villages.select_related("town").order_by("town__name", "name")
    return [coverage_row(village, counts) for village in villages]


def coverage_counts(villages, start):
    """{village id: {"total": active households, "visited": those with a household visit since `start`}}."""
    totals = dict(
        Household.objects.filter(village__in=villages, is_active=True)
        .values("village")
        .annotate(n=Count("pk"))
        .values_list("village", "n")
    )
    visited = dict(
        VisitHousehold.objects.filter(
            visit__kind=Visit.Kind.HOUSEHOLD, visit__date__gte=start, household__is_active=True,
            household__village__in=villages,
        )
        .values("household__village")
        .annotate(n=Count("household", distinct=True))
        .values_list("household__village", "n")
    )
    return {village: {"total": total, "visited": visited.get(village, 0)} for village, total in totals.items()}


def coverage_row(village, counts):
    row = counts.get(village.pk, {"total": 0, "visited": 0})
    rate = row["visited"] / row["total"] if row["total"] else None
    return {"village": village, "total": row["total"], "visited": row["visited"], "rate": rate}


def not_visited(user, *, village, today=None):
    """Active households with no household visit this year, priority tags first."""
    return (
        households_visible(user)
        .filter(village=village, is_active=True)
        .filter(~visited_since(year_start(today)))
        .annotate(priority=Min("tags__priority"))
        .prefetch_related(Prefetch("tags", queryset=HouseholdTag.objects.order_by("priority", "code")))
        .order_by(F("priority").asc(nulls_last=True), "address", "pk")
    )


def team_of(village):
    return Team.objects.filter(village=village).first()


def my_liaison_days(user, today=None, weeks=5):
    """For each of the user's teams: today's liaison day, the coming ones, the past ones
    whose sheet may still be corrected, and the user's own attendance row on each, in three
    queries."""
    today = today or timezone.localdate()
    s = scope.scope_for(user)
    teams = list(
        Team.objects.filter(pk__in=s.member_team_ids, is_active=True)
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
        team.is_leader = team.pk in s.leader_team_ids
        team_days = [d for d in days if d.team_id == team.pk]
        team.today = next((d for d in team_days if d.date == today), None)
        team.coming = [d for d in team_days if d.date > today and not d.is_cancelled][:4]
        # Sheets the leader may still correct.
        team.recent = [d for d in team_days if d.date < today and not d.is_cancelled][::-1]
    return teams


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
    changes = list(
        AttendanceChange.objects.filter(attendance__liaison_day=day)
        .select_related("changed_by", "attendance__member")
        .order_by("-changed_at", "-pk")
    )
    return day, rows, changes
