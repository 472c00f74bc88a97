"""A change to what the figures count, announced by the code that makes it.

Every write that changes what a figure counts — a service, an import, the admin — calls
`changed` inside its transaction with the town and the earliest day it affects: the figures of
every period from that day to today follow (DESIGN.md's freshness rule). The call is explicit
because bulk writes send no model signal. The figures live in a higher app, which listens
(`reports.signals`); this app does not know they exist."""

from datetime import date

from django.dispatch import Signal

from teams.models import Town, Village

# Sent with `town_id`, `since` (a date) and `village_id` (None when the change is not one
# village's) inside the change's transaction.
figures_changed = Signal()

# A change that may affect every day kept: a village moved to another town, a new team.
EVER = date.min


def changed(town_id, since, village_id=None):
    """The figures of `town_id` from the day `since` to today count something else now: those
    of `village_id` only, if given, and the sums above it."""
    if town_id is not None and since is not None:
        figures_changed.send(sender=Town, town_id=town_id, since=since, village_id=village_id)


def changed_in_village(village_id, since):
    changed(Village.objects.filter(pk=village_id).values_list("town_id", flat=True).first(), since, village_id)


def changed_in_villages(village_days):
    """`changed` for many (village id, day) pairs at once (a bulk write's): each village once,
    from its earliest day."""
    towns = dict(Village.objects.filter(pk__in={village for village, _day in village_days})
                 .values_list("pk", "town_id"))
    since = {}
    for village, day in village_days:
        since[village] = min(day, since.get(village, day))
    for village, day in since.items():
        changed(towns[village], day, village)


def earliest(*days):
    """The earliest of the days given (None for a date not set is skipped), or None."""
    return min((day for day in days if day is not None), default=None)
