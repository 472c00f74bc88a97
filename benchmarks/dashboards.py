"""Server time and queries of the dashboards, the records behind their figures, the household
coverage overview and the residents' statistics, 30 requests each, on the dongguan preset with
its figures computed (seed_demo computes them).

    DATABASE_URL=postgres://…/liaison_bench python manage.py seed_demo --preset dongguan
    DATABASE_URL=postgres://…/liaison_bench .venv/bin/python benchmarks/dashboards.py

Budget: every page at most 150 ms at the 95th percentile in a constant number of queries; a
dashboard at most 100 ms and 15 queries."""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from reports import periods as P  # noqa: E402
from teams.models import Position, Team, User  # noqa: E402

REQUESTS = 30


def measure(client, url, requests=REQUESTS):
    times, queries = [], set()
    client.get(url)  # warm up the connection and the caches
    for _ in range(requests):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries.add(len(captured))
    times.sort()
    return {"p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1], "max": times[-1],
            "queries": max(queries), "bytes": len(response.content)}


def client_for(username):
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def main():
    org = Position.objects.filter(kind=Position.Kind.ORG_DEPARTMENT, user__username="orgdept").first()
    if org is None or Team.objects.count() < 500:
        sys.exit("Seed the dongguan preset first (manage.py seed_demo --preset dongguan).")
    county = org.county
    town = Position.objects.get(user__username="town").town
    team = Team.objects.filter(memberships__user__username="leader").first()
    today = timezone.localdate()
    month, week, year = (P.of(kind, today).key for kind in ("month", "week", "year"))
    dashboard = lambda unit, pk, period: reverse("dashboard", args=[unit, pk]) + f"?period={period}"  # noqa: E731
    records = lambda unit, pk, metric, period, show="": (  # noqa: E731
        reverse("dashboard-records", args=[unit, pk, metric]) + f"?period={period}{show}")
    pages = [
        # (name, who, url, dashboard?)
        ("county dashboard, month", "orgdept", dashboard("county", county.pk, month), True),
        ("county dashboard, week, ranked", "orgdept", dashboard("county", county.pk, week) + "&sort=attendance", True),
        ("county dashboard, year", "orgdept", dashboard("county", county.pk, year), True),
        ("town dashboard, month", "town", dashboard("town", town.pk, month), True),
        ("team dashboard, month", "leader", dashboard("team", team.pk, month), True),
        ("county attendance records, month", "orgdept", records("county", county.pk, "attendance", month), False),
        ("county timely records, month", "orgdept", records("county", county.pk, "timely", month), False),
        ("county resolution records, month", "orgdept", records("county", county.pk, "resolution", month), False),
        ("town coverage records, month", "town", records("town", town.pk, "coverage", month), False),
        ("team coverage records, year, all", "leader",
         records("team", team.pk, "coverage", year, "&show=all"), False),
        ("visit coverage, towns", "orgdept", reverse("coverage"), False),
        ("visit coverage, a town's villages", "orgdept", reverse("coverage") + f"?town={town.pk}", False),
        ("residents' statistics", None, reverse("public-statistics"), False),
    ]
    print(f"{county} · {town} · {team} · {REQUESTS} requests each")
    print(f"{'page':40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")
    failed = False
    clients = {}
    for name, who, url, is_dashboard in pages:
        client = clients.setdefault(who, client_for(who) if who else Client())
        r = measure(client, url)
        ok = r["p95"] <= (100 if is_dashboard else 150) and (r["queries"] <= 15 or not is_dashboard)
        failed |= not ok
        print(f"{name:40} {r['p50']:8.1f} {r['p95']:8.1f} {r['max']:8.1f} {r['queries']:8d} {'ok' if ok else 'OVER'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
