"""What the figures count changes in other apps; those apps do not know the figures exist, so
they announce each change (`teams.changes.changed`, called explicitly by every write, bulk or
not) and the figures listen. Each announcement is noted in the change's own transaction, and
once that commits an incremental refresh is queued for the county (`tasks.queue_pending`): if
the broker does not answer then, the sweeper queues it later (the pending row is the record)."""

from django.db import transaction
from django.dispatch import receiver

from reports.figures import services, tasks
from teams.changes import figures_changed


@receiver(figures_changed)
def note_figures_changed(sender, town_id, since, village_id=None, **kwargs):
    county_id = services.note_change(town_id, since, village_id)
    if county_id is not None:
        transaction.on_commit(lambda: tasks.queue_pending(county_id))
