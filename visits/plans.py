"""Named reads of the stored visit plan (visits/planner.py) for the pages: a member's coming day,
a liaison day's plan by member, and the members and villages at risk, within the user's scope.
A household visited since the plan was made drops out at once, before the plan is recomputed."""

from datetime import date

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Sum
from django.utils import timezone

from teams import scope
from teams.models import Attendance, Membership
from visits.models import HouseholdTag, MemberPlan, PlannedVisit, Visit
from visits.planner import quarter
from visits.scope import assignment_watchers

# The villages the plan page lists, most at risk first.
VILLAGES_SHOWN = 30


def _visited_since_planned(today):
    """A household visit recorded after the plan was made, dated this quarter: what the plan asks
    of any household it lists (one visited earlier is planned again by the next recompute)."""
    return Exists(Visit.households.through.objects.filter(
        household=OuterRef("household_id"), visit__kind=Visit.Kind.HOUSEHOLD,
        visit__date__gte=date(today.year, quarter(today) * 3 + 1, 1),
        visit__recorded_at__gt=OuterRef("membership__plan__computed_at")))


def _planned(user, **filters):
    return (
        scope.visible(user, PlannedVisit).filter(**filters).exclude(_visited_since_planned(timezone.localdate()))
        .select_related("household")
        .prefetch_related(Prefetch("household__tags", queryset=HouseholdTag.objects.order_by("priority", "code")))
        .order_by("date", "membership", "position")
    )


def my_plans(user, today=None):
    """The user's plans in the teams they are a member of today, each with `day` (its coming
    planned liaison day) and `homes` (that day's households still to visit): three queries."""
    today = today or timezone.localdate()
    plans = list(
        scope.visible(user, MemberPlan).filter(membership__user=user)
        .filter(membership__in=Membership.objects.active_on(today).filter(user=user))
        .select_related("team__village").order_by("team__village__name", "pk")
    )
    if not plans:
        return []
    coming = {}
    for row in _planned(user, membership__in=[p.membership_id for p in plans], date__gte=today):
        day, homes = coming.setdefault(row.membership_id, (row.date, []))
        if row.date == day:
            homes.append(row)
    for p in plans:
        p.day, p.homes = coming.get(p.membership_id, (None, []))
    return plans


def day_plan(user, day):
    """The liaison day's plan by member of its team: [{member, plan, homes, on_leave}], every
    member with a plan, those with households planned that day first. Four queries."""
    plans = list(scope.visible(user, MemberPlan).filter(team=day.team_id).select_related("membership__user"))
    homes = {}
    for row in _planned(user, team=day.team_id, date=day.date):
        homes.setdefault(row.membership_id, []).append(row)
    leave = set(Attendance.objects.filter(liaison_day=day, status=Attendance.Status.LEAVE)
                .values_list("member_id", flat=True))
    rows = [{"member": p.membership.user, "plan": p, "homes": homes.get(p.membership_id, []),
             "on_leave": p.membership.user_id in leave} for p in plans]
    return sorted(rows, key=lambda r: (not r["homes"], r["member"].name, r["member"].pk))


def watched_plans(user):
    """The plans of the members the user watches (their team, town, county): none for a member."""
    return scope.visible(user, MemberPlan).filter(assignment_watchers(scope.scope_for(user)).q("team__village__"))


def members_at_risk(user):
    return (watched_plans(user).filter(at_risk__gt=0)
            .select_related("membership__user", "team__village__town").order_by("-at_risk", "pk"))


def villages_at_risk(user):
    """Per village: its members planned, households, those not visited this year, and those at
    risk (the members' sum), villages with any at risk, most first."""
    return (
        watched_plans(user).values("team", "team__village__name", "team__village__town__name")
        .annotate(members=Count("pk"), homes=Sum("households"), unvisited=Sum(F("households") - F("visited")),
                  risk=Sum("at_risk"), members_at_risk=Count("pk", filter=Q(at_risk__gt=0)))
        .filter(risk__gt=0).order_by("-risk", "team")
    )
