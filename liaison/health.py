"""What /healthz answers a load balancer: is each service this site needs there and keeping up.

Each check is one cheap read (a query on an index, a Redis command) and never raises: a service
that is down is a failing check, so the answer is a 503 naming it, never a 500. Nothing personal
is read, and nothing read is shown beyond ages and counts."""

import math
import time

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import Min
from django.utils import timezone

from liaison import replica as replica_router
from reports.models import PendingChange

HEARTBEAT_KEY = "worker-heartbeat:{queue}"


def queues():
    """Every queue some worker must read: each kind of work's (settings.WORK) and the default."""
    return [*settings.WORK, settings.CELERY_TASK_DEFAULT_QUEUE]


def beat(queue=None):
    """A worker's sign of life on `queue` (every queue when None), written by the beat-scheduled
    task `liaison.tasks.heartbeat`, which beat sends once to each queue."""
    for name in [queue] if queue else queues():
        cache.set(HEARTBEAT_KEY.format(queue=name), time.time(), timeout=None)


def database():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
    return True, {}


def replica():
    """The replica's lag, as the router measures it (liaison/replica.py): failing when it does not
    answer, has replayed nothing yet, or is further behind than HEALTH_REPLICA_LAG_SECONDS (the
    router then already reads the primary: this says the replica needs seeing to)."""
    seconds = replica_router.lag()
    if seconds is None:
        return False, {"error": "not answering"}
    if math.isinf(seconds):
        return False, {"error": "nothing replayed yet"}
    return seconds <= settings.HEALTH_REPLICA_LAG_SECONDS, {"lag_seconds": round(seconds, 1)}


def redis_server():
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
    )
    try:
        client.ping()
    finally:
        client.close()
    return True, {}


def worker():
    """A worker reads each queue: every queue's heartbeat is fresh. A queue nobody reads (its
    workers down, or never started with its -Q) is named; `age_seconds` is the oldest's."""
    now, ages = time.time(), {}
    for name, beaten in cache.get_many([HEARTBEAT_KEY.format(queue=q) for q in queues()]).items():
        ages[name.split(":", 1)[1]] = round(now - beaten, 1)
    stale = [q for q in queues() if ages.get(q) is None or ages[q] > settings.HEALTH_WORKER_STALE_SECONDS]
    details = {"age_seconds": max(ages.values(), default=None), "queues": {q: ages.get(q) for q in queues()}}
    if stale:
        details["error"] = "no fresh heartbeat: " + ", ".join(stale)
    return not stale, details


def pending_changes():
    """The oldest change the figures have not caught up with yet (DESIGN.md: within a minute)."""
    oldest = PendingChange.objects.aggregate(oldest=Min("noted_at"))["oldest"]
    age = round((timezone.now() - oldest).total_seconds(), 1) if oldest else 0.0
    return age <= settings.HEALTH_PENDING_SECONDS, {"oldest_age_seconds": age}


def checks():
    """The checks that apply here: Redis and its worker only where Redis is configured (without
    it tasks run in-process), the replica only where one is."""
    found = {"database": database}
    if replica_router.REPLICA in connections:
        found["replica"] = replica
    if settings.REDIS_URL:
        found["redis"] = redis_server
        found["worker"] = worker
    found["pending_changes"] = pending_changes
    return found


def report(only=None):
    """(healthy, {name: {"ok": …, …}}) for every check, or those named in `only`."""
    results = {}
    for name, check in checks().items():
        if only and name not in only:
            continue
        started = time.perf_counter()
        try:
            ok, details = check()
        except Exception as error:  # a service down is a failing check, whatever it raises
            ok, details = False, {"error": type(error).__name__}
        results[name] = {"ok": ok, **details, "ms": round((time.perf_counter() - started) * 1000, 1)}
    return all(result["ok"] for result in results.values()), results
