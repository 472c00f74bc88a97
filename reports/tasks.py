"""Celery work for the figures; the rules are in `services`. What a request hands to the workers
goes through `broker.publish`, which never fails the request: what it could not publish, the
sweeper (`sweep`, every minute) publishes again."""

import logging

from celery import chord, shared_task
from django.core.cache import cache

from reports import broker, exports, imports, services
from teams.models import County

logger = logging.getLogger(__name__)


@shared_task
def refresh_town(refresh_id, town_id):
    services.refresh_town(refresh_id, town_id)


@shared_task
def finish_refresh(_results, refresh_id):
    services.finish_refresh(refresh_id)


@shared_task
def fail_refresh(*_args, refresh_id):
    services.fail_refresh(refresh_id)


@shared_task
def start_refresh(refresh_id):
    """On a worker: one task per town still to compute, then the county's; the queue shares the
    towns among the workers. Published again by the sweeper, it computes only what is missing."""
    towns = services.towns_to_compute(refresh_id)
    if towns is None:
        return
    finish = finish_refresh.s(refresh_id).on_error(fail_refresh.s(refresh_id=refresh_id))
    if towns:
        chord([refresh_town.si(refresh_id, town_id) for town_id in towns], finish).delay()
    else:
        finish.delay([])


def dispatch_full_refresh(refresh):
    """Hand the refresh to the workers: one small message, never waited on (see `broker`)."""
    return broker.publish(start_refresh, refresh.pk)


@shared_task
def refresh_all():
    """Nightly (CELERY_BEAT_SCHEDULE): every county's figures afresh."""
    for county in County.objects.all():
        dispatch_full_refresh(services.start_full_refresh(county))


def queued_key(county_id):
    return f"reports:refresh-queued:{county_id}"


def queue_pending(county_id):
    """Queue the county's incremental refresh unless one is queued and not yet started: a burst
    of changes costs one refresh. The task forgets the mark before it reads the pending changes,
    so a change committed after that queues the next one. The cache and the broker are the same
    Redis: if the cache does not answer, nothing is published, and the sweeper queues the
    refresh later (the pending changes are in the database)."""
    if not broker.available():
        return False
    try:
        first = cache.add(queued_key(county_id), 1, timeout=60)
    except Exception as error:
        broker.unavailable(error, f"the refresh of county {county_id}")
        return False
    return broker.publish(apply_pending, county_id, countdown=1, expires=3600) if first else True


@shared_task
def apply_pending(county_id):
    try:
        cache.delete(queued_key(county_id))
    except Exception:
        logger.warning("Cache unavailable: the next change will queue its own refresh")
    return services.apply_pending(county_id)


# Excel exports (reports/exports.py).


@shared_task(bind=True)
def run_export(self, job_id):
    # Handed out again because the process running it died (acks late, rejected on worker lost):
    # the dead run still marks the job running, and this one takes it over at once.
    exports.run(job_id, take_over=bool(self.request.delivery_info.get("redelivered")))


@shared_task
def sweep():
    """Every minute (CELERY_BEAT_SCHEDULE): publish what a request could not (the broker was
    down) and what a dead worker left: the incremental refresh of counties with pending changes,
    refreshes and export jobs whose work has not moved for JOB_STALL_SECONDS (the rules, and
    when they give up, are in `services.stalled_refreshes` and `exports.stalled`)."""
    counties = services.counties_pending()
    for county_id in counties:
        queue_pending(county_id)
    refreshes = services.stalled_refreshes()
    for refresh_id in refreshes:
        broker.publish(start_refresh, refresh_id)
    jobs = exports.stalled()
    for job_id in jobs:
        broker.publish(run_export, job_id)
    return {"counties": counties, "refreshes": refreshes, "exports": jobs}


@shared_task
def purge_files():
    """Daily (CELERY_BEAT_SCHEDULE): exports past their expiry, import files left unimported."""
    return {"exports": exports.purge(), "imports": imports.purge()}
