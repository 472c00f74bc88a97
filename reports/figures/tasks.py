"""Celery work for the figures; the rules are in `services`. What a request hands to the workers
goes through `broker.publish`, which never fails the request: what it could not publish, the
sweeper (`reports.tasks.sweep`, every minute) publishes again. The task names are the ones queued
messages and the beat schedule carry, from before the tasks moved here."""

import logging

from celery import chord, shared_task
from django.conf import settings
from django.core.cache import cache

from core import broker
from reports.figures import services
from teams.models import County

logger = logging.getLogger(__name__)


@shared_task(name="reports.tasks.refresh_towns")
def refresh_towns(refresh_id, town_ids):
    services.refresh_towns(refresh_id, town_ids)


@shared_task(name="reports.tasks.finish_refresh")
def finish_refresh(_results, refresh_id):
    services.finish_refresh(refresh_id)
    services.reclaim_snapshots()


@shared_task(name="reports.tasks.fail_refresh")
def fail_refresh(*_args, refresh_id):
    services.fail_refresh(refresh_id)


@shared_task(name="reports.tasks.start_refresh")
def start_refresh(refresh_id):
    """On a worker: the towns still to compute in REFRESH_PARTS tasks (one statement each: the
    database reads each row once a part), then the county's; the queue shares the parts among
    the workers. Published again by the sweeper, it computes only what is missing."""
    towns = services.towns_to_compute(refresh_id)
    if towns is None:
        return
    finish = finish_refresh.s(refresh_id).on_error(fail_refresh.s(refresh_id=refresh_id))
    if towns:
        chord([refresh_towns.si(refresh_id, part) for part in services.parts(towns, settings.REFRESH_PARTS)],
              finish).delay()
    else:
        finish.delay([])


def dispatch_full_refresh(refresh):
    """Hand the refresh to the workers: one small message, never waited on (see `broker`)."""
    return broker.publish(start_refresh, refresh.pk)


@shared_task(name="reports.tasks.refresh_all")
def refresh_all():
    """Nightly (CELERY_BEAT_SCHEDULE): every county's figures afresh."""
    for county in County.objects.all():
        dispatch_full_refresh(services.start_full_refresh(county))


def queued_key(county_id):
    return f"reports:refresh-queued:{county_id}"


def queue_pending(county_id):
    """Queue the county's incremental refresh unless one is queued and not yet started: a burst
    of changes costs one refresh. The task forgets the mark before it reads the pending changes,
    so a change committed after that queues the next one: no delay is needed to gather a burst,
    whose changes wait in the database while one refresh runs. The cache and the broker are the same
    Redis: if the cache does not answer, nothing is published, and the sweeper queues the
    refresh later (the pending changes are in the database)."""
    if not broker.available():
        return False
    try:
        first = cache.add(queued_key(county_id), 1, timeout=60)
    except Exception as error:
        broker.unavailable(error, f"the refresh of county {county_id}")
        return False
    return broker.publish(apply_pending, county_id, expires=3600) if first else True


@shared_task(name="reports.tasks.apply_pending")
def apply_pending(county_id):
    try:
        cache.delete(queued_key(county_id))
    except Exception:
        logger.warning("Cache unavailable: the next change will queue its own refresh")
    return services.apply_pending(county_id)
