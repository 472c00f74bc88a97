from celery import shared_task

from liaison import health


@shared_task
def heartbeat():
    """Beat schedules it: /healthz reads how long ago a worker last ran it."""
    health.beat()
