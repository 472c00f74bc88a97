"""Server time and queries of the household list of a ~1,000-household village and the visit
diary of a team with ~1,000 visits, 50 requests each, on the dongguan preset.

    DATABASE_URL=postgres://…/liaison_bench python manage.py seed_demo --preset dongguan
    DATABASE_URL=postgres://…/liaison_bench .venv/bin/python benchmarks/visits_pages.py

Budget: at most 10 queries and 150 ms at the 95th percentile for each page."""

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
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from teams.models import REQUIRED_ROLES, Membership, Team  # noqa: E402
from visits.models import Household  # noqa: E402

REQUESTS = 50
MAX_QUERIES = 10
MAX_P95_MS = 150


def measure(client, url, params=None):
    times, queries = [], set()
    client.get(url, params)  # warm up the connection and the caches
    for _ in range(REQUESTS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, params)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries.add(len(captured))
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[int(len(times) * 0.95) - 1],
        "max": times[-1],
        "queries": max(queries),
    }


def main():
    team = (
        Team.objects.annotate(visit_count=Count("visits"))
        .filter(visit_count__gte=1000)
        .order_by("visit_count", "pk")
        .first()
    ) or Team.objects.annotate(visit_count=Count("visits")).order_by("-visit_count").first()
    if team is None:
        sys.exit("No teams: seed the dongguan preset first (manage.py seed_demo --preset dongguan).")
    member = (
        Membership.objects.filter(team=team, role__in=REQUIRED_ROLES, end_date__isnull=True)
        .select_related("user")
        .first()
        .user
    )
    households = Household.objects.filter(village=team.village_id, is_active=True).count()
    client = Client()
    client.force_login(member)
    pages = [
        (f"household list, {households} households", reverse("household-list", args=[team.village_id]), None),
        ("household list, not visited this year", reverse("household-list", args=[team.village_id]),
         {"not_visited": "true"}),
        ("household list, search", reverse("household-list", args=[team.village_id]), {"q": "陈"}),
        (f"visit diary, {team.visit_count} visits", reverse("visit-diary"), {"team": team.pk}),
        ("visit diary, household visits", reverse("visit-diary"), {"team": team.pk, "kind": "household"}),
    ]
    print(f"{team} · {member} · {REQUESTS} requests each")
    print(f"{'page':45} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")
    failed = False
    for name, url, params in pages:
        r = measure(client, url, params)
        ok = r["queries"] <= MAX_QUERIES and r["p95"] <= MAX_P95_MS
        failed |= not ok
        print(f"{name:45} {r['p50']:8.1f} {r['p95']:8.1f} {r['max']:8.1f} {r['queries']:8d} {'ok' if ok else 'OVER'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
