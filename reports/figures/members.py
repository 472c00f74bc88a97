"""Coverage by member (定点联系) as the pages and the API read it, from each county's current
figures: a member's figure for a period (their teams' rows added up), a team's members side by
side, and the organization department's assignment health of its towns (households no member
has, members far over or under the load, members far behind the year's pace)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Exists, OuterRef
from django.http import Http404
from django.utils import timezone

from core.numbers import whole_number
from reports import periods as P
from reports import scope as reports_scope
from reports.figures.registry import Window
from reports.figures.selectors import Records, current_refreshes
from reports.models import MemberCoverage, Unit
from teams.models import Membership, Team, User
from visits.models import Assignment, Household
from visits.selectors import unassigned


@dataclass
class Figure:
    """Coverage of one member in one period: households visited of those assigned (num/den)."""

    coverage_num: int = 0
    coverage_den: int = 0
    computed_at: datetime | None = None

    def add(self, row):
        self.coverage_num += row.coverage_num
        self.coverage_den += row.coverage_den
        # As a higher unit's: as old as the oldest row it adds up.
        self.computed_at = min(filter(None, (self.computed_at, row.computed_at)))

    def rate(self, _metric="coverage"):
        return self.coverage_num / self.coverage_den if self.coverage_den else None

    @property
    def not_visited(self):
        return self.coverage_den - self.coverage_num


def member_figure(member_id, period):
    """The member's coverage in `period`, their teams' rows in the current figures added up (a
    household belongs to one village, so no household counts twice); None if none is computed.
    Two queries."""
    teams = Membership.objects.filter(user=member_id).values("team_id")
    rows = list(MemberCoverage.objects.filter(refresh__in=current_refreshes(), team_id__in=teams,
                                              member_id=member_id, period=period.kind, start=period.start))
    if not rows:
        return None
    figure = Figure()
    for row in rows:
        figure.add(row)
    return figure


def team_member_figure(refresh, team_id, member_id, period):
    """The member's coverage in the team for `period` in `refresh`, or None (a week, or not
    computed)."""
    if refresh is None:
        return None
    return MemberCoverage.objects.filter(refresh=refresh, team_id=team_id, member_id=member_id, period=period.kind,
                                         start=period.start).first()


def member_of_records(value, unit, team_id, metric):
    """The member whose households a team's coverage records are narrowed to (`?member=`), or
    None; a member the team never had is Http404."""
    if value in (None, "") or unit != Unit.TEAM or metric != "coverage":
        return None
    member = User.objects.filter(pk=whole_number(value), memberships__team=team_id).distinct().first()
    if member is None:
        raise Http404
    return member


def assigned_records(records, member_id, team_id, period, now=None):
    """The records behind a team's coverage narrowed to the households assigned to the member
    at the period's end (today for the current one), as the member's figure counts them."""
    last = Window(period, now or timezone.now()).last
    theirs = Exists(Assignment.objects.active_on(last).filter(
        household=OuterRef("pk"), membership__user=member_id, membership__team=team_id))
    return Records(records.counted.filter(theirs), records.short.filter(theirs), records.met)


def table_periods(period, today=None):
    """The periods a team's members are shown for beside `period`: the quarter holding its last
    day (or today), and its year; a member's list is visited over the year."""
    last = min(period.end, today or timezone.localdate())
    return P.of("quarter", last), P.of("year", last)


@dataclass
class MemberLine:
    member: User
    quarter: Figure
    year: Figure


@dataclass
class TeamMembers:
    quarter: P.Period
    year: P.Period
    lines: list
    unassigned: int  # households on the roll today that no member has


def team_members(refresh, team, period, today=None):
    """The team's members with their coverage of the quarter and the year (`table_periods`),
    those with the lowest share of the year visited first: every member now, and whoever held
    households in those periods. Four queries."""
    today = today or timezone.localdate()
    quarter, year = table_periods(period, today)
    rows = []
    if refresh is not None:
        rows = list(MemberCoverage.objects.filter(refresh=refresh, team_id=team.pk, period__in=("quarter", "year"),
                                                  start__in=(quarter.start, year.start)))
    figures = defaultdict(lambda: {quarter: Figure(), year: Figure()})
    for row in rows:
        wanted = P.Period(row.period, row.start)
        if wanted in (quarter, year):
            figures[row.member_id][wanted].add(row)
    now_members = Membership.objects.active_on(today).filter(team=team).values("user_id")
    users = User.objects.filter(pk__in=now_members) | User.objects.filter(pk__in=list(figures))
    lines = [MemberLine(user, figures[user.pk][quarter], figures[user.pk][year]) for user in users.distinct()]
    lines.sort(key=lambda line: (line.year.rate() if line.year.rate() is not None else 2, line.member.name))
    left = unassigned(Household.objects.filter(village=team.village_id), today).count()
    return TeamMembers(quarter=quarter, year=year, lines=lines, unassigned=left)


# The organization department's assignment health.


def year_elapsed(today):
    """The share of the year gone by the end of today."""
    year = P.of("year", today)
    return ((today - year.start).days + 1) / ((year.end - year.start).days + 1)


@dataclass
class MemberHealth:
    member_id: int
    town_id: int
    team_ids: set = field(default_factory=set)
    load: int = 0  # households assigned now (on the roll)
    visited: int = 0  # of them, visited this year
    member: User | None = None
    teams: list = field(default_factory=list)

    @property
    def share(self):
        return self.visited / self.load if self.load else None

    def over(self):
        return self.load > settings.ASSIGNMENT_LOAD

    def under(self):
        return self.load < settings.ASSIGNMENT_LOAD * settings.ASSIGNMENT_UNDER_PERCENT / 100

    def behind(self, elapsed):
        return bool(self.load) and self.visited < self.load * elapsed * settings.ASSIGNMENT_PACE_PERCENT / 100

    def flags(self, elapsed):
        return [name for name, on in (("over", self.over()), ("under", self.under()),
                                      ("behind", self.behind(elapsed))) if on]


@dataclass
class TownHealth:
    town: object
    unassigned: int
    members: int
    over: int
    under: int
    behind: int


def _health(towns, today):
    """{town id: {member id: MemberHealth}} from the current figures (this year's rows: their
    households assigned today and visited this year) and today's memberships; the households
    no member has, per town. Four queries."""
    year = P.of("year", today)
    team_town = dict(Team.objects.filter(village__town__in=towns, is_active=True).values_list("pk", "village__town_id"))
    health = defaultdict(dict)

    def of(town_id, member_id):
        return health[town_id].setdefault(member_id, MemberHealth(member_id, town_id))

    for member_id, team_id in Membership.objects.active_on(today).filter(team__in=list(team_town)).values_list(
            "user_id", "team_id"):
        of(team_town[team_id], member_id).team_ids.add(team_id)
    for row in MemberCoverage.objects.filter(refresh__in=current_refreshes(), team_id__in=list(team_town),
                                             period=year.kind, start=year.start):
        if row.coverage_den:
            line = of(team_town[row.team_id], row.member_id)
            line.team_ids.add(row.team_id)
            line.load += row.coverage_den
            line.visited += row.coverage_num
    left = dict(unassigned(Household.objects.filter(village__town__in=towns), today)
                .values("village__town").annotate(n=Count("pk")).values_list("village__town", "n"))
    return health, left


def assignment_health(user, today=None):
    """Per town the user oversees: households no member has today, members, and how many are
    over or under the load (ASSIGNMENT_LOAD, ASSIGNMENT_UNDER_PERCENT) or far behind the
    year's pace (ASSIGNMENT_PACE_PERCENT). Five queries, however many members."""
    today = today or timezone.localdate()
    towns = list(reports_scope.managed_towns(user).select_related("county").order_by("county__name", "name"))
    health, left = _health(towns, today)
    elapsed = year_elapsed(today)
    result = []
    for town in towns:
        lines = health[town.pk].values()
        result.append(TownHealth(
            town=town, unassigned=left.get(town.pk, 0), members=len(lines),
            over=sum(line.over() for line in lines), under=sum(line.under() for line in lines),
            behind=sum(line.behind(elapsed) for line in lines),
        ))
    return result


def town_members(user, town_id, today=None):
    """The town's members that are over or under the load or far behind the year's pace, those
    furthest behind first, each with their name and teams; None if the user does not oversee
    the town. Seven queries."""
    today = today or timezone.localdate()
    town = reports_scope.managed_towns(user).filter(pk=town_id).select_related("county").first()
    if town is None:
        return None, [], 0
    health, left = _health([town], today)
    elapsed = year_elapsed(today)
    flagged = [line for line in health[town.pk].values() if line.flags(elapsed)]
    users = User.objects.in_bulk([line.member_id for line in flagged])
    teams = Team.objects.select_related("village").in_bulk({t for line in flagged for t in line.team_ids})
    for line in flagged:
        line.flagged, line.expected = line.flags(elapsed), round(line.load * elapsed)
        line.member = users.get(line.member_id)
        line.teams = sorted((teams[t] for t in line.team_ids if t in teams), key=lambda t: t.village.name)
    flagged.sort(key=lambda line: (line.share if line.share is not None else 2, -line.load))
    return town, flagged, left.get(town.pk, 0)


def team_period_members(county_id, team_id, period):
    """[(member, Figure)] of a team for one quarter or year from the county's current figures,
    the lowest share visited first: the breakdown of a team's assessment by member. Three queries."""
    rows = list(MemberCoverage.objects.filter(refresh__in=current_refreshes().filter(county=county_id),
                                              team_id=team_id, period=period.kind, start=period.start))
    users = User.objects.in_bulk([row.member_id for row in rows])
    lines = []
    for row in rows:
        figure = Figure()
        figure.add(row)
        lines.append((users.get(row.member_id), figure))
    lines.sort(key=lambda line: (line[1].rate() if line[1].rate() is not None else 2, str(line[0])))
    return lines
