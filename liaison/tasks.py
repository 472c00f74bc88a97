from celery import shared_task

from liaison import health


@shared_task
def heartbeat(queue=None):
    """Beat sends it to every queue: /healthz reads how long ago a worker of each last ran it."""
    health.beat(queue)
