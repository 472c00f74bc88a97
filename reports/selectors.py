"""Reading the figures: a unit's snapshot for a period, its members' side by side, its trend,
what needs attention, and the records behind any figure — each within the viewer's scope."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from issues.models import Issue, Level
from reports import metrics
from reports import periods as P
from reports.models import Refresh, Snapshot, Unit
from reports.services import current
from teams import scope
from teams.models import Attendance, County, Department, LiaisonDay, Team, Town
from visits.models import Household, Visit

MODELS = {Unit.TEAM: Team, Unit.TOWN: Town, Unit.COUNTY: County, Unit.DEPARTMENT: Department}


def county_id_of(unit, unit_id):
    paths = {Unit.TEAM: "village__town__county_id", Unit.TOWN: "county_id", Unit.DEPARTMENT: "county_id"}
    if unit == Unit.COUNTY:
        return unit_id
    return MODELS[unit].objects.filter(pk=unit_id).values_list(paths[unit], flat=True).first()


def may_see(user, unit, unit_id):
    """The organization department sees its county and all in it, a town office its towns and
    their teams, a team's members their team, a department's staff their department."""
    s = scope.scope_for(user)
    if s.is_admin:
        return True
    if unit == Unit.COUNTY:
        return unit_id in s.org_county_ids
    if unit == Unit.TOWN:
        return unit_id in s.office_town_ids or Town.objects.filter(pk=unit_id, county__in=s.org_county_ids).exists()
    if unit == Unit.TEAM:
        return unit_id in s.member_team_ids or Team.objects.filter(pk=unit_id).filter(
            Q(village__town__in=s.office_town_ids) | Q(village__town__county__in=s.org_county_ids)
        ).exists()
    return unit_id in s.department_ids or Department.objects.filter(pk=unit_id, county__in=s.org_county_ids).exists()


def snapshots(refresh, unit, ids, period):
    """{unit id: Snapshot} in `refresh` for `period`; one query."""
    if refresh is None:
        return {}
    rows = Snapshot.objects.filter(refresh=refresh, unit=unit, unit_id__in=list(ids), period=period.kind,
                                   start=period.start)
    return {row.unit_id: row for row in rows}


def snapshot(unit, unit_id, period, refresh=None):
    refresh = refresh or current(county_id_of(unit, unit_id))
    return snapshots(refresh, unit, [unit_id], period).get(unit_id)


@dataclass
class Member:
    unit: str
    obj: object
    snapshot: Snapshot | None


def members(refresh, unit, unit_id, period):
    """A county's towns (and departments), or a town's teams, each with its figures."""
    if unit == Unit.COUNTY:
        groups = [(Unit.TOWN, Town.objects.filter(county=unit_id).order_by("name")),
                  (Unit.DEPARTMENT, Department.objects.filter(county=unit_id).order_by("name"))]
    elif unit == Unit.TOWN:
        groups = [(Unit.TEAM, Team.objects.filter(village__town=unit_id, is_active=True)
                   .select_related("village").order_by("village__name"))]
    else:
        return []
    result = []
    for member_unit, objects in groups:
        objects = list(objects)
        rows = snapshots(refresh, member_unit, [o.pk for o in objects], period)
        result += [Member(member_unit, o, rows.get(o.pk)) for o in objects]
    return result


def trend(refresh, unit, unit_id, kind, count=12, today=None):
    """The last `count` periods of `kind` up to today's, oldest first, each with its figures."""
    latest = P.of(kind, today or timezone.localdate())
    periods = latest.previous(count)
    rows = Snapshot.objects.filter(refresh=refresh, unit=unit, unit_id=unit_id, period=kind,
                                   start__in=[p.start for p in periods]) if refresh else []
    by_start = {row.start: row for row in rows}
    return [(period, by_start.get(period.start)) for period in periods]


@dataclass
class Highlights:
    teams_below: list
    overdue_issues: list
    days_without_attendance: list


def highlights(user, unit, unit_id, period, refresh, threshold):
    """重点提示: teams whose attendance or timely-handling rate is below `threshold` in the
    period, open issues overdue now, and past liaison days whose sheet nobody filled in."""
    teams = Team.objects.filter(_team_filter(unit, unit_id), is_active=True).select_related("village__town")
    teams = {team.pk: team for team in teams}
    rows = snapshots(refresh, Unit.TEAM, teams, period)
    below = []
    for team_id, row in rows.items():
        weak = [m for m in ("attendance", "timely") if row.rate(m) is not None and row.rate(m) < threshold]
        if weak:
            below.append((teams[team_id], row, weak))
    below.sort(key=lambda item: min(item[1].rate(m) for m in item[2]))
    now = timezone.now()
    overdue = list(
        scope.visible(user, Issue).filter(_issue_filter(unit, unit_id), status=Issue.Status.OPEN, due_at__lt=now)
        .select_related("village__town", "current_step__town", "current_step__department", "current_step__team")
        .order_by("due_at")[:50]
    )
    today = timezone.localdate()
    filled = Attendance.objects.filter(liaison_day=OuterRef("pk")).exclude(status=Attendance.Status.PENDING)
    empty = list(
        scope.visible(user, LiaisonDay).filter(
            team__in=list(teams), status=LiaisonDay.Status.SCHEDULED,
            date__range=(max(period.start, today - timedelta(days=60)), min(period.end, today - timedelta(days=1))),
        ).filter(~Exists(filled), Exists(Attendance.objects.filter(liaison_day=OuterRef("pk"))))
        .select_related("team__village").order_by("-date")[:50]
    )
    return Highlights(teams_below=below, overdue_issues=overdue, days_without_attendance=empty)


def _team_filter(unit, unit_id, prefix=""):
    """Teams (or what `prefix` leads to a team from) that count for the unit."""
    if unit == Unit.TEAM:
        return Q(**{f"{prefix}id": unit_id})
    if unit == Unit.TOWN:
        return Q(**{f"{prefix}village__town": unit_id})
    if unit == Unit.COUNTY:
        return Q(**{f"{prefix}village__town__county": unit_id})
    return Q(pk__in=[])


def _issue_filter(unit, unit_id):
    """Issues that count for the unit: its villages' (teams, towns, the county), or for a
    department the steps it was called in for."""
    if unit == Unit.TEAM:
        return Q(village__team=unit_id)
    if unit == Unit.TOWN:
        return Q(village__town=unit_id)
    if unit == Unit.COUNTY:
        return Q(village__town__county=unit_id)
    return Q(steps__department=unit_id)


def _step_filter(unit, unit_id):
    """Steps that count for the unit's timely-handling rate (DESIGN.md: who owns a figure)."""
    if unit == Unit.TEAM:
        return Q(level=Level.VILLAGE, team=unit_id)
    if unit == Unit.TOWN:
        return Q(level=Level.VILLAGE, team__village__town=unit_id) | Q(level=Level.TOWN, town=unit_id)
    if unit == Unit.COUNTY:
        return Q(issue__village__town__county=unit_id)
    return Q(level=Level.COUNTY, department=unit_id)


@dataclass
class Records:
    """The records behind a figure: all that it counts (`counted`), and those that fall short
    (`short`: not present, late, not resolved, not answered, not satisfied, not visited)."""

    counted: object
    short: object


def records(user, metric, unit, unit_id, period, now=None):
    """The records behind `metric` for the unit and period, as they are now, within what the
    user may see."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    last = min(period.end, today)
    start = metrics._aware(period.start)
    end = min(metrics._aware(last + timedelta(days=1)), now)
    if metric == "attendance":
        rows = scope.visible(user, metrics.attendance_rows(period.start, last)).filter(
            _team_filter(unit, unit_id, "liaison_day__team__")
        ).select_related("member", "liaison_day__team__village").order_by("liaison_day__date", "member__name")
        return Records(rows, rows.exclude(metrics.PRESENT))
    if metric == "timely":
        horizon = metrics._aware(period.end + timedelta(days=1))
        steps = scope.visible(user, metrics.judged_steps(start, horizon, now)).filter(_step_filter(unit, unit_id))
        steps = steps.select_related("issue__village", "team", "town", "department").order_by("due_at")
        return Records(steps, steps.exclude(metrics.on_time(now)))
    if metric in ("resolution", "feedback"):
        issues = scope.visible(user, Issue).filter(_issue_filter(unit, unit_id))
        field = "received_at" if metric == "resolution" else "ended_at"
        issues = issues.filter(**{f"{field}__gte": start, f"{field}__lt": end}).select_related(
            "village__town", "category").order_by(field)
        good = metrics.RESOLVED if metric == "resolution" else metrics.ANSWERED
        return Records(issues, issues.exclude(good))
    if metric == "satisfaction":
        given = scope.visible(user, metrics.ratings(start, end)).filter(
            issue__in=Issue.objects.filter(_issue_filter(unit, unit_id))
        ).select_related("issue__village").order_by("at")
        return Records(given, given.exclude(metrics.SATISFIED))
    if metric == "coverage":
        households = scope.visible(user, Household).filter(
            _team_filter(unit, unit_id, "village__team__"), registered_on__lte=last
        ).filter(Q(moved_out_on__isnull=True) | Q(moved_out_on__gte=last))
        visited = Visit.households.through.objects.filter(
            household=OuterRef("pk"), visit__kind=Visit.Kind.HOUSEHOLD, visit__date__range=(period.start, last)
        )
        households = households.select_related("village").order_by("village__name", "address")
        return Records(households, households.exclude(Exists(visited)))
    raise ValueError(metric)


def latest_refresh(county_id):
    """The county's newest refresh, whatever its state: the 'refresh now' button's progress."""
    return Refresh.objects.filter(county_id=county_id).order_by("-pk").first()
