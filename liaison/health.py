"""What /healthz answers a load balancer: is each service this site needs there and keeping up.

Each check is one cheap read (a query on an index, a Redis command) and never raises: a service
that is down is a failing check, so the answer is a 503 naming it, never a 500. Nothing personal
is read, and nothing read is shown beyond ages and counts."""

import time

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import Min
from django.utils import timezone

from reports.models import PendingChange

HEARTBEAT_KEY = "worker-heartbeat"


def beat():
    """A worker's sign of life, written by the beat-scheduled task `liaison.tasks.heartbeat`."""
    cache.set(HEARTBEAT_KEY, time.time(), timeout=None)


def database():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
    return True, {}


def replica(using="replica"):
    """The replica's lag: 0 when it has replayed all it received (an idle primary writes nothing,
    so the last replayed transaction's age alone would read as lag), else that age."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT pg_is_in_recovery(), CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
            " ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END"
        )
        in_recovery, lag = cursor.fetchone()
    if not in_recovery:
        return False, {"error": "not a replica (not in recovery)"}
    lag = round(float(lag or 0), 1)
    return lag <= settings.HEALTH_REPLICA_LAG_SECONDS, {"lag_seconds": lag}


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
    beaten = cache.get(HEARTBEAT_KEY)
    if beaten is None:
        return False, {"error": "no heartbeat"}
    age = round(time.time() - beaten, 1)
    return age <= settings.HEALTH_WORKER_STALE_SECONDS, {"age_seconds": age}


def pending_changes():
    """The oldest change the figures have not caught up with yet (DESIGN.md: within a minute)."""
    oldest = PendingChange.objects.aggregate(oldest=Min("noted_at"))["oldest"]
    age = round((timezone.now() - oldest).total_seconds(), 1) if oldest else 0.0
    return age <= settings.HEALTH_PENDING_SECONDS, {"oldest_age_seconds": age}


def checks():
    """The checks that apply here: Redis and its worker only where Redis is configured (without
    it tasks run in-process), the replica only where one is."""
    found = {"database": database}
    if "replica" in settings.DATABASES:
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
