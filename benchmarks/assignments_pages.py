"""定点联系 on the dongguan preset: "my households" of a member with 300 households, the team's
roll with each household's members (as its leader, who assigns), and distributing the households
of a ~1,000-household village evenly among its team. Everything is written inside a transaction
that is rolled back: the database is left as it was.

    DATABASE_URL=postgres://…/liaison_bench python manage.py seed_demo --preset dongguan
    (a database seeded before assignments: python manage.py seed_demo --preset dongguan --assignments-only)
    DATABASE_URL=postgres://…/liaison_bench .venv/bin/python benchmarks/assignments_pages.py

Budgets (issue 23): my households p95 ≤ 100 ms in a constant number of queries; the roll with
assignments p95 ≤ 150 ms; distributing a 1,000-household village ≤ 1 s. The reference, measured
in the same run, is the roll as a plain member sees it (the page before assignments), so the
ratios say what the assignments add on this machine under its load of the moment."""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from teams.models import Membership, Role, Team  # noqa: E402
from visits import assignments  # noqa: E402
from visits.models import Assignment, Household  # noqa: E402

REQUESTS = 50
DISTRIBUTIONS = 5
MY_HOUSEHOLDS = 300
BUDGETS = {"mine": 100, "roll": 150, "distribute": 1000}
MAX_QUERIES = {"mine": 9, "roll": 13}


def measure(pages):
    """Each page REQUESTS times, taken in turns (one request of each page a round), so that every
    page meets the same load of a shared machine and the ratios between them hold."""
    times = {name: [] for name, *_rest in pages}
    queries = {name: set() for name, *_rest in pages}
    for _name, client, url, params, _kind in pages:
        client.get(url, params)  # warm up the connection and the caches
    for _ in range(REQUESTS):
        for name, client, url, params, _kind in pages:
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url, params)
                times[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            queries[name].add(len(captured))
    results = {}
    for name, taken in times.items():
        taken.sort()
        results[name] = {"p50": statistics.median(taken), "p95": taken[int(len(taken) * 0.95) - 1],
                         "max": taken[-1], "queries": sorted(queries[name])}
    return results


def pick_team():
    """A team of a village with about 1,000 households on its roll, and its leader."""
    team = (Team.objects.annotate(n=Count("village__households")).filter(n__gte=1000).order_by("n", "pk")
            .select_related("village").first())
    if team is None or not Assignment.objects.exists():
        sys.exit("Seed the dongguan preset with its assignments first (see the docstring).")
    leader = Membership.objects.active_on(timezone.localdate()).filter(team=team, role=Role.LEADER).first().user
    member = (Membership.objects.active_on(timezone.localdate()).filter(team=team, role=Role.TOWN_CADRE)
              .order_by("pk").first().user)
    return team, leader, member


def give_300(team, leader, member):
    """The member gets households of the village until they have MY_HOUSEHOLDS (through the service)."""
    today = timezone.localdate()
    held = set(Assignment.objects.active_on(today).filter(membership__user=member).values_list("household_id",
                                                                                                 flat=True))
    more = list(Household.objects.filter(village=team.village, is_active=True).exclude(pk__in=held)
                .order_by("pk")[:MY_HOUSEHOLDS - len(held)])
    assignments.assign(by=leader, team=team, households=more, member=member)
    return Assignment.objects.active_on(today).filter(membership__user=member).count()


def row(name, r, kind):
    ok = r["p95"] <= BUDGETS[kind] and r["queries"][-1] <= MAX_QUERIES[kind] and len(r["queries"]) == 1
    print(f"{name:46} {r['p50']:8.1f} {r['p95']:8.1f} {r['max']:8.1f} {'/'.join(map(str, r['queries'])):>8} "
          f"{'ok' if ok else 'OVER'}")
    return ok


def main():
    team, leader, member = pick_team()
    households = Household.objects.filter(village=team.village, is_active=True).count()
    roll = reverse("household-list", args=[team.village_id])
    ok = True
    with transaction.atomic():
        mine_count = give_300(team, leader, member)
        as_member, as_leader = Client(), Client()
        as_member.force_login(member)
        as_leader.force_login(leader)
        print(f"{team} · {households} households · member {member} with {mine_count} · leader {leader} · "
              f"{REQUESTS} requests each (measured under the machine's load of the moment)")
        print(f"{'page':46} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")
        pages = [
            ("reference: the roll as a member", as_member, roll, None, None),
            (f"my households ({mine_count})", as_member, reverse("my-households"), None, "mine"),
            ("my households, not visited this year", as_member, reverse("my-households"), {"show": "not_visited"},
             "mine"),
            ("my households, priority not this quarter", as_member, reverse("my-households"), {"show": "priority"},
             "mine"),
            ("roll with members, as the leader", as_leader, roll, None, "roll"),
            ("roll, one member's households", as_leader, roll, {"member": member.pk}, "roll"),
            ("roll, unassigned", as_leader, roll, {"member": "none"}, "roll"),
        ]
        results = measure(pages)
        reference = results.pop(pages[0][0])
        print(f"{pages[0][0]:46} {reference['p50']:8.1f} {reference['p95']:8.1f} {reference['max']:8.1f} "
              f"{'/'.join(map(str, reference['queries'])):>8}")
        for name, _client, _url, _params, kind in pages[1:]:
            ok &= row(name, results[name], kind)
        times = []
        for _ in range(DISTRIBUTIONS):
            with transaction.atomic():
                today = timezone.localdate()
                current = Assignment.objects.active_on(today).filter(household__village=team.village)
                Assignment.objects.filter(pk__in=current.values("pk")).delete()
                started = time.perf_counter()
                given = assignments.distribute_evenly(by=leader, team=team)
                times.append((time.perf_counter() - started) * 1000)
                transaction.set_rollback(True)
        distributed = sum(given.values())
        median = statistics.median(times)
        within = max(times) <= BUDGETS["distribute"]
        ok &= within
        print(f"{f'distribute {distributed} households among {len(given)}':46} {median:8.1f} {max(times):8.1f} "
              f"{max(times):8.1f} {'':>8} {'ok' if within else 'OVER'}")
        print("ratios to the reference (p50): " + ", ".join(
            f"{name} {r['p50'] / reference['p50']:.2f}×" for name, r in results.items()))
        transaction.set_rollback(True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
