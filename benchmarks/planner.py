"""The coverage planner's year (visits/planner.py) for every member of the county, a task a town,
against a plain SQL query listing every member's households not visited this year, in the same
run, on the dongguan preset with households assigned.

    DATABASE_URL=postgres://…/liaison_bench python manage.py seed_demo --preset dongguan
    DATABASE_URL=postgres://…/liaison_bench .venv/bin/python benchmarks/planner.py [--worker]

The planner reads each town's members, households, visits, tags, liaison days, holidays and leave,
plans every member's days left and writes the stored plan (one transaction a town). The towns run
one after another in this process (the tasks' own code, `plan_town`), and with --worker (and
REDIS_URL) on one real Celery worker process reading the figures' queue, timed from publishing the
county's towns to the last town's plan written. Budget: at most twice the reference query."""

import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from teams.models import Town  # noqa: E402
from visits import tasks  # noqa: E402
from visits.models import Assignment, MemberPlan, PlannedVisit  # noqa: E402

RUNS = 3
BUDGET = 2.0

# Every member's households (assigned today, on the roll) with no household visit this year.
REFERENCE = """
SELECT m.user_id, h.id
FROM visits_assignment a
JOIN teams_membership m ON m.id = a.membership_id
JOIN visits_household h ON h.id = a.household_id
WHERE h.is_active
  AND a.start_date <= %(today)s AND (a.end_date IS NULL OR a.end_date >= %(today)s)
  AND m.start_date <= %(today)s AND (m.end_date IS NULL OR m.end_date >= %(today)s)
  AND NOT EXISTS (SELECT 1 FROM visits_visit_households vh JOIN visits_visit v ON v.id = vh.visit_id
                  WHERE vh.household_id = h.id AND v.kind = 'household'
                    AND v.date BETWEEN %(first)s AND %(today)s)
ORDER BY m.user_id, h.id
"""


def reference(today, parallel=True):
    """The reference query as PostgreSQL runs it (its parallel workers: three processes on this
    machine) or in one process, as a worker's task runs."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = DEFAULT" if parallel
                       else "SET max_parallel_workers_per_gather = 0")
        cursor.execute(REFERENCE, {"today": today, "first": date(today.year, 1, 1)})
        rows = cursor.fetchall()
        cursor.execute("RESET max_parallel_workers_per_gather")
    return time.perf_counter() - started, len(rows)


def in_process(towns):
    started = time.perf_counter()
    members = sum(tasks.plan_town(town) for town in towns)
    return time.perf_counter() - started, members


def on_workers(towns, processes):
    from liaison.tests.test_celery_worker import emptied, start_worker, stop

    queue = emptied("figures")
    workers = [start_worker(queue) for _ in range(processes)]
    try:
        time.sleep(5)  # the worker is up and has its connections before the clock starts
        before = timezone.now()
        started = time.perf_counter()
        for town in towns:
            tasks.broker.publish(tasks.plan_town, town)
        while MemberPlan.objects.filter(computed_at__lt=before).exists() or not MemberPlan.objects.exists():
            time.sleep(0.05)
        # The last town's rows are committed with its plans: done once no plan is older.
        return time.perf_counter() - started
    finally:
        for worker in workers:
            stop(worker)


def main():
    today = timezone.localdate()
    assigned = Assignment.objects.active_on(today).count()
    if not assigned:
        sys.exit("No household is assigned: assign them first (visits.assignments.distribute_evenly per team).")
    towns = list(Town.objects.order_by("pk").values_list("pk", flat=True))
    print(f"{len(towns)} towns, {assigned:,} households assigned today ({today}); "
          f"measured under load, medians of {RUNS}")
    reference(today)
    in_process(towns)  # warm both up: the caches, the connection
    refs, serial_refs, plans = [], [], []
    for _ in range(RUNS):
        seconds, rows = reference(today)
        refs.append(seconds)
        serial_refs.append(reference(today, parallel=False)[0])
        seconds, members = in_process(towns)
        plans.append(seconds)
    ref, serial, planned = statistics.median(refs), statistics.median(serial_refs), statistics.median(plans)
    print(f"reference SQL, {rows:,} unvisited (member, household) rows: {ref:.2f} s "
          f"(in one process, no parallel workers: {serial:.2f} s)")
    print(f"plan, {members:,} members, {PlannedVisit.objects.count():,} planned visits stored, "
          f"towns one after another: {planned:.2f} s ({planned / ref:.2f}× the reference, budget {BUDGET}×; "
          f"{planned / serial:.2f}× the reference in one process)")
    if "--worker" in sys.argv and settings.REDIS_URL:
        for processes in (1, 2):
            worker = statistics.median(on_workers(towns, processes) for _ in range(3))
            print(f"plan on {processes} Celery worker process(es) (figures' queue), publishing the towns to the "
                  f"last one written: {worker:.2f} s ({worker / ref:.2f}× the reference)")
    if planned > BUDGET * ref:
        sys.exit(f"over budget: {planned / ref:.2f}× > {BUDGET}×")


if __name__ == "__main__":
    main()
