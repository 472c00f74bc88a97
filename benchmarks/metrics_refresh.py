"""The figures at Dongguan scale: the full refresh against the limit — the same figures in plain
SQL on the same tables, ../shared/bench/limit_metrics.sql, run in the same process —, the
incremental refresh after one visit, and the full refresh on one worker process and on two.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/liaison_dg REDIS_URL=redis://127.0.0.1:6379/4 \\
        .venv/bin/python benchmarks/metrics_refresh.py

Seeds the dongguan preset if the database is empty. Targets: the full refresh within 2× the
limit; an incremental refresh under 1 s from commit to new figures; two workers faster than
one. The limit's figures for the county's teams are checked against the snapshots', number by
number (the limit counts village steps for their teams; town steps and the departments' are
the project's own, so the check is at the teams' grain).

The full refresh includes the coverage by member (定点联系), timed apart: it counts the
assignments the database holds, so seed them first (the dongguan preset does; an older database
has none, and then the figure costs nothing).

Options (environment): BENCH_ROUNDS (3), BENCH_LIMIT_SQL (the limit's file, if not at
../shared/bench/limit_metrics.sql), BENCH_WORKERS (run the worker comparison: 1, the default,
or 0 to skip it)."""

import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
os.environ.setdefault("CACHE_KEY_PREFIX", "bench")
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit("Set DATABASE_URL=postgres://…/liaison_dg: the benchmark runs on PostgreSQL.")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Sum  # noqa: E402
from django.utils import timezone  # noqa: E402

from reports import periods as P  # noqa: E402
from reports.figures import grid, services  # noqa: E402
from reports.models import MemberCoverage, Refresh, Snapshot, Unit  # noqa: E402
from teams.models import County, Team  # noqa: E402
from visits import services as visit_services  # noqa: E402
from visits.models import Assignment, Household, Visit  # noqa: E402

# The limit: all six metrics for every team and period in plain SQL on the same tables, each
# source row read once (the reference the issue measures against, kept outside the project).
LIMIT_SQL = Path(os.environ.get("BENCH_LIMIT_SQL", ROOT.parent / "shared" / "bench" / "limit_metrics.sql"))
METRICS = ("attendance", "timely", "resolution", "feedback", "satisfaction", "coverage")
LIMIT_READS_OTHERWISE = ("attendance", "coverage")


def limit_statements():
    """The limit file's statements, without psql's meta-commands and its closing report."""
    text = "\n".join(line for line in LIMIT_SQL.read_text().splitlines()
                     if not line.startswith("\\") and not line.lstrip().startswith("--"))
    statements = [part.strip() for part in text.split(";") if part.strip()]
    return [sql for sql in statements if not sql.startswith("SELECT kind")]


def limit_sql(county, first):
    """Run the limit in this connection; returns its seconds and its team figures summed over
    the county's teams, {(kind, start): {metric: [num, den]}}, for the periods from `first`.
    Its temporary tables go with the transaction, rolled back."""
    totals = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        for sql in limit_statements():
            cursor.execute(sql)
        seconds = time.perf_counter() - started
        columns = ", ".join(f"sum(m.{metric}_num), sum(m.{metric}_den)" for metric in METRICS)
        cursor.execute(f"""
            SELECT m.kind, m.period_start, {columns} FROM metric_snapshot m
            JOIN teams_team t ON t.id = m.team_id JOIN teams_village v ON v.id = t.village_id
            JOIN teams_town tw ON tw.id = v.town_id
            WHERE tw.county_id = %s AND m.period_start >= %s GROUP BY 1, 2""", [county.pk, first])
        for kind, start, *values in cursor.fetchall():
            for n, metric in enumerate(METRICS):
                totals[(kind, start)][metric] = [int(values[2 * n]), int(values[2 * n + 1])]
        transaction.set_rollback(True)
    return seconds, totals


def team_sums(refresh):
    """The snapshot's team rows summed per period: the limit's grain (it counts village steps
    for their teams; town steps and the departments' are the project's own)."""
    sums = Snapshot.objects.filter(refresh=refresh, unit=Unit.TEAM).values("period", "start").annotate(
        **{f"{metric}_{part}": Sum(f"{metric}_{part}") for metric in METRICS for part in ("num", "den")})
    return {(row["period"], row["start"]): {metric: [row[f"{metric}_num"], row[f"{metric}_den"]]
                                            for metric in METRICS} for row in sums}


def members_timed():
    """The seconds each `grid.write_members` call of the next refresh takes, appended to a list."""
    spent, real = [], grid.write_members

    def write_members(*args, **kwargs):
        started = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)
            grid.write_members = real

    grid.write_members = write_members
    return spent


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def median(values):
    return statistics.median(values)


def main():
    county = County.objects.order_by("pk").first()
    if county is None or Team.objects.count() < 500:
        call_command("seed_demo", preset="dongguan")
        county = County.objects.order_by("pk").first()
    teams = Team.objects.filter(village__town__county=county).count()
    print(f"{county}: {teams} teams, {Household.objects.count()} households, {Visit.objects.count()} visits")

    full, limit, by_member = [], [], []
    for _round in range(ROUNDS):
        spent = members_timed()
        seconds, refresh = timed(lambda: services.refresh_in_process(county))
        full.append(seconds)
        by_member.append(sum(spent))
        seconds, totals = limit_sql(county, services.window(timezone.localdate(refresh.computed_at))[0])
        limit.append(seconds)
    rows = Snapshot.objects.filter(refresh=refresh).count()
    print(f"full refresh in one process     median {median(full):6.1f} s   rounds {', '.join(f'{s:.1f}' for s in full)}"
          f"   ({rows} snapshot rows)")
    print(f"  of which coverage by member   median {median(by_member):6.1f} s   "
          f"({MemberCoverage.objects.filter(refresh=refresh).count()} rows, "
          f"{Assignment.objects.count()} assignments)")
    print(f"the limit SQL ({LIMIT_SQL.name}) median {median(limit):6.1f} s   "
          f"rounds {', '.join(f'{s:.1f}' for s in limit)}")
    ratio = median(full) / median(limit)
    print(f"ratio                           {ratio:.2f}×   target ≤ 2×   {'ok' if ratio <= 2 else 'MISSED'}")

    # Number by number: the county's team figures against the limit's, per period and metric. Two
    # of the limit's readings are not DESIGN.md's, so their counts are shown, not compared:
    # coverage's denominator counts a household registered after the period's end, and
    # attendance counts today's liaison day and members not required on the day.
    mismatches = defaultdict(int)
    print(f"  not compared (the limit reads them otherwise): {', '.join(LIMIT_READS_OTHERWISE)}")
    for key, figures in team_sums(refresh).items():
        for metric in (m for m in METRICS if m not in LIMIT_READS_OTHERWISE):
            got, expected = figures[metric], totals.get(key, {}).get(metric, [0, 0])
            if got != expected:
                mismatches[metric] += 1
                if mismatches[metric] <= 2:
                    print(f"  differs: {key[0]} {key[1]} {metric} snapshot {got} limit {expected}")
    print(f"county's team figures equal to the limit's: "
          f"{'yes' if not mismatches else 'NO: ' + ', '.join(f'{m} in {n} periods' for m, n in mismatches.items())}")

    team = Team.objects.filter(village__town__county=county).select_related("village").order_by("pk").first()
    member = team.memberships.order_by("pk").first().user
    home = Household.objects.filter(village=team.village, is_active=True).first()
    incremental = []
    for _round in range(ROUNDS):
        started = time.perf_counter()
        with transaction.atomic():
            visit_services.log_visit(by=member, kind=Visit.Kind.HOUSEHOLD, date=timezone.localdate(),
                                     village=team.village, households=[home])
        services.apply_pending(county.pk)
        incremental.append(time.perf_counter() - started)
    print(f"incremental refresh after one visit (commit → new figures, in process)   median "
          f"{median(incremental) * 1000:5.0f} ms   rounds {', '.join(f'{s * 1000:.0f}' for s in incremental)}"
          f"   target < 1 s   {'ok' if median(incremental) < 1 else 'MISSED'}")

    if os.environ.get("REDIS_URL") and os.environ.get("BENCH_WORKERS", "1") != "0":
        incremental_with_worker(county, team, member, home)
        workers(county)


def start_workers(count):
    from liaison.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("figures")  # the refresh's queue (settings.WORK)
    procs = [subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "liaison", "worker", "--pool=solo", "-n", f"bench{i}@%h",
         "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    ) for i in range(count)]
    time.sleep(3)
    return procs


def stop_workers(procs):
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=30)


def incremental_with_worker(county, team, member, home):
    """Commit → the team's figure of this week as a page reads it, the refresh queued on commit
    (`signals`) and applied by a real worker process."""
    week = P.of("week", timezone.localdate())
    seen = Snapshot.objects.filter(unit=Unit.TEAM, unit_id=team.pk, period=week.kind, start=week.start)
    from django.core.cache import cache

    from reports.figures import tasks

    procs = start_workers(1)
    # The rounds above queued refreshes that the purge dropped; their mark would hold back the next.
    cache.delete(tasks.queued_key(county.pk))
    rounds = []
    try:
        for _round in range(ROUNDS):
            before = seen.filter(refresh=services.current(county.pk)).values_list("visits_household", flat=True)[0]
            with transaction.atomic():
                visit_services.log_visit(by=member, kind=Visit.Kind.HOUSEHOLD, date=timezone.localdate(),
                                         village=team.village, households=[home])
            started = time.perf_counter()
            while seen.filter(refresh=services.current(county.pk), visits_household__gt=before).count() == 0:
                if time.perf_counter() > started + 60:
                    raise SystemExit("the incremental refresh did not land in 60 s")
                time.sleep(0.01)
            rounds.append(time.perf_counter() - started)
    finally:
        stop_workers(procs)
    print(f"incremental refresh, commit → page, a real worker   median {median(rounds) * 1000:5.0f} ms   "
          f"rounds {', '.join(f'{s * 1000:.0f}' for s in rounds)}   target < 1 s   "
          f"{'ok' if median(rounds) < 1 else 'MISSED'}")


def workers(county):
    """The full refresh queued as one task per town, with one worker process and with two."""
    from reports.figures import tasks

    results = {}
    for count in (1, 2):
        procs = start_workers(count)
        try:
            refresh = services.start_full_refresh(county)
            started = time.perf_counter()
            tasks.dispatch_full_refresh(refresh)
            deadline = started + 600
            while Refresh.objects.get(pk=refresh.pk).status != Refresh.Status.DONE:
                if time.perf_counter() > deadline:
                    raise SystemExit("the refresh did not finish in 10 minutes")
                time.sleep(0.2)
            results[count] = time.perf_counter() - started
        finally:
            stop_workers(procs)
    print(f"full refresh queued per town    1 worker {results[1]:5.1f} s   2 workers {results[2]:5.1f} s   "
          f"speed-up {results[1] / results[2]:.2f}×")


if __name__ == "__main__":
    main()
