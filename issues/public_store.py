"""The public status of recently looked-up issues, kept in Redis so that a resident who looks
again is answered in one round trip, without the database or the template engine.

Each issue has one hash, filled only after a lookup matched: the digest of its code and phone
digits (never the digits), the public status and the rendered status page per language, the
version it was read at (the issue's newest timeline event) and the time it stops being valid
(a deadline passing or the date changing alters the page).

Only a lookup whose digits match is answered here. Any other (wrong digits, no such issue, no
entry) goes to the database behind the failed-lookup limits exactly as before, so a wrong
phone and a missing code still cost the same work.

Every ledger change writes a timeline event, and every event marks the issue's hash with its
version before the transaction commits (`forget`). An entry read from the database before that
carries an older version and is refused, so no lookup sees a page older than the last change
once it has committed. Renamed villages, categories or officials show within `SECONDS`.

Without Redis (`make run`'s local memory cache) there is no store: every lookup reads the
database."""

import logging
import math
import pickle
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac
from redis.exceptions import RedisError

from issues import ratelimit

SECONDS = 10 * 60
# A version mark outlives any database read that started before it.
MARK_SECONDS = SECONDS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Found:
    """A lookup that matched: the public status, or the page already rendered for the asked
    language (then `status` is None)."""

    code: str
    version: int
    status: object = None
    page: str | None = None


def digest(code, phone_last4):
    return salted_hmac("issues.public_store", f"{code}:{phone_last4}", algorithm="sha256").hexdigest()


def _format():
    """A fingerprint of what a kept entry depends on: after a deploy that changes the status
    page, its data or its wording, lookups use fresh keys and the old entries expire."""
    checksum = 0
    sources = [Path(__file__).with_name("public.py"), *(
        settings.BASE_DIR / "templates" / name for name in ("base.html", "public/status.html")
    ), *sorted(settings.BASE_DIR.glob("*/locale/zh_Hans/LC_MESSAGES/django.mo")),
        *settings.BASE_DIR.glob("locale/zh_Hans/LC_MESSAGES/django.mo")]
    for source in sources:
        checksum = zlib.crc32(source.read_bytes(), checksum)
    return f"{checksum:08x}"


_FORMAT = _format()


def _key(code):
    return f"public-lookup:issue:{_FORMAT}:{code}"


# KEYS: address failures, code count, the issue's hash. ARGV: address limit, code limit, digest,
# page field ('' for none), now. Refuses nothing and counts nothing: a lookup it does not answer goes on to
# `ratelimit.begin`, which does.
_PROBE = """
if tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[1]) then return false end
if tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[2]) then return false end
local entry = redis.call('HMGET', KEYS[3], 'digest', 'until', 'v')
if entry[1] ~= ARGV[3] or tonumber(entry[2]) <= tonumber(ARGV[5]) then return false end
if ARGV[4] ~= '' then
  local page = redis.call('HGET', KEYS[3], ARGV[4])
  if page then return {entry[3], 'page', page} end
end
return {entry[3], 'status', redis.call('HGET', KEYS[3], 'status')}
"""
# KEYS: the hash. ARGV: version, digest, until, status, seconds to keep.
_FILL = """
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '-1')
local new = tonumber(ARGV[1])
if v > new or (v == new and redis.call('HEXISTS', KEYS[1], 'digest') == 1) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'digest', ARGV[2], 'until', ARGV[3], 'status', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""
# KEYS: the hash. ARGV: version, page field, page.
_KEEP_PAGE = """
if redis.call('HGET', KEYS[1], 'v') == ARGV[1] and redis.call('HEXISTS', KEYS[1], 'digest') == 1 then
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
end
"""
# KEYS: the hash. ARGV: version, seconds to keep.
_FORGET = """
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '-1')
if v < tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'v', ARGV[1])
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
"""
def _page_field(language):
    return f"page:{language}" if language else ""


def probe(*, address, code, phone_last4, language=None, now=None):
    """The stored answer when the digits match the stored entry and no limit is reached, else
    None. With a language, the rendered page is returned if the store has it."""
    client = ratelimit.redis_client()
    if client is None:
        return None
    now = now or time.time()
    (address_key, address_limit, _), (code_key, code_limit, _) = ratelimit.keys(address, code, now)
    answer = ratelimit.run_script(
        client, _PROBE, [address_key, code_key, _key(code)],
        [address_limit, code_limit, digest(code, phone_last4), _page_field(language), now],
    )
    if not answer:
        return None
    version, kind, payload = answer
    if kind == b"page":
        return Found(code=code, version=int(version), page=payload.decode())
    return Found(code=code, version=int(version), status=pickle.loads(payload))


def valid_until(status, now):
    """When the page stops being true by itself: a deadline passes or the date changes
    (received dates and officials' roles are read for a day)."""
    local = timezone.localtime(now)
    midnight = timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), datetime.min.time()))
    ends = [now + timedelta(seconds=SECONDS), midnight]
    if status.due_at is not None and status.due_at > now:
        ends.append(status.due_at)
    return min(ends)


def fill(found, *, phone_last4, now=None):
    """Keeps a matched lookup's status, unless the issue changed since it was read."""
    client = ratelimit.redis_client()
    if client is None:
        return
    now = now or timezone.now()
    until = valid_until(found.status, now)
    seconds = max(1, math.ceil((until - now).total_seconds()))
    ratelimit.run_script(
        client, _FILL, [_key(found.code)],
        [found.version, digest(found.code, phone_last4), until.timestamp(), pickle.dumps(found.status), seconds],
    )


def keep_page(found, *, language, page):
    """Adds the page rendered for `found` in `language`, unless the issue changed meanwhile."""
    client = ratelimit.redis_client()
    if client is not None:
        ratelimit.run_script(client, _KEEP_PAGE, [_key(found.code)], [found.version, _page_field(language), page])


def forget(code, *, version):
    """The issue changed (its newest event is `version`): drops what is kept and refuses older
    entries. A Redis failure must not stop the ledger: the entry then ends with its time."""
    client = ratelimit.redis_client()
    if client is None:
        return
    try:
        ratelimit.run_script(client, _FORGET, [_key(code)], [version, MARK_SECONDS])
    except RedisError:
        logger.warning("Could not mark the public status of %s as changed", code, exc_info=True)
