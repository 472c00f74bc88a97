"""The figures at Dongguan scale: the full refresh against the same numbers computed by plain SQL
GROUP BY queries over the same tables, the incremental refresh after one visit, and the full
refresh on one worker process and on two.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/liaison_dg REDIS_URL=redis://127.0.0.1:6379/4 \\
        .venv/bin/python benchmarks/metrics_refresh.py

Seeds the dongguan preset if the database is empty. Targets: the full refresh within 2× the
plain SQL; an incremental refresh under 1 s from commit to new figures; two workers faster than
one. The plain SQL's county figures are checked against the snapshots', number by number.

Options (environment): BENCH_ROUNDS (3), BENCH_WORKERS (run the worker comparison: 1, the default,
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
from django.utils import timezone  # noqa: E402

from reports import periods as P  # noqa: E402
from reports.figures import services  # noqa: E402
from reports.models import Refresh, Snapshot, Unit  # noqa: E402
from teams.models import REQUIRED_ROLES, County, Team  # noqa: E402
from visits import services as visit_services  # noqa: E402
from visits.models import Household, Visit  # noqa: E402

KINDS = {"week": "week", "month": "month", "quarter": "quarter", "year": "year"}

# The plain SQL: per metric and period kind, one GROUP BY over the same tables, per village or
# team (and per handling unit for steps); the towns and the county are added up after.
SQL = {
    "attendance": """
        SELECT t.village_id, date_trunc(%(kind)s, d.date)::date,
               count(*) FILTER (WHERE a.status = 'present'), count(*)
        FROM teams_attendance a JOIN teams_liaisonday d ON d.id = a.liaison_day_id
        JOIN teams_team t ON t.id = d.team_id
        WHERE d.status = 'scheduled' AND d.date BETWEEN %(first)s AND %(today)s AND a.status <> 'leave'
          AND EXISTS (SELECT 1 FROM teams_membership m WHERE m.team_id = d.team_id AND m.user_id = a.member_id
                      AND m.role = ANY(%(required)s) AND m.start_date <= d.date
                      AND (m.end_date IS NULL OR m.end_date >= d.date))
        GROUP BY 1, 2""",
    "timely": """
        SELECT i.village_id, date_trunc(%(kind)s, s.due_at AT TIME ZONE 'Asia/Shanghai')::date,
               count(*) FILTER (WHERE s.ended_at <= %(now)s AND s.ended_at <= s.due_at), count(*)
        FROM issues_step s JOIN issues_issue i ON i.id = s.issue_id
        WHERE s.due_at >= %(start)s AND s.due_at < %(horizon)s AND (s.ended_at <= %(now)s OR s.due_at < %(now)s)
        GROUP BY 1, 2""",
    "resolution": """
        SELECT i.village_id, date_trunc(%(kind)s, i.received_at AT TIME ZONE 'Asia/Shanghai')::date,
               count(*) FILTER (WHERE i.status = 'resolved' OR (i.status = 'closed' AND s.outcome = 'resolved')),
               count(*)
        FROM issues_issue i LEFT JOIN issues_step s ON s.id = i.current_step_id
        WHERE i.received_at >= %(start)s AND i.received_at < %(now)s
        GROUP BY 1, 2""",
    "feedback": """
        SELECT i.village_id, date_trunc(%(kind)s, i.ended_at AT TIME ZONE 'Asia/Shanghai')::date,
               count(*) FILTER (WHERE i.status = 'closed'), count(*)
        FROM issues_issue i WHERE i.ended_at >= %(start)s AND i.ended_at < %(now)s
        GROUP BY 1, 2""",
    "satisfaction": """
        SELECT i.village_id, date_trunc(%(kind)s, e.at AT TIME ZONE 'Asia/Shanghai')::date,
               count(*) FILTER (WHERE e.satisfaction IN ('satisfied', 'basically_satisfied')), count(*)
        FROM issues_event e JOIN issues_issue i ON i.id = e.issue_id
        WHERE e.kind = 'rated' AND e.at >= %(start)s AND e.at < %(now)s
        GROUP BY 1, 2""",
    "coverage_num": """
        SELECT h.village_id, date_trunc(%(kind)s, v.date)::date, count(DISTINCT vh.household_id)
        FROM visits_visit_households vh JOIN visits_visit v ON v.id = vh.visit_id
        JOIN visits_household h ON h.id = vh.household_id
        WHERE v.kind = 'household' AND v.date BETWEEN %(first)s AND %(today)s
          AND h.registered_on <= LEAST((date_trunc(%(kind)s, v.date) + %(step)s::interval)::date - 1, %(today)s)
          AND (h.moved_out_on IS NULL OR h.moved_out_on >= LEAST(
               (date_trunc(%(kind)s, v.date) + %(step)s::interval)::date - 1, %(today)s))
        GROUP BY 1, 2""",
    "coverage_den": """
        SELECT h.village_id, p.start, count(*)
        FROM (SELECT start::date, LEAST((start + %(step)s::interval)::date - 1, %(today)s) AS last
              FROM generate_series(%(first_start)s::date, %(today)s, %(step)s::interval) AS start) p
        JOIN visits_household h ON h.registered_on <= p.last AND (h.moved_out_on IS NULL OR h.moved_out_on >= p.last)
        GROUP BY 1, 2""",
}
STEP = {"week": "1 week", "month": "1 month", "quarter": "3 months", "year": "1 year"}


def plain_sql(now):
    """{(kind, start): {metric: [num, den]}} for the county, from the SQL above."""
    today = timezone.localdate(now)
    first, _last = services.window(today)
    start = timezone.make_aware(timezone.datetime.combine(first, timezone.datetime.min.time()))
    horizon = timezone.make_aware(timezone.datetime(today.year + 1, 1, 1))
    totals = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    with connection.cursor() as cursor:
        for kind in KINDS:
            params = {"kind": kind, "first": first, "today": today, "now": now, "start": start, "horizon": horizon,
                      "required": list(REQUIRED_ROLES), "step": STEP[kind],
                      "first_start": P.between(kind, first, today)[0].start}
            for metric, sql in SQL.items():
                cursor.execute(sql, params)
                for _village, period_start, *values in cursor.fetchall():
                    if period_start < first:
                        continue
                    cell = totals[(kind, period_start)]
                    if metric == "coverage_num":
                        cell["coverage"][0] += values[0]
                    elif metric == "coverage_den":
                        cell["coverage"][1] += values[0]
                    else:
                        cell[metric][0] += values[0]
                        cell[metric][1] += values[1]
    return totals


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

    full, sql = [], []
    for _round in range(ROUNDS):
        seconds, refresh = timed(lambda: services.refresh_in_process(county))
        full.append(seconds)
        seconds, totals = timed(lambda now=refresh.computed_at: plain_sql(now))
        sql.append(seconds)
    rows = Snapshot.objects.filter(refresh=refresh).count()
    print(f"full refresh in one process     median {median(full):6.1f} s   rounds {', '.join(f'{s:.1f}' for s in full)}"
          f"   ({rows} snapshot rows)")
    print(f"the same by plain SQL GROUP BY  median {median(sql):6.1f} s   rounds {', '.join(f'{s:.1f}' for s in sql)}")
    ratio = median(full) / median(sql)
    print(f"ratio                           {ratio:.2f}×   target ≤ 2×   {'ok' if ratio <= 2 else 'MISSED'}")

    mismatches = 0
    for row in Snapshot.objects.filter(refresh=refresh, unit=Unit.COUNTY):
        expected = totals.get((row.period, row.start), {})
        for metric in ("attendance", "timely", "resolution", "feedback", "satisfaction", "coverage"):
            got = [getattr(row, f"{metric}_num"), getattr(row, f"{metric}_den")]
            if got != expected.get(metric, [0, 0]):
                mismatches += 1
                if mismatches <= 5:
                    print(f"  differs: {row.period} {row.start} {metric} snapshot {got} sql {expected.get(metric)}")
    print(f"county figures equal to the plain SQL's: {'yes' if not mismatches else f'NO, {mismatches} differ'}")

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
        workers(county)


def workers(county):
    """The full refresh queued as one task per town, with one worker process and with two."""
    from liaison.celery import app
    from reports.figures import tasks

    results = {}
    for count in (1, 2):
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(app.conf.task_default_queue)
        procs = [subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "liaison", "worker", "--pool=solo", "-n", f"bench{i}@%h",
             "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ) for i in range(count)]
        try:
            time.sleep(3)
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
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=30)
    print(f"full refresh queued per town    1 worker {results[1]:5.1f} s   2 workers {results[2]:5.1f} s   "
          f"speed-up {results[1] / results[2]:.2f}×")


if __name__ == "__main__":
    main()
