"""The plan follows what it counts: each change announced to the figures (a visit, an
assignment, a leave, a household) queues its village's plan once the change has committed."""

from django.db import transaction
from django.dispatch import receiver

from teams.changes import figures_changed
from visits import tasks


@receiver(figures_changed)
def plan_again(sender, town_id, since, village_id=None, **kwargs):
    if village_id is not None:
        transaction.on_commit(lambda: tasks.queue_village(village_id))
    else:
        transaction.on_commit(lambda: tasks.queue_town(town_id))
