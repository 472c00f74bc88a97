"""The read replica: how soon a commit on the primary can be read on the replica, what the lag
check costs, and the same pages read from the replica (a reader) and from the primary (a user who
has just written), in server time and queries on each side.

    DATABASE_URL=postgres://…@db/liaison_bench DATABASE_REPLICA_URL=postgres://…@db-replica/liaison_bench \
      REDIS_URL=redis://… .venv/bin/python benchmarks/replica.py

The replica is a streaming replica of DATABASE_URL's server (README: Production, read replica), on
a database seeded with `seed_demo` (any preset). It only reads, and commits empty transactions on
the primary to time the replication."""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from liaison import replica  # noqa: E402
from teams.models import Position, User  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS") or 30)
COMMITS = 50


def percentiles(samples):
    samples = sorted(samples)
    return statistics.median(samples), samples[max(int(len(samples) * 0.95) - 1, 0)], samples[-1]


def replication_delay():
    """Milliseconds from a commit on the primary until the replica has replayed it."""
    delays = []
    with connections["default"].cursor() as primary, connections["replica"].cursor() as standby:
        for _ in range(COMMITS):
            primary.execute("SELECT txid_current()")  # an xid: its commit is written to the WAL
            started = time.perf_counter()
            primary.execute("SELECT pg_current_wal_lsn()::text")
            (lsn,) = primary.fetchone()
            while True:
                standby.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
                if standby.fetchone()[0]:
                    break
                if time.perf_counter() - started > 10:
                    sys.exit("The replica did not replay a commit within 10 s: is it streaming from DATABASE_URL?")
            delays.append((time.perf_counter() - started) * 1000)
    return delays


def lag_check():
    times = []
    for _ in range(COMMITS):
        started = time.perf_counter()
        seconds = replica.lag()
        times.append((time.perf_counter() - started) * 1000)
        if seconds is None:
            sys.exit("The replica does not answer (DATABASE_REPLICA_URL).")
    return times, seconds


def measure(client, url, wrote):
    """Server time and queries on each side, as a reader (wrote=False) or a writer."""
    times, sides = [], {}
    for _ in range(REQUESTS + 1):
        if wrote:
            client.cookies["liaison_wrote"] = "1"
        else:
            client.cookies.pop("liaison_wrote", None)
        with CaptureQueriesContext(connections["default"]) as primary, \
                CaptureQueriesContext(connections["replica"]) as standby:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        sides = {"primary": len(primary), "replica": len(standby)}
    return percentiles(times[1:]), sides  # the first warms the connections and caches


def main():
    if "replica" not in settings.DATABASES:
        sys.exit("Set DATABASE_REPLICA_URL (and DATABASE_URL, REDIS_URL): see this script's docstring.")
    org = Position.objects.filter(kind=Position.Kind.ORG_DEPARTMENT, user__username="orgdept").first()
    if org is None:
        sys.exit("Seed the database first (manage.py seed_demo).")
    cache.delete(f"replica:wrote:user:{org.user_id}")  # a write of a run before this one
    delays = replication_delay()
    checks, seconds = lag_check()
    print(f"commit on the primary → replayed on the replica ({COMMITS} commits): "
          "p50 {:.2f} ms, p95 {:.2f} ms, max {:.2f} ms".format(*percentiles(delays)))
    print("lag check (one query on the replica, once a second per process): "
          "p50 {:.2f} ms, p95 {:.2f} ms, max {:.2f} ms; lag now {:.3f} s (bound {} s)".format(
              *percentiles(checks), seconds, settings.DATABASE_REPLICA_MAX_LAG))

    client = Client()
    client.force_login(User.objects.get(username="orgdept"))
    pages = [
        ("county dashboard", reverse("dashboard", args=["county", org.county_id])),
        ("issue ledger", reverse("issue-list")),
        ("issues API, 50", "/api/v1/issues/"),
        ("visit diary", reverse("visit-diary")),
    ]
    print(f"\n{REQUESTS} requests each as orgdept; queries: on the primary / on the replica")
    print(f"{'page':18} {'read from':10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>9}")
    for name, url in pages:
        for label, wrote in (("replica", False), ("primary", True)):
            (p50, p95, worst), sides = measure(client, url, wrote)
            print(f"{name:18} {label:10} {p50:8.1f} {p95:8.1f} {worst:8.1f} "
                  f"{sides['primary']:>4} / {sides['replica']:<3}")


if __name__ == "__main__":
    main()
