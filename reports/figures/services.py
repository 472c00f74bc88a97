"""Refreshing the figures.

A full refresh computes a county into a new `Refresh`: its towns in REFRESH_PARTS tasks (so that
more workers finish it sooner), then the county, which makes the refresh the one readers use.
A change to what a figure counts notes its town and the earliest day it affects
and village (`note_change`, in the change's transaction); `apply_pending` then recomputes the
village's team's rows (every team's of the town for a change that is not one village's), the
town's, the departments' and the county's sums, of every period from that day to today, in the
current refresh and in any still running. Each step is one transaction, and a town's rows are
written under a lock on the town, so readers never see half a step and the two kinds of
refresh never lose each other's work.

Every row is computed as of its own `computed_at`, taken once the step holds its locks: a
change committed before that is counted, and one committed after it has a pending row of its
own that the next incremental refresh applies. A county's row adds up parts computed at
different moments; its `computed_at` is the oldest of theirs."""

from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from reports import periods as P
from reports.figures import grid, metrics
from reports.figures.registry import FIGURES, MEMBER_KINDS
from reports.models import MemberCoverage, PendingChange, Refresh, Snapshot, Unit
from teams.models import Department, Team, Town

# A refresh queued or running this long has lost its work (its messages purged, say): another may start.
STALE_REFRESH = timedelta(minutes=30)


def window(today):
    """The days computed: from the first of January of last year (a year to compare with, and
    twelve weeks or months back at any time of year) to today."""
    return date(today.year - 1, 1, 1), today


def periods_in(first, last):
    return [period for kind in P.KINDS for period in P.between(kind, first, last)]


def periods_from(since, today):
    """The periods of the window that hold a day from `since` to `today` (none if `since` is
    after today); a period that starts before the window is never computed."""
    first = window(today)[0]
    since = max(since, first)
    return [period for kind in P.KINDS for period in P.between(kind, max(P.start_of(kind, since), first), today)]


def current(county_id):
    """The county's refresh readers use: its latest finished one, or None."""
    return Refresh.objects.filter(county_id=county_id, status=Refresh.Status.DONE).order_by("-finished_at").first()


def start_full_refresh(county, *, by=None):
    now = timezone.now()
    return Refresh.objects.create(
        county=county, computed_at=now, heartbeat_at=now, towns_total=Town.objects.filter(county=county).count(),
        requested_by=by,
    )


def _rows(refresh, cells, now):
    return [
        Snapshot(refresh=refresh, unit=unit, unit_id=unit_id, period=period.kind, start=period.start,
                 computed_at=now, **figures)
        for (unit, unit_id, period), figures in cells.items()
    ]


def _replace_towns(refresh, town_ids, period_list, now):
    """The towns' and their teams' rows of `period_list` in `refresh`, computed afresh: by the
    database on PostgreSQL (`grid`, the towns in one statement), in Python on the demo's SQLite
    (`metrics.compute`, which the freshness tests hold the database's cells to)."""
    teams = list(Team.objects.filter(village__town__in=town_ids).values_list("pk", flat=True))
    if connection.vendor == "postgresql":
        _replace_teams(refresh, town_ids, teams, period_list, now)
        _replace_town_sums(refresh, town_ids, period_list, now)
        return
    _delete(refresh, Q(unit=Unit.TEAM, unit_id__in=teams) | Q(unit=Unit.TOWN, unit_id__in=town_ids), period_list)
    _delete_members(refresh, teams, period_list)
    first = min(period.start for period in period_list)
    for town_id in town_ids:
        scope = metrics.Scope([town_id], first, window(timezone.localdate(now))[1], now)
        Snapshot.objects.bulk_create(_rows(refresh, metrics.compute(scope, period_list), now), batch_size=2000)
        MemberCoverage.objects.bulk_create([
            MemberCoverage(refresh=refresh, team_id=team_id, member_id=member_id, period=period.kind,
                           start=period.start, computed_at=now, **figures)
            for (team_id, member_id, period), figures in metrics.member_coverage(scope, period_list).items()
        ], batch_size=2000)


def _delete(refresh, rows, period_list):
    for kind, starts in _by_kind(period_list).items():
        Snapshot.objects.filter(rows, refresh=refresh, period=kind, start__in=starts).delete()


def _delete_members(refresh, teams, period_list):
    for kind, starts in _by_kind([p for p in period_list if p.kind in MEMBER_KINDS]).items():
        MemberCoverage.objects.filter(refresh=refresh, team_id__in=teams, period=kind, start__in=starts).delete()


def _replace_teams(refresh, town_ids, teams, period_list, now):
    """The teams' rows and their members' coverage (the members of a team whose village changed:
    an assignment, a membership, a visit or a household's move all note the village)."""
    _delete(refresh, Q(unit=Unit.TEAM, unit_id__in=teams), period_list)
    grid.write_teams(refresh.pk, teams, town_ids, period_list, now)
    _delete_members(refresh, teams, period_list)
    grid.write_members(refresh.pk, teams, period_list, now)


def _replace_town_sums(refresh, town_ids, period_list, now):
    """The towns' own rows: their teams' rows in the refresh added up, and their steps."""
    _delete(refresh, Q(unit=Unit.TOWN, unit_id__in=town_ids), period_list)
    grid.write_towns(refresh.pk, town_ids, period_list, now)


def _by_kind(period_list):
    result = defaultdict(list)
    for period in period_list:
        result[period.kind].append(period.start)
    return result


def _replace_county(refresh, period_list, now):
    """The departments' rows, and the county's: its towns and departments added up."""
    county = refresh.county
    first = min(period.start for period in period_list)
    wanted = set(period_list)
    cells = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for ((unit, unit_id), day), figures in metrics.department_timeliness(county, first, timezone.localdate(now),
                                                                          now).items():
        for kind in P.KINDS:
            period = P.of(kind, day)
            if period in wanted:
                for name, value in figures.items():
                    cells[(unit, unit_id, period)][name] += value
    for department_id in Department.objects.filter(county=county).values_list("pk", flat=True):
        for period in period_list:
            cells[(Unit.DEPARTMENT, department_id, period)]
    for kind, starts in _by_kind(period_list).items():
        Snapshot.objects.filter(
            refresh=refresh, period=kind, start__in=starts, unit__in=(Unit.DEPARTMENT, Unit.COUNTY)
        ).delete()
    Snapshot.objects.bulk_create(_rows(refresh, cells, now), batch_size=2000)
    for kind, starts in _by_kind(period_list).items():
        parts = Snapshot.objects.filter(
            refresh=refresh, period=kind, start__in=starts, unit__in=(Unit.TOWN, Unit.DEPARTMENT)
        )
        totals = parts.values("start").annotate(oldest=Min("computed_at"), **{name: Sum(name) for name in FIGURES})
        Snapshot.objects.bulk_create([
            Snapshot(refresh=refresh, unit=Unit.COUNTY, unit_id=county.pk, period=kind, start=row.pop("start"),
                     computed_at=row.pop("oldest"), **{name: value or 0 for name, value in row.items()})
            for row in totals
        ])


def refresh_towns(refresh_id, town_ids):
    """A part of a full refresh: some of its towns, in one computation. Nothing if the refresh
    is over (done, failed, or deleted by a newer one that finished first); the towns it has
    already (published twice by the sweeper) are skipped: a late task must not change a refresh
    whose county rows are computed, and a repeated one need not compute again (the incremental
    refresh keeps a computed town exact)."""
    refresh = Refresh.objects.filter(pk=refresh_id).first()
    if refresh is None or refresh.status in (Refresh.Status.DONE, Refresh.Status.FAILED):
        return
    Refresh.objects.filter(pk=refresh_id, status=Refresh.Status.QUEUED).update(status=Refresh.Status.RUNNING)
    with transaction.atomic():
        list(Town.objects.select_for_update().filter(pk__in=town_ids).order_by("pk").values_list("pk", flat=True))
        done = set(Snapshot.objects.filter(refresh=refresh, unit=Unit.TOWN, unit_id__in=town_ids)
                   .values_list("unit_id", flat=True))
        towns = sorted(set(town_ids) - done)
        if not towns:
            return
        first, last = window(timezone.localdate(refresh.computed_at))
        _replace_towns(refresh, towns, periods_in(first, last), timezone.now())
        # Last, so that parts computed side by side wait on this row only for a moment.
        Refresh.objects.filter(pk=refresh_id).update(towns_done=F("towns_done") + len(towns),
                                                     heartbeat_at=timezone.now())


def parts(town_ids, count):
    """The towns shared into `count` parts of about as many villages (a task each)."""
    villages = dict(Town.objects.filter(pk__in=town_ids).annotate(n=Count("villages")).values_list("pk", "n"))
    shares = [[] for _ in range(max(1, min(count, len(town_ids))))]
    loads = [0] * len(shares)
    for town_id in sorted(town_ids, key=lambda pk: -villages.get(pk, 0)):
        lightest = loads.index(min(loads))
        shares[lightest].append(town_id)
        loads[lightest] += villages.get(town_id, 0)
    return [sorted(share) for share in shares if share]


def finish_refresh(refresh_id):
    """The county's own figures; then this refresh is the one readers use (the last finished),
    and the others go: those done or failed, and those queued or running that have lost their
    work. One done refresh a county, so that readers and the incremental refresh never pick
    different ones."""
    with transaction.atomic():
        refresh = Refresh.objects.select_for_update().select_related("county").filter(pk=refresh_id).first()
        if refresh is None or refresh.status in (Refresh.Status.DONE, Refresh.Status.FAILED):
            return  # finished already (published twice), or given up by the sweeper
        first, last = window(timezone.localdate(refresh.computed_at))
        _replace_county(refresh, periods_in(first, last), timezone.now())
        refresh.status, refresh.finished_at = Refresh.Status.DONE, timezone.now()
        refresh.towns_done = refresh.towns_total
        refresh.save(update_fields=["status", "finished_at", "towns_done"])
        working = Q(status__in=(Refresh.Status.QUEUED, Refresh.Status.RUNNING),
                    computed_at__gt=refresh.finished_at - STALE_REFRESH)
        Refresh.objects.filter(county=refresh.county).exclude(pk=refresh.pk).exclude(working).delete()


def reclaim_snapshots():
    """After a finished refresh dropped the one before it: the table's dead rows (a county's
    worth) reclaimed now rather than whenever autovacuum comes by, so that the dashboards' reads
    do not wade through them, and the planner's statistics fresh. Outside any transaction (the
    worker's task); nothing on SQLite."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) reports_snapshot, reports_membercoverage")


def refresh_in_process(county, *, by=None):
    """A full refresh of the county here and now, town after town (the demo's seeding, tests)."""
    refresh = start_full_refresh(county, by=by)
    refresh_towns(refresh.pk, list(Town.objects.filter(county=county).values_list("pk", flat=True)))
    finish_refresh(refresh.pk)
    return Refresh.objects.get(pk=refresh.pk)


def fail_refresh(refresh_id):
    Refresh.objects.filter(pk=refresh_id).exclude(status=Refresh.Status.DONE).update(status=Refresh.Status.FAILED)


def towns_to_compute(refresh_id):
    """A worker takes up the refresh: the towns it has not computed yet (all of them the first
    time), or None if it is done or failed. Its heartbeat moves: the sweeper waits again."""
    refresh = Refresh.objects.filter(
        pk=refresh_id, status__in=(Refresh.Status.QUEUED, Refresh.Status.RUNNING)).first()
    if refresh is None:
        return None
    Refresh.objects.filter(pk=refresh_id).update(heartbeat_at=timezone.now())
    done = Snapshot.objects.filter(refresh=refresh, unit=Unit.TOWN).values_list("unit_id", flat=True)
    return list(Town.objects.filter(county=refresh.county_id).exclude(pk__in=done).order_by("pk")
                .values_list("pk", flat=True))


def stalled_refreshes(now=None):
    """The sweeper's rule for refreshes whose work has not moved for JOB_STALL_SECONDS: one
    queued (never published, the broker being down; or waiting behind other work) is published
    again, until it has waited STALE_REFRESH; one running (its worker died, or its towns wait)
    JOB_RETRIES times. Then it fails, so that "refresh now" is free again and the dashboard says
    the last refresh failed. Published twice, a refresh computes each town once
    (`refresh_towns`). Returns the ids to publish."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.JOB_STALL_SECONDS)
    again = []
    with transaction.atomic():
        stalled = Refresh.objects.select_for_update(skip_locked=True).annotate(
            moved=Coalesce("heartbeat_at", "computed_at")).filter(
            status__in=(Refresh.Status.QUEUED, Refresh.Status.RUNNING), moved__lt=cutoff).order_by("pk")
        for refresh in stalled:
            running = refresh.status == Refresh.Status.RUNNING
            if running and refresh.retries >= settings.JOB_RETRIES or \
                    not running and refresh.computed_at < now - STALE_REFRESH:
                refresh.status, refresh.finished_at = Refresh.Status.FAILED, now
                refresh.save(update_fields=["status", "finished_at"])
            else:
                refresh.retries, refresh.heartbeat_at = refresh.retries + running, now
                refresh.save(update_fields=["retries", "heartbeat_at"])
                again.append(refresh.pk)
    return again


def counties_pending():
    """The counties with changes the figures have not applied yet: the sweeper queues their
    incremental refresh (coalesced with one already queued, `tasks.queue_pending`)."""
    return sorted(set(PendingChange.objects.values_list("county_id", flat=True)))


def note_change(town_id, since, village_id=None):
    """Inside the change's transaction: the town's figures (only the village's team's and the
    sums above it, given a village) from the day `since` to today need computing again. Returns
    the town's county (None if there is no such town)."""
    county_id = Town.objects.filter(pk=town_id).values_list("county_id", flat=True).first()
    if county_id is None:
        return None
    PendingChange.objects.create(county_id=county_id, town_id=town_id, village_id=village_id, since=since)
    return county_id


def apply_pending(county_id):
    """Recompute the cells that pending changes touched, in every refresh readers use or will,
    and delete the changes read — only those: one noted meanwhile waits for the next run."""
    with transaction.atomic():
        pending = list(PendingChange.objects.select_for_update(skip_locked=True).filter(county_id=county_id))
        if not pending:
            return 0
        # {town: {village or None (every team of the town): the earliest day}}
        since = defaultdict(dict)
        for change in pending:
            days = since[change.town_id]
            days[change.village_id] = min(change.since, days.get(change.village_id, change.since))
        # The towns first, as a full refresh's town takes its town before its refresh's row; the
        # refreshes newest first, as a finishing refresh holds its own row while it deletes older ones.
        list(Town.objects.select_for_update().filter(pk__in=since).order_by("pk").values_list("pk", flat=True))
        team_of = dict(Team.objects.filter(village__town__in=since).values_list("village_id", "pk"))
        refreshes = list(Refresh.objects.select_for_update().filter(
            county_id=county_id, status__in=(Refresh.Status.DONE, Refresh.Status.RUNNING)).order_by("-pk"))
        now = timezone.now()
        today = timezone.localdate(now)
        done = [r for r in refreshes if r.status == Refresh.Status.DONE]
        targets = sorted(done, key=lambda r: r.finished_at)[-1:] + [
            r for r in refreshes if r.status == Refresh.Status.RUNNING]
        for refresh in targets:
            touched = set()
            for town_id, days in sorted(since.items()):
                if not Snapshot.objects.filter(refresh=refresh, unit=Unit.TOWN, unit_id=town_id).exists():
                    continue  # a refresh that has not reached this town computes it after this commits
                town_periods = sorted(set(periods_from(min(days.values()), today)))
                if not town_periods:
                    continue  # changed after today only: nothing computed holds that day yet
                if None in days or connection.vendor != "postgresql":
                    _replace_towns(refresh, [town_id], town_periods, now)
                else:
                    _replace_changed_teams(refresh, town_id, days, team_of, today, now)
                    _replace_town_sums(refresh, [town_id], town_periods, now)
                touched.update(town_periods)
            if touched and refresh.status == Refresh.Status.DONE:
                _replace_county(refresh, sorted(touched), now)
        PendingChange.objects.filter(pk__in=[change.pk for change in pending]).delete()
    return len(pending)


def _replace_changed_teams(refresh, town_id, days, team_of, today, now):
    """The rows of the changed villages' teams (a village without a team has none), teams
    changed from the same day together."""
    teams_since = defaultdict(list)
    for village_id, day in days.items():
        if village_id in team_of:
            teams_since[day].append(team_of[village_id])
    for day, teams in sorted(teams_since.items()):
        period_list = periods_from(day, today)
        if period_list:
            _replace_teams(refresh, [town_id], teams, period_list, now)
