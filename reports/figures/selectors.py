"""Reading the figures: a unit's snapshot for a period, its members' side by side, its trend,
what needs attention, and the records behind any figure — each within the viewer's scope."""

from dataclasses import dataclass
from datetime import timedelta
from functools import partial, reduce
from operator import or_

from django.db.models import Count, Exists, F, Func, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThan
from django.utils import timezone

from issues.models import Issue, Step
from reports import periods as P
from reports import scope as reports_scope
from reports.figures import registry, services, units
from reports.models import PendingChange, Refresh, Snapshot, Unit
from teams import scope
from teams.models import Attendance, LiaisonDay, Team, Town


def may_see(user, unit, unit_id):
    """The organization department sees its county and all in it, a town office its towns and
    their teams, a team's members their team, a department's staff their department."""
    obj = units.of(unit).load(unit_id)
    return obj is not None and reports_scope.sees_unit(user, unit, obj)


def periods_offered(today=None):
    """{kind: periods newest first}: this and the earlier periods within the computed window."""
    today = today or timezone.localdate()
    first, last = services.window(today)
    return {kind: P.between(kind, first, last)[::-1] for kind in P.KINDS}


def refreshes(county_id):
    """(the refresh readers use, the newest whatever its state) in one query: a county keeps
    a handful, a finished refresh deleting those before it."""
    rows = list(Refresh.objects.filter(county_id=county_id).order_by("-pk"))
    done = [r for r in rows if r.status == Refresh.Status.DONE]
    return max(done, key=lambda r: r.finished_at, default=None), (rows[0] if rows else None)


def current_refreshes():
    """Every county's refresh readers use (`services.current`), as one queryset."""
    later = Refresh.objects.filter(county=OuterRef("county"), status=Refresh.Status.DONE,
                                   finished_at__gt=OuterRef("finished_at"))
    return Refresh.objects.filter(status=Refresh.Status.DONE).filter(~Exists(later))


def snapshots(refresh, unit, ids, period):
    """{unit id: Snapshot} in `refresh` for `period`; one query."""
    if refresh is None:
        return {}
    rows = Snapshot.objects.filter(refresh=refresh, unit=unit, unit_id__in=list(ids), period=period.kind,
                                   start=period.start)
    return {row.unit_id: row for row in rows}


def snapshot(unit, unit_id, period, refresh=None):
    refresh = refresh or services.current(units.of(unit).county_id(unit_id))
    return snapshots(refresh, unit, [unit_id], period).get(unit_id)


@dataclass
class Member:
    unit: str
    obj: object
    snapshot: Snapshot | None


def _overdue_now(now, **where):
    """How many issues are overdue at `now` where `where` (an OuterRef) says: a subquery."""
    overdue = Issue.objects.overdue(now).filter(**where).order_by().values(*where).annotate(n=Count("pk"))
    return Coalesce(Subquery(overdue.values("n")), 0)


def members(refresh, unit, unit_id, period, now=None):
    """A county's towns (and departments), or a town's teams, each with its figures. Given
    `now`, each town or team carries `overdue_now`: its villages' issues overdue at that moment,
    whenever received (in the same query; whoever sees a county's or a town's dashboard sees
    all of them)."""
    groups = units.of(unit).members(unit_id, None if now is None else partial(_overdue_now, now))
    groups = [(member_unit, list(objects)) for member_unit, objects in groups]
    rows = {}
    if refresh is not None:
        wanted = Q(pk__in=[])
        for member_unit, objects in groups:
            wanted |= Q(unit=member_unit, unit_id__in=[o.pk for o in objects])
        rows = {(row.unit, row.unit_id): row for row in Snapshot.objects.filter(
            wanted, refresh=refresh, period=period.kind, start=period.start)}
    return [Member(member_unit, o, rows.get((member_unit, o.pk))) for member_unit, objects in groups for o in objects]


def ranked(member_list, metric, descending=True):
    """Members ordered by `metric`'s rate (or by name: `metric` None); those with no rate last."""
    if metric is None:
        return list(member_list)
    rated = [m for m in member_list if m.snapshot is not None and m.snapshot.rate(metric) is not None]
    unrated = [m for m in member_list if m not in rated]
    return sorted(rated, key=lambda m: m.snapshot.rate(metric), reverse=descending) + unrated


def figures(refresh, unit, unit_id, period, trend_kind, count=12, today=None):
    """The unit's figures for `period`, and its trend: the last `count` periods of `trend_kind`
    up to today's, oldest first, each with its figures (None where not computed). One query."""
    periods = P.of(trend_kind, today or timezone.localdate()).previous(count)
    by_period = {}
    if refresh is not None:
        rows = Snapshot.objects.filter(refresh=refresh, unit=unit, unit_id=unit_id).filter(
            Q(period=trend_kind, start__in=[p.start for p in periods]) | Q(period=period.kind, start=period.start)
        )
        by_period = {P.Period(row.period, row.start): row for row in rows}
    return by_period.get(period), [(p, by_period.get(p)) for p in periods]


# How many rows each list of 重点提示 shows: the weakest teams, the longest overdue issues, the
# latest empty sheets. On the first day of a month every team's rate may be low; the page names
# the worst and says how many more there are.
HIGHLIGHTS_SHOWN = 50


@dataclass
class Highlights:
    teams_below: list
    teams_below_count: int
    days_without_attendance: list

    @property
    def teams_below_more(self):
        return self.teams_below_count - len(self.teams_below)


def _below(metric, percent):
    """The snapshot's rate of `metric` is under `percent` %, in whole numbers (no rounding)."""
    return LessThan(F(f"{metric}_num") * 100, F(f"{metric}_den") * percent)


@dataclass
class Current:
    """A unit's issues now, whenever received: how many are open, how many overdue, and the
    first HIGHLIGHTS_SHOWN overdue, longest overdue first (重点提示)."""

    open: int
    overdue: int
    overdue_issues: list


def _count(issues):
    """How many `issues`, as a subquery that does not depend on the outer row: the database
    counts once, through the indexes, without the outer query's joins."""
    return Subquery(issues.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n"))


def current_issues(user, unit, unit_id, now):
    """The unit's issues open and overdue at `now` (`Issue.objects.overdue`), within what the
    user sees: a department's queue, or the issues of a team's, a town's or the county's
    villages, whoever handles them. Counted live: a snapshot counts the issues received in its
    period. Two queries: the first open issues, soonest due (the overdue ones) first, each
    carrying both counts; then their steps in hand and handlers (joined, they made planning the
    first, with its three scoped subqueries, cost more than running it)."""
    issues = scope.visible(user, Issue).open().filter(units.of(unit).issues(unit_id))
    rows = list(
        issues.annotate(open_count=_count(issues), overdue_count=_count(issues.overdue(now)))
        .select_related("village__town")
        .prefetch_related(Prefetch("current_step", queryset=Step.objects.select_related("town", "department", "team")))
        .defer("description", "result", "feedback_note", "satisfaction_comment")
        .order_by(F("due_at").asc(nulls_last=True), "pk")[:HIGHLIGHTS_SHOWN]
    )
    if not rows:
        return Current(open=0, overdue=0, overdue_issues=[])
    return Current(open=rows[0].open_count, overdue=rows[0].overdue_count,
                   overdue_issues=[issue for issue in rows if issue.is_overdue(now)])


def highlights(user, unit, unit_id, period, refresh, percent):
    """重点提示 of the teams: those whose attendance or timely-handling rate is below `percent` %
    in the period (weakest first), and past liaison days whose sheet nobody filled in, each list
    the first HIGHLIGHTS_SHOWN (the issues overdue now are `current_issues`'). Two or three
    queries, however many teams; none for a department, which has no team."""
    kind = units.of(unit)
    if not kind.has_teams:
        return Highlights(teams_below=[], teams_below_count=0, days_without_attendance=[])
    teams = Team.objects.filter(kind.teams(unit_id), is_active=True)
    below, rows = [], []
    if refresh is not None:
        alerts = [m for m in registry.METRICS if m.alert]
        rows = list(Snapshot.objects.filter(
            reduce(or_, (Q(_below(m.key, percent)) for m in alerts)), refresh=refresh, unit=Unit.TEAM,
            unit_id__in=teams.values("pk"), period=period.kind, start=period.start,
        ))
        rates = {row.unit_id: {m.key: m.rate(row) for m in alerts} for row in rows}
        weak = {team: [m for m, rate in rate_of.items() if rate is not None and rate * 100 < percent]
                for team, rate_of in rates.items()}
        rows.sort(key=lambda row: (min(rates[row.unit_id][m] for m in weak[row.unit_id]), row.unit_id))
        shown = rows[:HIGHLIGHTS_SHOWN]
        found = Team.objects.select_related("village__town").in_bulk([row.unit_id for row in shown]) if shown else {}
        below = [(found[row.unit_id], row, [registry.get(m) for m in weak[row.unit_id]]) for row in shown]
    today = timezone.localdate()
    filled = Attendance.objects.filter(liaison_day=OuterRef("pk")).exclude(status=Attendance.Status.PENDING)
    empty = list(
        scope.visible(user, LiaisonDay).filter(
            kind.teams(unit_id, "team__"), team__is_active=True, status=LiaisonDay.Status.SCHEDULED,
            date__range=(max(period.start, today - timedelta(days=60)), min(period.end, today - timedelta(days=1))),
        ).filter(~Exists(filled), Exists(Attendance.objects.filter(liaison_day=OuterRef("pk"))))
        .select_related("team__village").order_by("-date")[:HIGHLIGHTS_SHOWN]
    )
    return Highlights(
        teams_below=below, teams_below_count=len(rows), days_without_attendance=empty
    )


def team_days(user, team_id, period, today=None):
    """The team's liaison days in the period up to today, newest first, each with its sheet's
    counts: the way from the figures to the attendance sheets."""
    last = min(period.end, today or timezone.localdate())
    counts = {name: Count("attendance", filter=Q(attendance__status=status))
              for name, status in (("present", Attendance.Status.PRESENT), ("absent", Attendance.Status.ABSENT),
                                   ("leave", Attendance.Status.LEAVE), ("pending", Attendance.Status.PENDING))}
    return list(
        scope.visible(user, LiaisonDay).filter(team=team_id, date__range=(period.start, last))
        .annotate(**counts).order_by("-date")
    )


@dataclass
class Records:
    """The records behind a figure: all that it counts (`counted`), and those that fall short
    (`short`: not present, late, not resolved, not answered, not satisfied, not visited)."""

    counted: object
    short: object
    met: object  # the condition of the numerator, among `counted`

    def counts(self):
        """(counted, short) in two counts: a condition on other rows (a household's visits) is a
        join when it filters, but asked row by row inside an aggregate's FILTER."""
        counted = self.counted.order_by().count()
        return counted, counted - self.counted.filter(self.met).order_by().count()


def records(user, metric, unit, unit_id, period, now=None):
    """The records behind `metric` (a key) for the unit and period, as they are now, within what
    the user may see."""
    window = registry.Window(period, now or timezone.now())
    metric = registry.get(metric)
    rows = metric.rows(window, units.of(unit), unit_id, partial(scope.visible, user))
    met = metric.met(window)
    return Records(rows, rows.exclude(met), met)


def changes_waiting(county_id, period, town_id=None, today=None):
    """Whether a change noted for the county's figures of `period` (its town's, given
    `town_id`) still waits for the incremental refresh: a change noted since a day up to the
    period's last day counts in it."""
    last = min(period.end, today or timezone.localdate())
    waiting = PendingChange.objects.filter(county_id=county_id, since__lte=last)
    return (waiting.filter(town_id=town_id) if town_id is not None else waiting).exists()


def record_counts(behind, row, unit, metric, period, now=None):
    """(counted, short) of the records behind a figure. The county's are counted from its
    snapshot while that still counts what the records hold now — computed today or after the
    period ended, and no change in the period waiting for the incremental refresh — as
    counting 600,000 households' visits takes half a second. Timely handling is always counted
    afresh (a step falls due any minute), and so is everything below the county: a town's
    records are few, and a live count shows the figures' lag."""
    now = now or timezone.now()
    if units.of(unit).many_records and not registry.get(metric).counted_live and row is not None:
        computed_on, today = timezone.localdate(row.computed_at), timezone.localdate(now)
        if (computed_on == today or computed_on > period.end) and not changes_waiting(row.unit_id, period,
                                                                                      today=today):
            den, num = getattr(row, f"{metric}_den"), getattr(row, f"{metric}_num")
            return den, den - num
    return behind.counts()


def latest_refresh(county_id):
    """The county's newest refresh, whatever its state: the 'refresh now' button's progress."""
    return Refresh.objects.filter(county_id=county_id).order_by("-pk").first()


def coverage(user, town_id=None, today=None):
    """This year's household coverage of every team whose villages the user works in (of one
    town, given `town_id`), from each county's current figures: [(team, snapshot or None)] by
    town and village. Two queries, however many households (the figures hold the distinct
    counts)."""
    teams = scope.visible(user, Team).filter(is_active=True).select_related("village__town")
    if town_id is not None:
        teams = teams.filter(village__town=town_id)
    return _this_year(Unit.TEAM, teams.order_by("village__town__name", "village__name"), today)


def town_coverage(user, today=None):
    """The same per town, for those who see whole counties (the organization department,
    administrators): [(town, snapshot or None)]. Two queries."""
    towns = reports_scope.managed_towns(user)
    return _this_year(Unit.TOWN, towns.order_by("county__name", "name"), today)


def _this_year(unit, objects, today):
    """(this year, [(each of `objects`, its snapshot of the year or None)]) from each county's
    current figures."""
    year = P.of("year", today or timezone.localdate())
    objects = list(objects)
    rows = {row.unit_id: row for row in Snapshot.objects.filter(
        refresh__in=current_refreshes(), unit=unit, unit_id__in=[o.pk for o in objects], period=year.kind,
        start=year.start,
    )}
    return year, [(o, rows.get(o.pk)) for o in objects]


@dataclass(frozen=True)
class PublicTownFigures:
    """What the residents' statistics show of a town: its name and the year's figures, nothing
    else (`issues.public`'s rule: fields listed on purpose)."""

    town: str
    county: str
    received: int | None
    rates: tuple  # (numerator, denominator) or None, per metric of `public_metrics()`


def public_metrics():
    """The metrics residents see: resolution, feedback, satisfaction."""
    return [m for m in registry.METRICS if m.public]


def public_statistics(today=None):
    """Per town, this year's issues received and the rates residents care about, each
    (numerator, denominator), from each county's current figures; a town not computed yet has
    none. Two queries."""
    year = P.of("year", today or timezone.localdate())
    rows = {row.unit_id: row for row in Snapshot.objects.filter(
        refresh__in=current_refreshes(), unit=Unit.TOWN, period=year.kind, start=year.start)}
    shown = public_metrics()
    result = []
    for town in Town.objects.select_related("county").order_by("county__name", "name"):
        row = rows.get(town.pk)
        result.append(PublicTownFigures(
            town=town.name, county=town.county.name, received=row.issues_received if row else None,
            rates=tuple(m.pair(row) if row else None for m in shown),
        ))
    computed_at = min((row.computed_at for row in rows.values()), default=None)
    return year, computed_at, result


def running_refresh(county_id, now=None):
    """The county's refresh still queued or running, if any: "refresh now" waits for it."""
    latest = latest_refresh(county_id)
    now = now or timezone.now()
    if latest is not None and latest.status in (Refresh.Status.QUEUED, Refresh.Status.RUNNING) and (
        latest.computed_at > now - services.STALE_REFRESH
    ):
        return latest
    return None
