"""Handing work to the workers once a change has committed, never on the request's critical path.

The work is recorded in the database before it is published (the pending changes of the figures,
an export's job, a refresh's row), so a publish that fails loses nothing: the sweeper
(`reports.tasks.sweep`, every minute) publishes it again once the broker answers. A publish therefore
tries once, bounded by REDIS_CONNECT_TIMEOUT and REDIS_SOCKET_TIMEOUT (about a second on a
frozen Redis, at once on a stopped one), and never waits on the result store: a task published
here is never waited for (`ignore_result`), so the client never subscribes to its result, which
retried for 19 s on a Redis that was down. Once Redis has failed to answer, this process leaves
it alone for QUIET seconds, so that a request noting several changes pays the timeout once."""

import logging
import time

from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

BROKER_ERRORS = (OperationalError, RedisError, OSError)
QUIET = 5.0
_quiet_until = 0.0


def available():
    """False for QUIET seconds after Redis last failed to answer this process."""
    return time.monotonic() >= _quiet_until


def unavailable(error, what):
    global _quiet_until
    _quiet_until = time.monotonic() + QUIET
    logger.warning("Redis unavailable, %s left for the sweeper: %s", what, error)


def publish(task, *args, **options):
    """Publish `task(*args)`; True if the broker took it, False (logged) if it did not answer."""
    if not available():
        logger.warning("Redis unavailable a moment ago, %s%r left for the sweeper", task.name, args)
        return False
    try:
        task.apply_async(args, retry=False, ignore_result=True, **options)
    except BROKER_ERRORS as error:
        unavailable(error, f"{task.name}{args!r}")
        return False
    return True
