from celery import shared_task

from issues import deadlines


@shared_task
def sweep_deadlines():
    """Every 15 minutes (CELERY_BEAT_SCHEDULE): deadline warnings and overdue reports."""
    return deadlines.sweep()
