"""The ledger list filtered by town, and single transitions, on the Dongguan preset.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/liaison_bench_b .venv/bin/python benchmarks/ledger.py

The database must hold `seed_demo --preset dongguan` (about 29,000 issues). Measures, in
process with Django's test client (server time: middleware, view, queries, template or
serializer), the ledger page and the API list filtered by each of several towns, as the
organization department (the whole county) and as the town office; then add_progress,
escalate and resolve on open issues, each inside a transaction rolled back afterwards, so the
data stays as seeded. Prints queries per request, median and 95th percentile.
Targets: list ≤10 queries and p95 ≤150 ms; a transition ≤50 ms.

Options (environment): REDIS_URL (default redis://127.0.0.1:6379/3), BENCH_ROUNDS (40)."""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/3")
os.environ.setdefault("CACHE_KEY_PREFIX", "bench_b")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit("Set DATABASE_URL=postgres://…/liaison_bench_b: the benchmark runs on PostgreSQL.")

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "40"))

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from issues import services  # noqa: E402
from issues.models import Issue, Level  # noqa: E402
from teams.models import Position, Town, User  # noqa: E402


def p95(values):
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def report(label, timings, queries=None):
    line = f"{label:<58} median {statistics.median(timings):6.1f} ms   p95 {p95(timings):6.1f} ms"
    if queries is not None:
        line += f"   queries {max(queries)}"
    print(line)


def measure_list(client, path, towns):
    timings, queries = [], []
    client.get(path, {"town": towns[0].pk} if towns else {})
    for i in range(ROUNDS):
        params = {"town": towns[i % len(towns)].pk} if towns else {}
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path, params)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        queries.append(len(captured))
    return timings, queries


def measure_transition(name, issue_ids, action):
    """Each issue and user loaded as a request would; the service call is timed."""
    timings = []
    for pk in issue_ids:
        with transaction.atomic():
            issue = Issue.objects.select_related("current_step").get(pk=pk)
            by = User.objects.get(pk=issue.first_responder_id)
            started = time.perf_counter()
            action(issue, by)
            timings.append((time.perf_counter() - started) * 1000)
            transaction.set_rollback(True)
    report(f"transition: {name}", timings)


def main():
    total = Issue.objects.count()
    if total < 20_000:
        sys.exit(f"Only {total} issues: seed the database with `manage.py seed_demo --preset dongguan` first.")
    print(f"{total} issues, {Issue.objects.filter(status=Issue.Status.OPEN).count()} open")
    orgdept = User.objects.get(username="orgdept")
    office = Position.objects.select_related("user", "town").get(
        kind=Position.Kind.TOWN_OFFICE, user__username="town"
    )
    towns = list(Town.objects.filter(county__in=orgdept.positions.values("county")).order_by("pk")[:8])

    for user, who, town_list in ((orgdept, "organization department", towns),
                                 (office.user, "town office", [office.town])):
        client = Client()
        client.force_login(user)
        for path, what in (("/issues/", "ledger page"), ("/api/v1/issues/", "API list")):
            timings, queries = measure_list(client, path, town_list)
            report(f"{what} ?town=… as {who}", timings, queries)
    client = Client()
    client.force_login(orgdept)
    timings, queries = measure_list(client, "/issues/", [])
    report("ledger page, whole county, no filter (for reference)", timings, queries)

    # As the first responder, a member of the village's team.
    village_open = list(
        Issue.objects.filter(status=Issue.Status.OPEN, level=Level.VILLAGE).values_list("pk", flat=True)[:ROUNDS]
    )
    measure_transition("add_progress", village_open,
                       lambda i, by: services.add_progress(issue=i, by=by, note="已电话联系反映人"))
    measure_transition("escalate to the town", village_open,
                       lambda i, by: services.escalate(issue=i, by=by, reason="需镇街协调"))
    measure_transition("resolve", village_open, lambda i, by: services.resolve(issue=i, by=by, result="已解决"))


if __name__ == "__main__":
    main()
