"""Limits on failed public lookups, kept in the Django cache (Redis in production).

A lookup fails when the code is well formed but the code and phone digits do not match an
issue. Failures are counted per client address and per tracking code in fixed windows: once
either count reaches its limit, every lookup from that address or for that code is refused
until the window ends, successful ones included, so that the refusal tells nothing. The
per-code limit is what stops anyone from trying the 10,000 possible phone endings: each
lookup that reads the database takes a slot of its code's count before it runs and gives it
back if it matches, so concurrent wrong attempts cannot get past the limit. (A lookup answered
from `public_store` only checks the counts: its digits matched.)"""

import contextlib
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone
from django.utils.translation import gettext as _

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


def client_address(request):
    """The client's address as the server saw it. Behind a reverse proxy, the proxy must pass
    the client's address in REMOTE_ADDR (e.g. gunicorn's --forwarded-allow-ips)."""
    return request.META.get("REMOTE_ADDR", "")


def keys(address, code, now):
    """(cache key, limit, end of window) for the address's failures and the code's count."""
    result = []
    for kind, value, (limit, window) in (("ip", address, PER_ADDRESS), ("code", code, PER_CODE)):
        start = int(now // window) * window
        result.append((f"public-lookup:{kind}:{value}:{start}", limit, start + window))
    return result


def blocked(*, address, code, now=None):
    """A Blocked with the time the longest refusal ends, or None when lookups are allowed."""
    counters = keys(address, code, now or time.time())
    counts = cache.get_many([key for key, _limit, _until in counters])
    ends = [until for key, limit, until in counters if counts.get(key, 0) >= limit]
    return Blocked(until=max(ends)) if ends else None


@dataclass(frozen=True)
class Attempt:
    """A lookup allowed to run: it holds one of its code's slots until it ends."""

    address_key: str
    code_key: str
    timeout: int


# On Redis, checking the address and taking the code's slot is one round trip, atomic.
_TAKE_SLOT = """
local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
if failures >= tonumber(ARGV[1]) then
  return {failures, tonumber(redis.call('GET', KEYS[2]) or '0'), 0}
end
local count = redis.call('INCR', KEYS[2])
if count == 1 then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
if count > tonumber(ARGV[2]) then
  redis.call('DECR', KEYS[2])
  return {failures, count, 0}
end
return {failures, count, 1}
"""
_GIVE_BACK = "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('DECR', KEYS[1]) end"


_clients = weakref.WeakKeyDictionary()


def redis_client():
    """The Redis client behind the default cache, or None with another backend (local memory
    in development). One per cache connection: Django's `get_client` builds a new client object
    on every call, which costs more than the round trip."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    connection = backend._cache
    if connection not in _clients:
        _clients[connection] = connection.get_client(write=True)
    return _clients[connection]


_scripts = {}


def run_script(client, source, keys, args):
    """Runs a Lua script on `keys` (cache keys, prefixed here). Registered once per process:
    each call then sends only the script's hash (EVALSHA)."""
    if source not in _scripts:
        _scripts[source] = client.register_script(source)
    # Our keys are plain ASCII: the memcached-compatibility check on each is not needed.
    make_key = caches["default"].make_key
    return _scripts[source](keys=[make_key(key) for key in keys], args=args, client=client)


def _count(key, timeout):
    """Adds one to the counter and returns the new count (Redis INCR)."""
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:
        # The window ended between add and incr: count in a fresh one.
        cache.set(key, 1, timeout)
        return 1


def _take_slot(address_key, address_limit, code_key, code_limit, timeout):
    """(failures from the address, the code's count, whether a slot was taken)."""
    client = redis_client()
    if client is not None:
        failures, count, taken = run_script(
            client, _TAKE_SLOT, [address_key, code_key], [address_limit, code_limit, timeout]
        )
        return failures, count, bool(taken)
    counts = cache.get_many([address_key, code_key])
    failures = counts.get(address_key, 0)
    if failures >= address_limit:
        return failures, counts.get(code_key, 0), False
    count = _count(code_key, timeout)
    if count > code_limit:
        _give_back(code_key)
        return failures, count, False
    return failures, count, True


def _give_back(key):
    client = redis_client()
    if client is not None:
        run_script(client, _GIVE_BACK, [key], [])
        return
    with contextlib.suppress(ValueError):
        cache.decr(key)


def begin(*, address, code, now=None):
    """(Attempt, None) when a lookup may run, else (None, Blocked). The code's slot is taken
    atomically before the lookup, so concurrent attempts never evaluate more than the limit."""
    now = now or time.time()
    (address_key, address_limit, address_until), (code_key, code_limit, code_until) = keys(address, code, now)
    failures, count, taken = _take_slot(address_key, address_limit, code_key, code_limit, int(code_until - now) + 1)
    if taken:
        return Attempt(address_key=address_key, code_key=code_key, timeout=int(address_until - now) + 1), None
    ends = [until for blocked, until in ((failures >= address_limit, address_until), (count >= code_limit, code_until))
            if blocked]
    return None, Blocked(until=max(ends))


def succeeded(attempt):
    """A match: the code's slot is given back, and nothing is counted."""
    _give_back(attempt.code_key)


def failed(attempt):
    """No match: the code's slot stays taken, and the address gets one failure more."""
    _count(attempt.address_key, attempt.timeout)
