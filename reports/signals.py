"""What the figures count changes in other apps; those apps do not know the figures exist, so
the figures listen. Each change notes the town and the days it touches, in its own transaction,
and once that commits an incremental refresh is queued for the county (`tasks.queue_pending`)."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from issues.models import Event
from reports import services, tasks
from teams.models import Attendance, LiaisonDay, Membership, Village
from visits.models import Household, Visit


def _changed(town_id, *days):
    county_id = services.note_change(town_id, timezone.localdate(), *days)
    if county_id is not None:
        transaction.on_commit(lambda: tasks.queue_pending(county_id))


def _town_of_village(village_id):
    return Village.objects.filter(pk=village_id).values_list("town_id", flat=True).first()


@receiver(post_save, sender=Visit)
def visit_saved(sender, instance, **kwargs):
    _changed(_town_of_village(instance.village_id), instance.date)


@receiver(post_save, sender=Household)
def household_saved(sender, instance, **kwargs):
    _changed(_town_of_village(instance.village_id), instance.registered_on, instance.moved_out_on)


@receiver(post_save, sender=Attendance)
def attendance_saved(sender, instance, created, **kwargs):
    if created:  # a new row is pending on a coming day: nothing counted yet
        return
    town_id, day = LiaisonDay.objects.filter(pk=instance.liaison_day_id).values_list(
        "team__village__town_id", "date"
    ).get()
    _changed(town_id, day)


@receiver(post_save, sender=LiaisonDay)
def liaison_day_saved(sender, instance, created, **kwargs):
    if not created:
        _changed(_town_of_village(instance.team.village_id), instance.date, instance.scheduled_date)


@receiver(post_save, sender=Membership)
def membership_saved(sender, instance, **kwargs):
    _changed(_town_of_village(instance.team.village_id), instance.start_date, instance.end_date)


@receiver(post_save, sender=Event)
def ledger_changed(sender, instance, created, **kwargs):
    """Every ledger change writes one event: the issue's received and answered days, the day of
    the change and each step's due day may all have other figures now."""
    issue = instance.issue
    due_days = [timezone.localdate(due) for due in issue.steps.values_list("due_at", flat=True)]
    answered = timezone.localdate(issue.ended_at) if issue.ended_at else None
    _changed(_town_of_village(issue.village_id), timezone.localdate(instance.at),
             timezone.localdate(issue.received_at), answered, *due_days)
