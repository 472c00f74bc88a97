"""What "the figures follow every change" is checked against: the county's cells computed from
scratch, compared cell by cell with the ones readers use."""

from collections import defaultdict

from django.utils import timezone

from reports import periods as P
from reports.figures import metrics, services
from reports.figures.registry import FIGURES
from reports.models import MemberCoverage, Snapshot, Unit
from teams.models import Department, Town

MEMBER = "member"
MEMBER_FIGURES = ("coverage_num", "coverage_den")


def cells(refresh):
    """{(unit, unit id, period kind, first day): (each figure, in FIGURES' order)}, and the
    coverage by member as {("member", (team id, member id), period kind, first day): (num, den)}."""
    result = {
        (row["unit"], row["unit_id"], row["period"], row["start"]): tuple(row[name] for name in FIGURES)
        for row in Snapshot.objects.filter(refresh=refresh).values("unit", "unit_id", "period", "start", *FIGURES)
    }
    for row in MemberCoverage.objects.filter(refresh=refresh).values("team_id", "member_id", "period", "start",
                                                                     *MEMBER_FIGURES):
        result[(MEMBER, (row["team_id"], row["member_id"]), row["period"], row["start"])] = tuple(
            row[name] for name in MEMBER_FIGURES)
    return result


def from_scratch(county):
    """Every cell of the county computed now from the metric definitions, for every period of
    the window at once, as nothing incremental would: the teams and towns of each town, the
    departments, and the county adding its towns and departments up."""
    now = timezone.now()
    first, last = services.window(timezone.localdate(now))
    periods = services.periods_in(first, last)
    result = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    members = {}
    for town_id in Town.objects.filter(county=county).values_list("pk", flat=True):
        scope = metrics.Scope([town_id], first, last, now)
        for (unit, unit_id, period), figures in metrics.compute(scope, periods).items():
            result[(unit, unit_id, period)] = figures
        for (team_id, member_id, period), figures in metrics.member_coverage(scope, periods).items():
            members[(MEMBER, (team_id, member_id), period.kind, period.start)] = tuple(
                figures[name] for name in MEMBER_FIGURES)
    for department_id in Department.objects.filter(county=county).values_list("pk", flat=True):
        for period in periods:
            result[(Unit.DEPARTMENT, department_id, period)]
    wanted = set(periods)
    for ((unit, unit_id), day), figures in metrics.department_timeliness(county, first, last, now).items():
        for period in {P.of(kind, day) for kind in P.KINDS} & wanted:
            for name, value in figures.items():
                result[(unit, unit_id, period)][name] += value
    for (unit, _unit_id, period), figures in list(result.items()):
        if unit in (Unit.TOWN, Unit.DEPARTMENT):
            for name, value in figures.items():
                result[(Unit.COUNTY, county.pk, period)][name] += value
    return {(unit, unit_id, period.kind, period.start): tuple(figures[name] for name in FIGURES)
            for (unit, unit_id, period), figures in result.items()} | members


def differences(county):
    """The cells readers see that differ from a computation from scratch now, as readable lines
    (empty when every cell is exact)."""
    seen = cells(services.current(county.pk))
    expected = from_scratch(county)
    lines = []
    for key in sorted(set(seen) | set(expected), key=str):
        if seen.get(key) != expected.get(key):
            got, want = seen.get(key), expected.get(key)
            names = MEMBER_FIGURES if key[0] == MEMBER else FIGURES
            named = [f"{name} {g}≠{w}" for name, g, w in zip(names, got or [None] * len(names),
                                                              want or [None] * len(names), strict=True) if g != w]
            lines.append(f"{key}: {', '.join(named)}")
    return lines


def county_rows_date_from_their_oldest_part(county):
    """A county's row is as old as the oldest town or department row it adds up."""
    refresh = services.current(county.pk)
    rows = Snapshot.objects.filter(refresh=refresh)
    for row in rows.filter(unit=Unit.COUNTY):
        parts = rows.filter(unit__in=(Unit.TOWN, Unit.DEPARTMENT), period=row.period, start=row.start)
        assert row.computed_at == min(part.computed_at for part in parts), (row.period, row.start)
