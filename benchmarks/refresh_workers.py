"""The full refresh of a county split across real Celery worker processes on the figures' queue:
one solo worker, two solo workers, and the README's production figures worker (one prefork
worker, --concurrency 2). Prints each one's time (median of BENCH_ROUNDS), the two-to-one ratio,
and what the work was, read from the workers' own logs: the time spent in the towns' tasks
(REFRESH_PARTS of them, each a share of the towns), the longest, the county's last task, the
workers' CPU time, and how many of their queries run at once in PostgreSQL (sampled), of which
how many wait on a lock.

    createdb -h 127.0.0.1 -U postgres -T liaison_dg liaison_bench   # the refresh writes: a copy
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/liaison_bench REDIS_URL=redis://127.0.0.1:6379/4 \\
        .venv/bin/python benchmarks/refresh_workers.py

Options (environment): BENCH_ROUNDS (3), BENCH_COUNTY (a county's id; default the county with the
most towns).

Reading it on two cores: two workers can at best halve the towns' part (the county's last task
and the start are one worker's), and PostgreSQL, which computes most of every town, runs on the
same two cores; on a machine shared with other work the ratio is lower still. The bound printed
beside the ratio is the one worker's towns' work shared as evenly as its tasks allow between two
workers, nothing else moved."""

import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
os.environ.setdefault("CACHE_KEY_PREFIX", "bench")
if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
    sys.exit("Set DATABASE_URL=postgres://… (a copy: the refresh writes) and REDIS_URL=redis://….")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402

from liaison.celery import app  # noqa: E402
from reports.figures import services, tasks  # noqa: E402
from reports.models import Refresh  # noqa: E402
from teams.models import County  # noqa: E402

QUEUE = "figures"
SETUPS = {  # name: (worker processes, their pool options)
    "1 solo worker": (1, ["--pool=solo"]),
    "2 solo workers": (2, ["--pool=solo"]),
    "1 prefork worker, --concurrency 2": (1, ["--pool=prefork", "--concurrency=2"]),
}
SUCCEEDED = re.compile(r"Task (reports\.tasks\.\w+)\[[^]]+\] succeeded in ([\d.]+)s")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User and system time of a process and of its children still running (a prefork pool's)."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    total = 0
    for each in [str(pid), *children]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def start_workers(count, pool, logs):
    procs = [subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "liaison", "worker", *pool, "-Q", QUEUE, "-n", f"bench{i}@%h",
         "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=INFO"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(logs / f"worker{i}.log", "a"),  # noqa: SIM115
    ) for i in range(count)]
    deadline = time.monotonic() + 120
    while len(app.control.ping(timeout=1) or []) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"the workers did not answer: see {logs}")
    return procs


def task_seconds(logs, offsets):
    """Each task's seconds, as its worker logged them, since the offsets."""
    found = []
    for path in sorted(logs.glob("worker*.log")):
        with path.open() as log:
            log.seek(offsets.get(path, 0))
            found += [(name, float(seconds)) for name, seconds in SUCCEEDED.findall(log.read())]
    return found


def one_refresh(county, procs, logs):
    offsets = {path: path.stat().st_size for path in logs.glob("worker*.log")}
    cpu = sum(cpu_seconds(proc.pid) for proc in procs)
    refresh = services.start_full_refresh(county)
    started = time.perf_counter()
    tasks.dispatch_full_refresh(refresh)
    deadline = started + 900
    samples = []
    while (status := Refresh.objects.get(pk=refresh.pk).status) != Refresh.Status.DONE:
        if status == Refresh.Status.FAILED or time.perf_counter() > deadline:
            raise SystemExit(f"the refresh {status}: see {logs}")
        samples.append(sessions())
        time.sleep(0.1)
    wall = time.perf_counter() - started
    time.sleep(0.5)  # the last task's log line
    cpu = sum(cpu_seconds(proc.pid) for proc in procs) - cpu
    return wall, cpu, task_seconds(logs, offsets), samples


def sessions():
    """The workers' database sessions at this moment: how many are running a query, and how many
    of those wait on a lock (towns that would run side by side, waiting on each other)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type = 'Lock', left(query, 90) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()")
        rows = cursor.fetchall()
    return len(rows), [query for waiting, query in rows if waiting]


def main():
    county_id = os.environ.get("BENCH_COUNTY")
    county = (County.objects.get(pk=county_id) if county_id else
              County.objects.annotate(size=Count("towns")).order_by("-size", "pk").first())
    towns = county.towns.count()
    parts = min(settings.REFRESH_PARTS, towns)
    print(f"County {county.name}: {towns} towns in {parts} tasks (REFRESH_PARTS), then the county's; "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} before; median of {ROUNDS}")
    walls, town_work, longest = {}, {}, {}
    for name, (count, pool) in SETUPS.items():
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(QUEUE)
        logs = Path(tempfile.mkdtemp(prefix="refresh-workers-"))
        procs = start_workers(count, pool, logs)
        try:
            runs = [one_refresh(county, procs, logs) for _round in range(ROUNDS)]
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=60)
        wall, cpu, seen, samples = sorted(runs)[len(runs) // 2]
        town = [seconds for task, seconds in seen if task == "reports.tasks.refresh_towns"]
        county_seconds = sum(seconds for task, seconds in seen if task == "reports.tasks.finish_refresh")
        walls[name] = wall
        town_work[name], longest[name] = sum(town), max(town, default=0)
        print(f"{name:<34} {walls[name]:6.1f} s   (rounds {', '.join(f'{run[0]:.1f}' for run in runs)})   "
              f"towns' tasks {sum(town):5.1f} s, longest {max(town, default=0):4.1f} s, "
              f"county's {county_seconds:4.1f} s, workers' CPU {cpu:5.1f} s   load {os.getloadavg()[0]:.1f}")
        waits = Counter(query for _n, queries in samples for query in queries)
        print(f"  queries running at once {sum(n for n, _ in samples) / len(samples):.1f} on average, "
              f"waiting on a lock {waits.total() / len(samples):.2f}"
              + (f", most often: {waits.most_common(1)[0][0]}" if waits else ""))
        if len(town) != parts:
            print(f"  note: {len(town)} towns' tasks logged, not {parts} (see {logs})")
    one, work = walls["1 solo worker"], town_work["1 solo worker"]
    bound = one / (one - work + max(work / 2, longest["1 solo worker"]))
    for name in ("2 solo workers", "1 prefork worker, --concurrency 2"):
        print(f"speed-up of {name} over 1 solo worker: {one / walls[name]:.2f}×   "
              f"(bound: the towns' {work:.1f} s shared between two, {bound:.2f}×)")

if __name__ == "__main__":
    main()
