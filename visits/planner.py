"""The coverage planner (定点联系): each member's households not yet visited this year spread over
the liaison days the member has left in the year, priority households first and each of them at
least once a quarter, and how many households the member will miss at their pace so far.

`plan` and `at_risk` are plain functions of plain data (worked by hand in the tests); `refresh`
reads a set of teams' data in a few queries, plans every member and writes the stored plan
(`MemberPlan`, `PlannedVisit`) in one transaction. Visits are never checked against the plan:
a member logs a visit to any household, and the plan follows (visits/tasks.py).

Pace: households of the member visited this year (by anyone) per liaison day of the team held so
far this year (not cancelled, before today, since the member joined). At that pace the member
reaches `pace × days left` more households by the year's end (days left: the liaison days left,
today's included, less the member's leave); the rest are at risk ("按当前进度，年底将有 N 户未走访").
With no liaison day held yet there is no pace, and only households no day is left for are at
risk."""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from teams.models import Attendance, Holiday, LiaisonDay, Team
from teams.services import schedule_dates
from visits.assignments import address_key
from visits.models import Assignment, HouseholdTag, MemberPlan, PlannedVisit, Visit

# The tags that make a household a priority one (visited at least once a quarter): 低保, 独居老人,
# 困难党员, 残疾 (issue 23). 脱贫监测 and tags administrators add are not.
PRIORITY_TAGS = ("dibao", "elderly-alone", "party-member-difficulty", "disabled")
# The liaison days of each member kept with their households: the coming one, and the one after
# it, which stands until the night's plan if the coming day passes without a recompute.
STORED_DAYS = 2


@dataclass(frozen=True)
class Home:
    """A household of a member's list, as the planner sees it."""

    id: int
    priority: bool = False
    visited_this_year: bool = False
    visited_this_quarter: bool = False
    order: tuple = ()


@dataclass
class Plan:
    days: list = field(default_factory=list)  # [(date, [Home, …])], the member's days left in order
    unplaced: list = field(default_factory=list)  # priority visits of a quarter with no day left for them


def quarter(day):
    return (day.month - 1) // 3


def plan(homes, days, today):
    """Spread `homes` over `days` (the member's liaison days left in the year, leave excepted,
    from `today`): each priority household once in every quarter left (not in this one if it was
    visited this quarter), each other household not visited this year once. Every day takes an
    even share of the visits (the earlier days one more when they do not divide evenly); a
    quarter's priority visits take the first places of its days, the rest follow in address order
    so that neighbours fall on the same day."""
    days = sorted(days)
    homes = sorted(homes, key=lambda h: (h.order, h.id))
    this_quarter = quarter(today)
    priority = [h for h in homes if h.priority]
    due = defaultdict(list)  # quarter: priority homes due in it
    for q in range(this_quarter, 4):
        due[q] = [h for h in priority if not (q == this_quarter and h.visited_this_quarter)]
    rest = [h for h in homes if not h.priority and not h.visited_this_year]
    result = Plan(days=[(day, []) for day in days])
    if not days:
        result.unplaced = [h for q in sorted(due) for h in due[q]]
        return result
    in_quarter = {q: [i for i, day in enumerate(days) if quarter(day) == q] for q in due}
    result.unplaced = [h for q in sorted(due) if not in_quarter[q] for h in due[q]]
    total = sum(len(due[q]) for q in due if in_quarter[q]) + len(rest)
    share, extra = divmod(total, len(days))
    quota = [share + (i < extra) for i in range(len(days))]
    for q in sorted(due):
        if in_quarter[q]:
            _fill(result.days, quota, in_quarter[q], due[q])
    _fill(result.days, quota, range(len(days)), rest)
    return result


def _fill(slots, quota, indexes, homes):
    """Homes into the slots at `indexes` in order, each up to its quota; what does not fit goes
    round the same slots one by one."""
    indexes, pending = list(indexes), list(homes)
    for i in indexes:
        room = quota[i] - len(slots[i][1])
        if room > 0:
            slots[i][1].extend(pending[:room])
            pending = pending[room:]
    for n, home in enumerate(pending):
        slots[indexes[n % len(indexes)]][1].append(home)


def at_risk(*, households, visited, days_held, days_left):
    """Households that, at the member's pace so far, will not be visited by the year's end (see
    the module's note), and the pace (households a liaison day, None without one held)."""
    unvisited = households - visited
    if days_held <= 0:
        return (unvisited if days_left <= 0 else 0), None
    pace = visited / days_held
    return max(0, math.ceil(unvisited - pace * days_left - 1e-9)), pace


# Reading and storing a set of teams' plans.


def year_end(today):
    return date(today.year, 12, 31)


def liaison_days_left(teams, today):
    """{team id: (the team's liaison days held this year before today, [the dates left this
    year, today's included])}: the days generated (not cancelled, rescheduled ones on their new
    date), then, past the last one generated, the schedule's dates less public holidays, as the
    generation will make them. A make-up working day (调休) adds no liaison day: the schedule
    names a weekday, and the generation keeps to it."""
    first, last = date(today.year, 1, 1), year_end(today)
    held, left, generated = defaultdict(list), defaultdict(list), {}
    rows = LiaisonDay.objects.filter(team__in=[t.pk for t in teams], scheduled_date__lte=last).filter(
        date__range=(first, last)).values_list("team_id", "date", "scheduled_date", "status")
    for team_id, day, scheduled, status in rows:
        generated[team_id] = max(scheduled, generated.get(team_id, scheduled))
        if status == LiaisonDay.Status.CANCELLED:
            continue
        (held if day < today else left)[team_id].append(day)
    holidays = set(Holiday.objects.filter(kind=Holiday.Kind.HOLIDAY, date__range=(today, last))
                   .values_list("date", flat=True))
    result = {}
    for team in teams:
        schedule = getattr(team, "schedule", None)
        dates = left[team.pk]
        start = max(today, generated[team.pk] + timedelta(days=1)) if team.pk in generated else today
        if schedule is not None and team.is_active:
            dates += [day for day in schedule_dates(schedule, team.village.town.county, start, last)
                      if day not in holidays]
        result[team.pk] = (sorted(held[team.pk]), sorted(set(dates)))
    return result


# Each member's households assigned today, read in one statement over a set of teams: a row per
# member with its counts (household id NULL), and a row per household the plan places (a priority
# one, or one not visited this year); the households the plan leaves alone (the bulk, late in
# the year) never leave the database. Visits are read by village and date (an index) and grouped
# once, not looked up household by household.
HOMES = """
WITH visited AS MATERIALIZED (
    SELECT vh.household_id, max(v.date) AS last
    FROM visits_visit v JOIN visits_visit_households vh ON vh.visit_id = v.id
    WHERE v.village_id = ANY(%(villages)s) AND v.kind = 'household' AND v.date BETWEEN %(first)s AND %(today)s
    GROUP BY vh.household_id
), homes AS MATERIALIZED (
    SELECT a.membership_id, m.team_id, m.user_id, m.start_date AS joined, h.id, h.address,
           -- A household visited this quarter needs no visit before the next: its tags matter only
           -- if a quarter is left after this one.
           CASE WHEN visited.last >= %(quarter)s AND %(last_quarter)s THEN false
                ELSE EXISTS (SELECT 1 FROM visits_household_tags ht WHERE ht.household_id = h.id
                             AND ht.householdtag_id = ANY(%(tags)s)) END AS priority,
           visited.last
    FROM visits_household h
    JOIN visits_assignment a ON a.household_id = h.id
    JOIN teams_membership m ON m.id = a.membership_id
    LEFT JOIN visited ON visited.household_id = h.id
    WHERE h.village_id = ANY(%(villages)s) AND h.is_active
      AND a.membership_id IN (SELECT id FROM teams_membership WHERE team_id = ANY(%(teams)s))
      AND a.start_date <= %(today)s AND (a.end_date IS NULL OR a.end_date >= %(today)s)
      AND m.start_date <= %(today)s AND (m.end_date IS NULL OR m.end_date >= %(today)s)
)
SELECT membership_id, team_id, user_id, joined, NULL, NULL, NULL, NULL,
       count(*), count(last), count(*) FILTER (WHERE priority AND (last IS NULL OR last < %(quarter)s))
FROM homes GROUP BY membership_id, team_id, user_id, joined
UNION ALL
SELECT membership_id, NULL, NULL, NULL, id, address, priority, last, NULL, NULL, NULL
FROM homes WHERE priority OR last IS NULL
"""


@dataclass
class Member:
    membership: int
    team: int
    user: int
    joined: date
    households: int
    visited: int
    priority_due: int
    homes: list = field(default_factory=list)


def _members(teams, today):
    """[Member] of `teams` with households assigned today, each with the Homes the plan places."""
    this_quarter = date(today.year, quarter(today) * 3 + 1, 1)
    members, homes = {}, defaultdict(list)
    for membership, team, user, joined, household, address, priority, last, total, visited, due in _rows(
            teams, today):
        if household is None:
            members[membership] = Member(membership, team, user, joined, total, visited, due)
        else:
            homes[membership].append(Home(
                id=household, priority=bool(priority), visited_this_year=last is not None,
                visited_this_quarter=last is not None and last >= this_quarter, order=tuple(address_key(address))))
    for membership, member in members.items():
        member.homes = homes[membership]
    return list(members.values())


def _rows(teams, today):
    """HOMES's rows for `teams`: on PostgreSQL its statement, elsewhere (the demo's SQLite) the
    ORM, a household at a time."""
    tags = list(HouseholdTag.objects.filter(code__in=PRIORITY_TAGS).values_list("pk", flat=True))
    this_quarter = date(today.year, quarter(today) * 3 + 1, 1)
    if connection.vendor != "postgresql":
        return list(_rows_by_orm(teams, today, tags, this_quarter))
    params = {"tags": tags, "villages": [t.village_id for t in teams], "teams": [t.pk for t in teams],
              "first": date(today.year, 1, 1), "today": today, "quarter": this_quarter,
              "last_quarter": quarter(today) == 3}
    with connection.cursor() as cursor:
        # A town's statement reads its share of the tables by index in tens of milliseconds. Left to
        # itself PostgreSQL compiled it (JIT, ten times as long as running it) and scanned the whole
        # visit-household table for a town's 20,000 rows (random reads costed as on a spinning disk).
        cursor.execute("SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0; "
                       "SET LOCAL random_page_cost = 1.1")
        cursor.execute(HOMES, params)
        return cursor.fetchall()


def _rows_by_orm(teams, today, tags, this_quarter):
    last = (Visit.households.through.objects.filter(
        household=OuterRef("household_id"), visit__kind=Visit.Kind.HOUSEHOLD,
        visit__date__range=(date(today.year, 1, 1), today)).order_by("-visit__date").values("visit__date")[:1])
    rows = (
        Assignment.objects.active_on(today)
        .filter(membership__team__in=[t.pk for t in teams], household__is_active=True)
        .annotate(last=Subquery(last),
                  priority=Exists(HouseholdTag.objects.filter(pk__in=tags, households=OuterRef("household_id"))))
        .values_list("membership_id", "membership__team_id", "membership__user_id", "membership__start_date",
                     "household_id", "household__address", "priority", "last")
    )
    counts = {}
    for membership, team, user, joined, household, address, priority, visited_on in rows:
        if visited_on is not None and visited_on >= this_quarter and quarter(today) == 3:
            priority = False  # as HOMES: not due again this year
        count = counts.setdefault(membership, [team, user, joined, 0, 0, 0])
        count[3] += 1
        count[4] += visited_on is not None
        count[5] += priority and (visited_on is None or visited_on < this_quarter)
        if priority or visited_on is None:
            yield membership, None, None, None, household, address, priority, visited_on, None, None, None
    for membership, (team, user, joined, total, visited, due) in counts.items():
        yield membership, team, user, joined, None, None, None, None, total, visited, due


def _leave(teams, today):
    """{(team id, user id): {dates on leave}} from today to the year's end."""
    rows = Attendance.objects.filter(
        liaison_day__team__in=[t.pk for t in teams], status=Attendance.Status.LEAVE,
        liaison_day__date__range=(today, year_end(today)),
    ).values_list("liaison_day__team_id", "member_id", "liaison_day__date")
    leave = defaultdict(set)
    for team, user, day in rows:
        leave[team, user].add(day)
    return leave


def compute(teams, today):
    """The plans of the members of `teams` (with their schedule and county loaded): the rows of
    MemberPlan and of PlannedVisit, as tuples in the order of PLAN_COLUMNS and VISIT_COLUMNS."""
    days = liaison_days_left(teams, today)
    leave = _leave(teams, today)
    now = timezone.now()
    plans, visits = [], []
    for m in _members(teams, today):
        held, left = days[m.team]
        mine = [day for day in left if day not in leave[m.team, m.user]]
        result = plan(m.homes, mine, today)
        risk, pace = at_risk(households=m.households, visited=m.visited,
                             days_held=sum(day >= m.joined for day in held), days_left=len(mine))
        upcoming = [(day, planned) for day, planned in result.days if planned]
        next_date, next_count = (upcoming[0][0], len(upcoming[0][1])) if upcoming else (None, 0)
        plans.append((m.membership, m.team, m.households, m.visited, m.priority_due, len(mine), next_date,
                      next_count, risk, pace, now))
        for day, planned in upcoming[:STORED_DAYS]:
            visits += [(m.membership, m.team, day, h.id, h.priority, n) for n, h in enumerate(planned)]
    return plans, visits


PLAN_COLUMNS = [("membership_id", "int"), ("team_id", "int"), ("households", "int"), ("visited", "int"),
                ("priority_due", "int"), ("days_left", "int"), ("next_date", "date"), ("next_count", "int"),
                ("at_risk", "int"), ("pace", "float8"), ("computed_at", "timestamptz")]
VISIT_COLUMNS = [("membership_id", "int"), ("team_id", "int"), ("date", "date"), ("household_id", "int"),
                 ("priority", "bool"), ("position", "int")]


def _insert(cursor, model, columns, rows):
    """The rows in one statement, a column an array: a town's thousands of rows without building
    an object and a placeholder each (elsewhere than on PostgreSQL, the ORM's bulk_create)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        names = [name for name, _kind in columns]
        model.objects.bulk_create([model(**dict(zip(names, row, strict=True))) for row in rows], batch_size=500)
        return
    names = ", ".join(name for name, _type in columns)
    arrays = ", ".join(f"%s::{kind}[]" for _name, kind in columns)
    cursor.execute(f"INSERT INTO {model._meta.db_table} ({names}) SELECT * FROM unnest({arrays})",
                   [list(column) for column in zip(*rows, strict=True)])


def teams_to_plan(teams):
    return list(teams.select_related("schedule", "village__town__county"))


@transaction.atomic
def refresh(teams, today=None):
    """Plan every member of `teams` (a queryset) afresh, in one transaction: the stored plan of
    these teams is replaced. Returns the number of members planned."""
    today = today or timezone.localdate()
    teams = teams_to_plan(teams)
    plans, visits = compute(teams, today)
    ids = [t.pk for t in teams]
    PlannedVisit.objects.filter(team__in=ids).delete()
    MemberPlan.objects.filter(team__in=ids).delete()
    with connection.cursor() as cursor:
        _insert(cursor, MemberPlan, PLAN_COLUMNS, plans)
        _insert(cursor, PlannedVisit, VISIT_COLUMNS, visits)
    return len(plans)


def refresh_town(town_id, today=None):
    return refresh(Team.objects.filter(village__town=town_id), today)


def refresh_village(village_id, today=None):
    return refresh(Team.objects.filter(village=village_id), today)
