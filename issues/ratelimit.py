"""Limits on failed public lookups, counted in the Django cache (Redis in production).

A lookup fails when the code is well formed but the code and phone digits do not match an
issue. Failures are counted per client address and per tracking code in fixed windows: once
either count reaches its limit, every lookup from that address or for that code is refused
until the window ends, successful ones included, so that the refusal tells nothing. The
per-code limit is what stops anyone from trying the 10,000 possible phone endings.

Only failures count: a resident looking up their own issue again and again never meets a limit,
so the per-code one can stay as low as 5 an hour. Each count is one atomic increment (Redis
INCR), but the check comes before the lookup and the count after it, so lookups of a code
already running when it reaches its limit still answer: at most one more per other server
worker (a sync worker serves one request at a time), a guess or two out of 10,000. Holding a
slot of the code's count for every lookup while it runs would close that gap at the cost of
more machinery than it is worth.

Plain cache calls rather than django-ratelimit: its windows start at an offset per key, and the
answer must say when the window ends (Retry-After and the time to try again).

When Redis is down or does not answer within its timeouts (REDIS_SOCKET_TIMEOUT), `Unavailable`
is raised and the lookup answers 503 rather than going on without the limits: the per-code limit
is all that keeps the 10,000 phone endings from being tried, and a matched lookup hands out the
rating form, with which a stranger could reopen the issue or mark it dissatisfied. Residents can
still ask their village's team; every other page works without Redis."""

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# (failures allowed, window in seconds)
PER_ADDRESS = (20, 15 * 60)
PER_CODE = (5, 60 * 60)


@dataclass(frozen=True)
class Blocked:
    until: float

    @property
    def retry_after(self):
        """Whole seconds until the window ends, at least one."""
        return max(1, int(self.until - time.time() + 0.999))

    @property
    def until_local(self):
        return timezone.localtime(datetime.fromtimestamp(self.until, tz=UTC))

    def message(self):
        minutes = (self.retry_after + 59) // 60
        return _(
            "Too many unsuccessful lookups. Please try again after %(time)s (in about %(minutes)s minutes), "
            "or ask your village's liaison team."
        ) % {"time": self.until_local.strftime("%H:%M"), "minutes": minutes}


UNAVAILABLE_MESSAGE = gettext_lazy(
    "Looking up issues is unavailable for a few minutes. Please try again later, "
    "or ask your village's liaison team."
)
UNAVAILABLE_RETRY_AFTER = 60


class Unavailable(Exception):
    """The counts of failed lookups cannot be read or written: Redis is down or not answering."""


@contextmanager
def _counting():
    try:
        yield
    except RedisError as error:
        logger.error("Public lookups refused: their limits cannot be counted in Redis (%s)", error)
        raise Unavailable from error


def client_address(request):
    """The client's address as the server saw it. Behind a reverse proxy, the proxy must pass
    the client's address in REMOTE_ADDR (e.g. gunicorn's --forwarded-allow-ips)."""
    return request.META.get("REMOTE_ADDR", "")


def keys(address, code, now):
    """(cache key, limit, end of window) for the address's failures and the code's."""
    result = []
    for kind, value, (limit, window) in (("ip", address, PER_ADDRESS), ("code", code, PER_CODE)):
        start = int(now // window) * window
        result.append((f"public-lookup:{kind}:{value}:{start}", limit, start + window))
    return result


def blocked(*, address, code):
    """A Blocked with the time the longest refusal ends, or None when lookups are allowed."""
    counters = keys(address, code, time.time())
    with _counting():
        counts = cache.get_many([key for key, _limit, _until in counters])
    ends = [until for key, limit, until in counters if counts.get(key, 0) >= limit]
    return Blocked(until=max(ends)) if ends else None


def record_failure(*, address, code):
    now = time.time()
    with _counting():  # the first call that fails ends the counting: one timeout, not four
        for key, _limit, until in keys(address, code, now):
            timeout = int(until - now) + 1
            cache.add(key, 0, timeout)
            try:
                cache.incr(key)
            except ValueError:
                # The window ended between add and incr: count the failure in a fresh one.
                cache.set(key, 1, timeout)
