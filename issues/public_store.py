"""The status of recently looked-up issues, kept in Redis, so that a resident who looks again
is answered in one round trip, without the database or the template engine.

An issue's entries are made only after a lookup matched: its status page per language (for the
pages) and its public status (for the API), each stored with the digest of the code and phone
digits (never the digits) and the time it stops being valid (a deadline passing or the date
changing alters the page). A lookup reads the failed-lookup counters and the entry in one MGET.

Only a lookup whose digits match an entry is answered here. Any other (wrong digits, no such
issue, no entry) goes to the database behind the failed-lookup limits exactly as before, so a
wrong phone and a missing code still cost the same work.

Every ledger change writes a timeline event, and every event drops the issue's entries and
marks the issue with its version (`forget`) before the transaction commits. An entry read from
the database before that carries an older version and is not kept, so no lookup sees a page
older than the last change once it has committed. Renamed villages, categories or officials
show within `SECONDS`.

Without Redis (`make run`'s local memory cache) nothing is kept: every lookup reads the
database."""

import hmac
import logging
import math
import pickle
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone
from django.utils.crypto import salted_hmac
from redis.exceptions import RedisError

from issues import ratelimit

SECONDS = 10 * 60
# A version mark outlives any database read that started before it. A change that rolls back
# leaves its mark: the issue is then read from the database until the mark ends.
MARK_SECONDS = SECONDS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Found:
    """A lookup that matched: its public status, its status page, or both. `version` is the
    issue's newest event when read from the database, None when kept here."""

    code: str
    version: int | None = None
    status: object = None
    page: str | None = None


def digest(code, phone_last4):
    return salted_hmac("issues.public_store", f"{code}:{phone_last4}", algorithm="sha256").hexdigest()


def _format():
    """A fingerprint of what a kept entry depends on: after a deploy that changes the status
    page, its data or its wording, lookups use fresh keys and the old entries expire."""
    templates = settings.BASE_DIR / "templates"
    catalogues = sorted(settings.BASE_DIR.glob("*/locale/zh_Hans/LC_MESSAGES/django.mo"))
    catalogues += settings.BASE_DIR.glob("locale/zh_Hans/LC_MESSAGES/django.mo")
    sources = [Path(__file__).with_name("public.py"), templates / "base.html", templates / "public/status.html"]
    checksum = 0
    for source in sources + catalogues:
        checksum = zlib.crc32(source.read_bytes(), checksum)
    return f"{checksum:08x}"


_FORMAT = _format()


# KEYS: the issue's mark, the entry. ARGV: the version read, seconds to keep, the entry.
_KEEP = """
if tonumber(redis.call('GET', KEYS[1]) or '-1') > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[2])
return 1
"""
# KEYS: the issue's mark, then its entries. ARGV: the new version, seconds to keep the mark.
_FORGET = """
if tonumber(redis.call('GET', KEYS[1]) or '-1') < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
redis.call('DEL', unpack(KEYS, 2))
"""


def _entry_key(code, language):
    """The page in `language`, or with no language the status (for the API)."""
    return f"public-lookup:{_FORMAT}:page:{code}:{language}" if language else f"public-lookup:{_FORMAT}:status:{code}"


def _mark_key(code):
    return f"public-lookup:{_FORMAT}:mark:{code}"


def probe(*, address, code, phone_last4, language=None):
    """The kept answer (a Found with the page in `language`, or with the status if no language)
    when the digits match its entry and no limit is reached, else None."""
    client = ratelimit.redis_client()
    if client is None:
        return None
    now = time.time()
    (address_key, address_limit, _), (code_key, code_limit, _) = ratelimit.keys(address, code, now)
    make_key = caches["default"].make_key
    failures, count, entry = client.mget(
        [make_key(address_key), make_key(code_key), make_key(_entry_key(code, language))]
    )
    if entry is None or int(failures or 0) >= address_limit or int(count or 0) >= code_limit:
        return None
    kept_digest, until, payload = entry.split(b"|", 2)
    if not hmac.compare_digest(kept_digest, digest(code, phone_last4).encode()) or float(until) <= now:
        return None
    if language:
        return Found(code=code, page=payload.decode())
    return Found(code=code, status=pickle.loads(payload))


def _valid_until(status, now):
    """When the page stops being true by itself: a deadline passes or the date changes
    (received dates and officials' roles are read for a day)."""
    local = timezone.localtime(now)
    midnight = timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), datetime.min.time()))
    ends = [now + timedelta(seconds=SECONDS), midnight]
    if status.due_at is not None and status.due_at > now:
        ends.append(status.due_at)
    return min(ends)


def keep(found, *, phone_last4, language=None):
    """Keeps a matched lookup's page in `language` (or its status, with no language), unless
    the issue changed since it was read."""
    client = ratelimit.redis_client()
    if client is None:
        return
    now = timezone.now()
    until = _valid_until(found.status, now)
    seconds = max(1, math.ceil((until - now).total_seconds()))
    payload = found.page.encode() if language else pickle.dumps(found.status)
    entry = b"%s|%r|%s" % (digest(found.code, phone_last4).encode(), until.timestamp(), payload)
    ratelimit.run_script(
        client, _KEEP, [_mark_key(found.code), _entry_key(found.code, language)], [found.version, seconds, entry]
    )


def forget(code, *, version):
    """The issue changed (its newest event is `version`): drops what is kept and refuses older
    entries. A Redis failure must not stop the ledger: the entries then end with their time."""
    client = ratelimit.redis_client()
    if client is None:
        return
    entries = [_entry_key(code, None), *(_entry_key(code, language) for language, _name in settings.LANGUAGES)]
    keys = [_mark_key(code), *entries]
    try:
        ratelimit.run_script(client, _FORGET, keys, [version, MARK_SECONDS])
    except RedisError:
        logger.warning("Could not mark the public status of %s as changed", code, exc_info=True)
