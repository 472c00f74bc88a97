"""The metrics, as DESIGN.md defines them, computed set-based: one grouped query per metric over
the towns asked for (per team and local day), bucketed into every period in Python.

Each function returns contributions {(unit, unit_id, local day): {figure: count}}; `compute`
adds them into every week, month, quarter and year that holds the day. Higher units add their
members' numerators and denominators; rates are never averaged.

Where DESIGN.md leaves room, the reading taken is written beside the query."""

from bisect import bisect_left, bisect_right
from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Count, F, Q
from django.db.models.functions import Trunc
from django.utils import timezone

from issues.models import Issue, Level, overdue_q
from reports import periods as P
from reports.figures.registry import (
    ANSWERED,
    FIGURES,
    PRESENT,
    RESOLVED,
    SATISFIED,
    attendance_rows,
    judged_steps,
    local_day,
    member_periods,
    on_time,
    ratings,
)
from reports.figures.registry import aware as _aware
from reports.models import Unit
from teams.models import Team
from visits.models import Assignment, Household, Visit

VisitHousehold = Visit.households.through



class Scope:
    """The towns a computation covers, its days [first, last] and its moment `now`."""

    def __init__(self, towns, first, last, now):
        self.towns = list(towns)
        self.first, self.now = first, now
        self.today = timezone.localdate(now)
        self.last = min(last, self.today)
        self.teams = {
            row["pk"]: row for row in Team.objects.filter(village__town__in=self.towns).values(
                "pk", "village_id", town=F("village__town_id"))
        }
        self.team_of_village = {row["village_id"]: pk for pk, row in self.teams.items()}

    @property
    def start(self):
        return _aware(self.first)

    @property
    def end(self):
        """The first moment after the last day, or now if that is earlier."""
        return min(_aware(self.last + timedelta(days=1)), self.now)

    @property
    def horizon(self):
        return horizon(self.last)


def horizon(last):
    """The first moment after every period that holds the day `last`: a step due later in a
    period that holds today may have ended already, and counts for it. The year's end, or the
    end of an ISO week that runs into the next year (2026-W53 ends on 3 January 2027)."""
    return _aware(max(P.next_start(kind, P.start_of(kind, last)) for kind in P.KINDS))


def attendance(scope):
    rows = (
        attendance_rows(scope.first, scope.last, scope.today).filter(liaison_day__team__in=list(scope.teams))
        .values("liaison_day__team_id", "liaison_day__date")
        .annotate(num=Count("pk", filter=PRESENT), den=Count("pk"))
    )
    return {
        ((Unit.TEAM, r["liaison_day__team_id"]), r["liaison_day__date"]): {
            "attendance_num": r["num"], "attendance_den": r["den"]
        }
        for r in rows
    }


def _timely(steps, now):
    return (
        steps.values("level", "team_id", "town_id", "department_id", day=local_day("due_at"))
        .annotate(num=Count("pk", filter=on_time(now)), den=Count("pk"))
    )


def timeliness(scope):
    """A village step counts for its team (and through it the town and county), a town step
    for the town. County steps belong to departments: `department_timeliness`."""
    steps = judged_steps(scope.start, scope.horizon, scope.now).filter(
        issue__village__town__in=scope.towns, level__in=(Level.VILLAGE, Level.TOWN)
    )
    result = {}
    for r in _timely(steps, scope.now):
        unit = (Unit.TEAM, r["team_id"]) if r["level"] == Level.VILLAGE else (Unit.TOWN, r["town_id"])
        result[(unit, r["day"])] = {"timely_num": r["num"], "timely_den": r["den"]}
    return result


def department_timeliness(county, first, last, now):
    steps = judged_steps(_aware(first), horizon(min(last, timezone.localdate(now))), now).filter(
        department__county=county, level=Level.COUNTY
    )
    return {
        ((Unit.DEPARTMENT, r["department_id"]), r["day"]): {"timely_num": r["num"], "timely_den": r["den"]}
        for r in _timely(steps, now)
    }


def ledger(scope):
    """Resolution, feedback and satisfaction belong to the issue's village, whoever handled it.
    Resolution: issues received in the period, resolved now (or closed with a solution as the
    last answer; a reopened issue is open). Feedback: issues whose latest answer (`ended_at`)
    falls in the period, closed now. Satisfaction: each rating at the time it was given,
    including one that reopened its issue. Beside them: received, still open, overdue now."""
    result = defaultdict(lambda: defaultdict(int))
    issues = Issue.objects.filter(village__town__in=scope.towns)
    is_open = Q(status=Issue.Status.OPEN)
    received = (
        issues.filter(received_at__gte=scope.start, received_at__lt=scope.end)
        .values("village_id", day=local_day("received_at"))
        .annotate(
            den=Count("pk"), num=Count("pk", filter=RESOLVED), open=Count("pk", filter=is_open),
            overdue=Count("pk", filter=overdue_q(scope.now)),
        )
    )
    for r in received:
        cell = result[((Unit.TEAM, scope.team_of_village.get(r["village_id"])), r["day"])]
        cell["resolution_num"] += r["num"]
        cell["resolution_den"] += r["den"]
        cell["issues_received"] += r["den"]
        cell["issues_open"] += r["open"]
        cell["issues_overdue"] += r["overdue"]
    answered = (
        issues.filter(ended_at__gte=scope.start, ended_at__lt=scope.end)
        .values("village_id", day=local_day("ended_at"))
        .annotate(den=Count("pk"), num=Count("pk", filter=ANSWERED))
    )
    for r in answered:
        cell = result[((Unit.TEAM, scope.team_of_village.get(r["village_id"])), r["day"])]
        cell["feedback_num"] += r["num"]
        cell["feedback_den"] += r["den"]
    given = (
        ratings(scope.start, scope.end).filter(issue__village__town__in=scope.towns)
        .values("issue__village_id", day=local_day("at"))
        .annotate(den=Count("pk"), num=Count("pk", filter=SATISFIED))
    )
    for r in given:
        cell = result[((Unit.TEAM, scope.team_of_village.get(r["issue__village_id"])), r["day"])]
        cell["satisfaction_num"] += r["num"]
        cell["satisfaction_den"] += r["den"]
    return result


def visits(scope):
    rows = (
        Visit.objects.filter(team__in=list(scope.teams), date__range=(scope.first, scope.last))
        .values("team_id", "date", "kind")
        .annotate(n=Count("pk"))
    )
    result = defaultdict(lambda: defaultdict(int))
    for r in rows:
        result[((Unit.TEAM, r["team_id"]), r["date"])][f"visits_{r['kind']}"] += r["n"]
    return result


def coverage(scope, period_list):
    """Per team and period: households active at the period's end (its last day, or today for
    the current period: registered on or before it, not moved out before it), and those of
    them with at least one household visit in the period.

    The denominator comes from how many households each village registered and lost by each
    day; the numerator from one read of the team's household visits, each household counted
    once per period, and only if it was active at the period's end.

    The rule of the records behind it (registry: `active_households`, `visited_since`), counted
    in Python for every period at once: a query per period would read the visits again each time."""
    households = Household.objects.filter(village__town__in=scope.towns)
    result = defaultdict(lambda: defaultdict(int))
    registered = _by_day(households.values_list("village_id", "registered_on").annotate(n=Count("pk")))
    gone = _by_day(households.filter(moved_out_on__isnull=False).values_list("village_id", "moved_out_on")
                   .annotate(n=Count("pk")))
    for village_id, (days, totals) in registered.items():
        team = scope.team_of_village.get(village_id)
        gone_days, gone_totals = gone.get(village_id, ([], [0]))
        for period in period_list:
            end = min(period.end, scope.today)
            active = totals[bisect_right(days, end)] - gone_totals[bisect_left(gone_days, end)]
            result[((Unit.TEAM, team), period)]["coverage_den"] += active
    # One read of the town's household visits; the distinct households per period are counted
    # here, for every kind of period at once.
    visited = defaultdict(set)
    rows = VisitHousehold.objects.filter(
        visit__kind=Visit.Kind.HOUSEHOLD, visit__date__range=(scope.first, scope.last),
        visit__team__in=list(scope.teams),
    ).values_list("visit__team_id", "visit__date", "household_id", "household__registered_on",
                  "household__moved_out_on")
    kinds = {period.kind for period in period_list}
    wanted = set(period_list)
    periods_of = {}
    for team_id, day, household_id, registered_on, moved_out_on in rows:
        if day not in periods_of:
            periods_of[day] = [(p, min(p.end, scope.today)) for p in (P.of(kind, day) for kind in kinds) if p in wanted]
        for period, end in periods_of[day]:
            if registered_on <= end and (moved_out_on is None or moved_out_on >= end):
                visited[(team_id, period)].add(household_id)
    for (team_id, period), households_visited in visited.items():
        result[((Unit.TEAM, team_id), period)]["coverage_num"] += len(households_visited)
    return result


def member_coverage(scope, period_list):
    """{(team id, member's user id, Period): {coverage_num, coverage_den}} for the periods of
    `period_list` kept by member (`member_periods`): of the households assigned to the member in the
    team at the period's end (the assignment, its membership and the household's stay on the
    roll all holding that day), those with a household visit by the team in the period. A pair
    counts for both members. A member has a row in every such period ending (or holding today)
    after one of their assignments came into force (`grid.MEMBERS`, which the freshness tests hold
    equal to this)."""
    period_list = member_periods(period_list, scope.today)
    if not period_list:
        return {}
    first = min(p.start for p in period_list)
    ends = [(p, min(p.end, scope.today)) for p in period_list]
    rows = Assignment.objects.filter(membership__team__in=list(scope.teams)).values_list(
        "membership__team_id", "membership__user_id", "household_id", "start_date", "end_date",
        "membership__start_date", "membership__end_date", "household__registered_on", "household__moved_out_on")
    in_force = []
    for team_id, member_id, household_id, *days in rows:
        lo = max(days[0], days[2], days[4])
        hi = min((day for day in (days[1], days[3], days[5]) if day is not None), default=None)
        if lo <= scope.today and (hi is None or hi >= max(lo, first)):
            in_force.append((team_id, member_id, household_id, lo, hi))
    visits = defaultdict(list)
    for team_id, household_id, day in VisitHousehold.objects.filter(
        visit__kind=Visit.Kind.HOUSEHOLD, visit__date__range=(first, scope.today),
        visit__team__in=list(scope.teams),
    ).values_list("visit__team_id", "household_id", "visit__date"):
        visits[(team_id, household_id)].append(day)
    result = {}
    for team_id, member_id, household_id, lo, hi in in_force:
        days = visits.get((team_id, household_id), ())
        for period, end in ends:
            if lo > end:
                continue
            cell = result.setdefault((team_id, member_id, period), {"coverage_num": 0, "coverage_den": 0})
            if hi is None or hi >= end:
                cell["coverage_den"] += 1
                cell["coverage_num"] += any(period.start <= day <= end for day in days)
    return result


def _by_day(rows):
    """{village: (sorted days, running totals)} from (village, day, count) rows: totals[i] is
    the count of the days before days[i], so totals[bisect(days, d)] counts up to d."""
    counts = defaultdict(lambda: defaultdict(int))
    for village_id, day, n in rows:
        counts[village_id][day] += n
    result = {}
    for village_id, by_day in counts.items():
        days = sorted(by_day)
        totals = [0]
        for day in days:
            totals.append(totals[-1] + by_day[day])
        result[village_id] = (days, totals)
    return result


def _trunc(kind, field):
    return Trunc(field, kind, output_field=Household._meta.get_field("registered_on"))


def _as_date(value):
    return value.date() if isinstance(value, datetime) else value


def compute(scope, period_list, departments_of=None):
    """{(unit, unit_id, Period): {figure: count}} for the scope's teams and towns (and, given a
    county, its departments) in every period of `period_list`."""
    by_day = defaultdict(lambda: defaultdict(int))
    for part in (attendance(scope), timeliness(scope), ledger(scope), visits(scope)):
        for key, figures in part.items():
            for name, value in figures.items():
                by_day[key][name] += value
    if departments_of is not None:
        for key, figures in department_timeliness(departments_of, scope.first, scope.last, scope.now).items():
            for name, value in figures.items():
                by_day[key][name] += value
    kinds = {period.kind for period in period_list}
    wanted = set(period_list)
    cells = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for ((unit, unit_id), day), figures in by_day.items():
        if unit_id is None:  # a village without a team has nobody to count for
            continue
        for kind in kinds:
            period = P.of(kind, day)
            if period in wanted:
                cell = cells[(unit, unit_id, period)]
                for name, value in figures.items():
                    cell[name] += value
    for ((unit, unit_id), period), figures in coverage(scope, period_list).items():
        if period in wanted and unit_id is not None:
            cell = cells[(unit, unit_id, period)]
            for name, value in figures.items():
                cell[name] += value
    # Every team and town has a row for every period, empty or not; the town adds its teams.
    for team_id, team in scope.teams.items():
        for period in period_list:
            cells[(Unit.TEAM, team_id, period)]
            town = cells[(Unit.TOWN, team["town"], period)]
            for name, value in cells[(Unit.TEAM, team_id, period)].items():
                town[name] += value
    for town_id in scope.towns:
        for period in period_list:
            cells[(Unit.TOWN, town_id, period)]
    return cells
