"""The read replica (DATABASE_REPLICA_URL, README: Environment): the database router, the lag
check, and who wrote lately.

A read goes to the replica only when the code running allows it (core.replica.reading: the
read-only requests), outside any transaction on the primary, and while the replica answers and is
at most DATABASE_REPLICA_MAX_LAG seconds behind; else it goes to the primary, without an error.
Every write, and every read of a write (select_for_update, get_or_create), goes to the primary.
A client that wrote reads from the primary for REPLICA_OWN_WRITES_SECONDS, so it sees its writes."""

import hashlib
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, connections
from redis.exceptions import RedisError

from core import replica as intent

logger = logging.getLogger(__name__)

REPLICA = "replica"
# Signing in, sessions and API tokens: read before a request knows whether its client just wrote
# (a session made by the sign-in a moment ago), and one indexed row each.
PRIMARY_ONLY_APPS = {"sessions", "knox", "axes"}
# A replica that did not answer is asked again after this long: meanwhile no request waits on
# connecting to it (up to its connect_timeout).
RETRY_LOST_SECONDS = 10

# How far behind the primary the replica's data is, in seconds: 0 when it has replayed all the
# WAL it received, else the time since the last transaction it replayed was committed (which
# assumes the two machines' clocks agree, as NTP keeps them). NULL: nothing replayed yet.
LAG_SQL = """
    SELECT CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
                ELSE EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()) END
"""


class Router:
    """In DATABASE_ROUTERS only when DATABASE_REPLICA_URL is set."""

    def db_for_read(self, model, **hints):
        if (
            intent.allowed()
            and model._meta.app_label not in PRIMARY_ONLY_APPS
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
            and usable()
        ):
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the primary's rows: an object read there is the same row

    def allow_migrate(self, db, app_label, **hints):
        return db == DEFAULT_DB_ALIAS


class _Health:
    checked_at = -math.inf
    usable = False
    lost = False


_health = _Health()


def usable(again=False):
    """Whether the replica answered and was within the lag bound when last checked: once every
    DATABASE_REPLICA_CHECK_SECONDS per process (the bound thus holds within that much), once
    every RETRY_LOST_SECONDS while it does not answer; `again`: checked again at once."""
    if again:
        forget()
    now = time.monotonic()
    wait = RETRY_LOST_SECONDS if _health.lost else settings.DATABASE_REPLICA_CHECK_SECONDS
    if now - _health.checked_at >= wait:
        seconds = lag()
        behind = seconds is not None and seconds > settings.DATABASE_REPLICA_MAX_LAG
        if behind and _health.usable:
            logger.warning("Read replica %.1f s behind, reading from the primary", seconds)
        _health.lost = seconds is None
        _health.usable = seconds is not None and not behind
        _health.checked_at = now
    return _health.usable


def lag():
    """Seconds the replica is behind the primary (infinite before it replayed anything), or None
    if it does not answer."""
    connection = connections[REPLICA]
    try:
        with connection.cursor() as cursor:
            cursor.execute(LAG_SQL)
            (seconds,) = cursor.fetchone()
    except (DatabaseError, InterfaceError) as error:
        logger.warning("Read replica not answering, reading from the primary: %s", error)
        connection.close()
        return None
    return math.inf if seconds is None else float(seconds)


def forget():
    """The next read checks the replica again."""
    _health.checked_at = -math.inf
    _health.lost = False


def _client_keys(request, user):
    """Who the client is: its user, and its API token (the user behind a token is known only
    once the API view has authenticated it, after this middleware has chosen a database)."""
    keys = []
    if user is not None and user.is_authenticated:
        keys.append(f"replica:wrote:user:{user.pk}")
    header = request.META.get("HTTP_AUTHORIZATION")
    if header:
        keys.append("replica:wrote:credential:" + hashlib.sha256(header.encode()).hexdigest())
    return keys


def wrote_lately(request):
    """True if this client wrote within REPLICA_OWN_WRITES_SECONDS, or if Redis cannot say."""
    keys = _client_keys(request, getattr(request, "user", None))
    if not keys:
        return False
    try:
        return bool(cache.get_many(keys))
    except (RedisError, OSError):
        return True


def note_write(request):
    """After a request that may have written: its client reads the primary for a while. The
    user is the one the view authenticated (an API token's included)."""
    keys = _client_keys(request, getattr(request, "user", None))
    if not keys:
        return
    try:
        cache.set_many(dict.fromkeys(keys, 1), timeout=settings.REPLICA_OWN_WRITES_SECONDS)
    except (RedisError, OSError) as error:
        # Then wrote_lately cannot answer either, and every request reads the primary.
        logger.warning("Redis unavailable, a write not noted for the read replica: %s", error)
