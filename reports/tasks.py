"""Celery work for the figures; the rules are in `services`."""

import logging

from celery import chord, shared_task
from django.core.cache import cache

from reports import services
from teams.models import County, Town


@shared_task
def refresh_town(refresh_id, town_id):
    services.refresh_town(refresh_id, town_id)


@shared_task
def finish_refresh(_results, refresh_id):
    services.finish_refresh(refresh_id)


@shared_task
def fail_refresh(*_args, refresh_id):
    services.fail_refresh(refresh_id)


def dispatch_full_refresh(refresh):
    """One task per town, then the county's: the queue shares the towns among the workers."""
    towns = Town.objects.filter(county=refresh.county_id).values_list("pk", flat=True)
    work = [refresh_town.si(refresh.pk, town_id) for town_id in towns]
    chord(work, finish_refresh.s(refresh.pk).on_error(fail_refresh.s(refresh_id=refresh.pk))).delay()


@shared_task
def refresh_all():
    """Nightly (CELERY_BEAT_SCHEDULE): every county's figures afresh."""
    for county in County.objects.all():
        dispatch_full_refresh(services.start_full_refresh(county))


logger = logging.getLogger(__name__)


def queued_key(county_id):
    return f"reports:refresh-queued:{county_id}"


def queue_pending(county_id):
    """Queue the county's incremental refresh unless one is queued and not yet started: a burst
    of changes costs one refresh. The task forgets the mark before it reads the pending changes,
    so a change committed after that queues the next one."""
    try:
        first = cache.add(queued_key(county_id), 1, timeout=60)
    except Exception:
        logger.warning("Cache unavailable: queueing the refresh of county %s without coalescing", county_id)
        first = True
    if first:
        apply_pending.apply_async((county_id,), countdown=1, expires=3600)


@shared_task
def apply_pending(county_id):
    try:
        cache.delete(queued_key(county_id))
    except Exception:
        logger.warning("Cache unavailable: the next change will queue its own refresh")
    return services.apply_pending(county_id)


# Excel exports (reports/exports.py).


@shared_task
def run_export(job_id):
    from reports import exports

    exports.run(job_id)


@shared_task
def purge_files():
    """Daily (CELERY_BEAT_SCHEDULE): exports past their expiry, import files left unimported."""
    from reports import exports, imports

    return {"exports": exports.purge(), "imports": imports.purge()}
