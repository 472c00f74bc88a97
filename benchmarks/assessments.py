"""A yearly assessment round of the Dongguan preset (32 towns, 593 teams): the time and queries
to compute and to publish it, then the server time and queries of its pages (30 requests each)
and of the API, on a copy of the seeded database.

    createdb -T liaison_dg liaison_dg_NAME && DATABASE_URL=…/liaison_dg_NAME manage.py migrate
    DATABASE_URL=postgres://…/liaison_dg_NAME .venv/bin/python benchmarks/assessments.py

The year assessed is the last that has ended (the rounds' rule); it needs the county's figures
computed after its end (seed_demo computes them). The round made here is rolled back at the end
(published, it could not be deleted).

Budget: the ranking page under 200 ms at the 95th percentile, in a number of queries that does
not grow with the towns and teams."""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")

import django

django.setup()

from dashboards import REQUESTS, measure  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from reports.models import AssessmentResult, Inspection  # noqa: E402
from reports.oversight import assessments  # noqa: E402
from teams.models import Position, Team, User  # noqa: E402


def timed(fn):
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        result = fn()
        elapsed = (time.perf_counter() - started) * 1000
    return result, elapsed, len(captured)


def client_for(username):
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def main():
    org = Position.objects.filter(kind=Position.Kind.ORG_DEPARTMENT, user__username="orgdept").first()
    if org is None or Team.objects.count() < 500:
        sys.exit("Seed the dongguan preset first (manage.py seed_demo --preset dongguan).")
    county, by = org.county, org.user
    town = Position.objects.get(user__username="town").town
    year = f"year:{timezone.localdate().year - 1}"
    inspected = Inspection.objects.filter(team__village__town__county=county).count()
    with transaction.atomic():
        failed = _measure(county, by, town, year, inspected)
        transaction.set_rollback(True)
    sys.exit(1 if failed else 0)


def _measure(county, by, town, year, inspected):
    round_, ms, queries = timed(lambda: assessments.create_round(by=by, county=county, period=year,
                                                                 title="基准测试年度考核"))
    units = AssessmentResult.objects.filter(round=round_).count()
    print(f"{county} · {year} · {units} units ({Team.objects.filter(village__town__county=county).count()} "
          f"teams) · {inspected} inspections in the county")
    print(f"compute the round (create): {ms:8.1f} ms, {queries} queries")
    _round, ms, queries = timed(lambda: assessments.recompute(round_=round_, by=by))
    print(f"compute it again (draft):   {ms:8.1f} ms, {queries} queries")
    _round, ms, queries = timed(lambda: assessments.publish(round_=round_, by=by))
    print(f"publish (computes, freezes): {ms:7.1f} ms, {queries} queries")
    pages = [
        ("round ranking (orgdept)", "orgdept", reverse("assessment-detail", args=[round_.pk]), 200),
        ("round ranking (town office)", "town", reverse("assessment-detail", args=[round_.pk]), 200),
        ("town breakdown + its teams", "orgdept",
         reverse("assessment-unit", args=[round_.pk, "town", town.pk]), 200),
        ("printable round, 625 rows", "orgdept", reverse("assessment-print", args=[round_.pk]), None),
        ("rounds list", "orgdept", reverse("assessment-list"), None),
        ("inspections list", "orgdept", reverse("inspection-list"), None),
        ("API round with 625 results", "orgdept", f"/api/v1/assessments/{round_.pk}/", None),
    ]
    print(f"{REQUESTS} requests each")
    print(f"{'page':32} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8} {'KiB':>6}")
    failed = False
    clients = {}
    for name, who, url, budget in pages:
        client = clients.setdefault(who, client_for(who))
        r = measure(client, url)
        ok = budget is None or r["p95"] <= budget
        failed |= not ok
        print(f"{name:32} {r['p50']:8.1f} {r['p95']:8.1f} {r['max']:8.1f} {r['queries']:8d} "
              f"{r['bytes'] / 1024:6.0f} {'ok' if ok else 'OVER'}")
    return failed


if __name__ == "__main__":
    main()
