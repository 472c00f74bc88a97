"""Celery work for the coverage planner; the rules are in `planner`. The whole county's plan is
made each night, one task a town; a village's again after each change to what it counts (a
visit, an assignment, a leave), announced by `teams.changes.figures_changed`. A change never
waits on it nor fails because of it: the request only publishes, after its commit, through
`broker.publish`; what Redis did not take the night's plan makes, and the pages meanwhile leave
out of the plan the households visited since it was made (visits/plans.py)."""

import logging

from celery import shared_task
from django.core.cache import cache

from core import broker
from teams.models import Town
from visits import planner

logger = logging.getLogger(__name__)


@shared_task(name="visits.tasks.plan_town")
def plan_town(town_id):
    return planner.refresh_town(town_id)


def queued_key(village_id):
    return f"visits:plan-queued:{village_id}"


@shared_task(name="visits.tasks.plan_village")
def plan_village(village_id):
    try:
        cache.delete(queued_key(village_id))
    except Exception:
        logger.warning("Cache unavailable: the next change will queue its own plan")
    return planner.refresh_village(village_id)


@shared_task(name="visits.tasks.plan_all")
def plan_all():
    """Nightly (CELERY_BEAT_SCHEDULE): every town's plan, a task each, on the figures' workers."""
    towns = list(Town.objects.values_list("pk", flat=True))
    for town_id in towns:
        broker.publish(plan_town, town_id)
    return len(towns)


def queue_village(village_id):
    """Queue the village's plan unless one is queued and not yet started (a burst of visits costs
    one plan). Never raises: run after a visit's commit, it must not turn the visit into an error
    (without Redis the task runs here, in the request: a failure is logged, the night mends it)."""
    try:
        if not broker.available():
            return False
        try:
            first = cache.add(queued_key(village_id), 1, timeout=60)
        except Exception as error:
            broker.unavailable(error, f"the plan of village {village_id}")
            return False
        return broker.publish(plan_village, village_id, expires=3600) if first else True
    except Exception:
        logger.exception("The plan of village %s was not queued; the night's plan makes it", village_id)
        return False


def queue_town(town_id):
    """A change to the whole town (no village named): its plan, without coalescing (rare)."""
    try:
        return broker.publish(plan_town, town_id, expires=3600)
    except Exception:
        logger.exception("The plan of town %s was not queued; the night's plan makes it", town_id)
        return False
