"""Celery work for the figures; the rules are in `services`."""

from celery import chord, shared_task

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


@shared_task
def apply_pending(county_id):
    return services.apply_pending(county_id)
