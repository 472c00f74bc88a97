"""定点联系: households assigned to named members of their village's team.

Every change is one service. It checks everything first and writes in one transaction; it locks
the households it touches, so two people assigning at once each get a clear answer and no
assignment is lost; it ends rows rather than overwrite them (history: who had whom, from when,
changed by whom); and it marks the figures (coverage by member) from the day it takes effect."""

import re
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.listing import some
from core.web import Conflict
from teams import changes
from teams.models import Membership
from visits.models import Assignment, Household
from visits.scope import may_assign

# One named member a household, or a pair.
MOST_MEMBERS = 2


def check_assigner(by, team):
    if not may_assign(by, team):
        raise PermissionDenied(_("Only the team's leader or its town office can assign the village's households."))


def assignment_day(on):
    """The day an assignment change takes effect: today unless given; never in the future."""
    today = timezone.localdate()
    if on is None:
        return today
    if on > today:
        raise ValidationError({"start_date": _("An assignment cannot start in the future (today is %(today)s).")
                               % {"today": today.isoformat()}})
    return on


def membership_on(team, user, day):
    """The user's membership of the team in force on `day`, or a ValidationError."""
    membership = (Membership.objects.active_on(day).filter(team=team, user=user)
                  .select_related("user").order_by("-start_date").first())
    if membership is None:
        raise ValidationError({"member": _("%(user)s is not a member of %(team)s on %(day)s.") % {
            "user": user, "team": team, "day": day.isoformat()}})
    return membership


def _lock_households(team, households, day):
    """The households, locked, after checking they are on the team's village roll that day."""
    ids = sorted({h.pk for h in households})
    if not ids:
        raise ValidationError({"households": _("Choose at least one household.")})
    locked = list(Household.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    elsewhere = [h for h in locked if h.village_id != team.village_id]
    if elsewhere or len(locked) != len(ids):
        raise ValidationError({"households": _("These households are not on the roll of %(village)s: %(names)s.") % {
            "village": team.village, "names": some(elsewhere) if elsewhere else _("unknown households")}})
    gone = [h for h in locked if not h.is_active_on(day)]
    if gone:
        raise ValidationError({"households": _("These households had moved out by %(day)s: %(names)s.") % {
            "day": day.isoformat(), "names": some(gone)}})
    return locked


def _check_no_later_change(household_ids, day):
    """History is never rewritten: a change may not take effect before one already made."""
    later = (Assignment.objects.filter(household__in=household_ids, start_date__gt=day)
             .select_related("household").order_by("start_date"))
    later = [a for a in later if a.end_date is None or a.end_date >= a.start_date]
    if later:
        raise ValidationError({"start_date": _(
            "The assignment of %(names)s changed after %(day)s; make this change from %(later)s or later.") % {
            "names": some(a.household for a in later), "day": day.isoformat(),
            "later": max(a.start_date for a in later).isoformat()}})


def _end(assignments, day, by):
    """End these rows so that `day` is their first day out of force."""
    now = timezone.now()
    for assignment in assignments:
        assignment.end_date, assignment.ended_by, assignment.ended_at = day - timedelta(days=1), by, now
    Assignment.objects.bulk_update(assignments, ["end_date", "ended_by", "ended_at"])


@transaction.atomic
def assign(*, by, team, households, member, on=None, pair=False):
    """Make `member` (a user) the named contact of `households` (on the roll of the team's
    village) from `on` (default today). Each household's other members end the day before,
    unless `pair` keeps one beside the new one. Returns the new assignments."""
    check_assigner(by, team)
    day = assignment_day(on)
    membership = membership_on(team, member, day)
    households = _lock_households(team, households, day)
    ids = [h.pk for h in households]
    _check_no_later_change(ids, day)
    current = list(Assignment.objects.active_on(day).filter(household__in=ids).select_related("membership"))
    already = {a.household_id for a in current if a.membership.user_id == member.pk}
    if already:
        raise ValidationError({"households": _("Already assigned to %(member)s: %(names)s.") % {
            "member": member, "names": some(h for h in households if h.pk in already)}})
    if pair:
        held = {}
        for a in current:
            held[a.household_id] = held.get(a.household_id, 0) + 1
        full = [h for h in households if held.get(h.pk, 0) >= MOST_MEMBERS]
        if full:
            raise ValidationError({"households": _(
                "A household is assigned to at most two members; these already have two: %(names)s.") % {
                "names": some(full)}})
    else:
        _end(current, day, by)
    created = Assignment.objects.bulk_create(
        [Assignment(household=h, membership=membership, start_date=day, assigned_by=by) for h in households])
    changes.changed_in_village(team.village_id, day)
    return created


@transaction.atomic
def reassign_all(*, by, team, from_member, to_member, on=None):
    """Every household of `from_member` in this team goes to `to_member` from `on` in one step (a
    member transferred, or on long leave). A household the new member already has simply leaves
    the old one. Returns how many households moved."""
    check_assigner(by, team)
    day = assignment_day(on)
    if from_member.pk == to_member.pk:
        raise ValidationError({"member": _("Choose another member to hand the households to.")})
    membership = membership_on(team, to_member, day)
    ids = list(Assignment.objects.active_on(day).filter(membership__team=team, membership__user=from_member)
               .values_list("household_id", flat=True))
    if not ids:
        raise ValidationError({"from_member": _("%(member)s has no households in %(team)s on %(day)s.") % {
            "member": from_member, "team": team, "day": day.isoformat()}})
    list(Household.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))
    _check_no_later_change(ids, day)
    current = list(Assignment.objects.active_on(day).filter(household__in=ids).select_related("membership"))
    leaving = [a for a in current if a.membership.user_id == from_member.pk]
    kept = {a.household_id for a in current if a.membership.user_id == to_member.pk}
    _end(leaving, day, by)
    Assignment.objects.bulk_create(
        [Assignment(household_id=a.household_id, membership=membership, start_date=day, assigned_by=by)
         for a in leaving if a.household_id not in kept])
    changes.changed_in_village(team.village_id, day)
    return len(leaving)


@transaction.atomic
def unassign(*, by, team, households, member=None, on=None):
    """The households leave their member (`member`, or all of them) from `on`: they are listed
    as unassigned until someone takes them. Returns how many assignments ended."""
    check_assigner(by, team)
    day = assignment_day(on)
    households = _lock_households(team, households, day)
    current = Assignment.objects.active_on(day).filter(household__in=[h.pk for h in households])
    if member is not None:
        current = current.filter(membership__user=member)
    current = list(current)
    if not current:
        raise ValidationError({"households": _("None of these households is assigned.")})
    _end(current, day, by)
    changes.changed_in_village(team.village_id, day)
    return len(current)


def address_key(address):
    """Addresses in the order people walk them: "3号" before "12号", by street first."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", address or "")]


@transaction.atomic
def distribute_evenly(*, by, team, members=None, on=None):
    """Give the village's unassigned households to `members` (default: every member of the team
    that day) so that each ends with about as many as the others, in runs of neighbouring
    addresses. Households already assigned stay where they are. Returns {user id: count given}."""
    check_assigner(by, team)
    day = assignment_day(on)
    memberships = Membership.objects.active_on(day).filter(team=team).select_related("user").order_by("start_date",
                                                                                                       "pk")
    if members is not None:
        memberships = memberships.filter(user__in=[m.pk for m in members])
    by_user = {}
    for membership in memberships:
        by_user.setdefault(membership.user_id, membership)
    if not by_user:
        raise ValidationError({"members": _("Choose at least one member of %(team)s.") % {"team": team}})
    roll = list(Household.objects.select_for_update().filter(village=team.village).order_by("pk"))
    roll = [h for h in roll if h.is_active_on(day)]
    current = list(Assignment.objects.active_on(day).filter(household__village=team.village)
                   .values_list("household_id", "membership__user_id"))
    assigned = {household for household, _user in current}
    free = sorted((h for h in roll if h.pk not in assigned), key=lambda h: (address_key(h.address), h.pk))
    if not free:
        raise ValidationError({"households": _("Every household of %(village)s is already assigned.") % {
            "village": team.village}})
    load = dict.fromkeys(by_user, 0)
    for _household, user in current:
        if user in load:
            load[user] += 1
    # Fill the lightest first up to an even share of all, then spread what is left one by one.
    target = (sum(load.values()) + len(free)) / len(load)
    shares, left = {}, len(free)
    for user in sorted(load, key=lambda u: load[u]):
        shares[user] = min(left, max(0, int(target) - load[user]))
        left -= shares[user]
    for user in sorted(load, key=lambda u: load[u] + shares[u]):
        if not left:
            break
        shares[user] += 1
        left -= 1
    new, start = [], 0
    for user, share in shares.items():
        new += [Assignment(household=h, membership=by_user[user], start_date=day, assigned_by=by)
                for h in free[start:start + share]]
        start += share
    Assignment.objects.bulk_create(new, batch_size=2000)
    changes.changed_in_village(team.village_id, day)
    return {user: share for user, share in shares.items() if share}


@transaction.atomic
def as_seen(change, *, seen, **kwargs):
    """`assign` or `unassign` from a page that showed each household's members: `seen` is
    {household id: the user ids it showed}. If someone changed them since (two leaders at once),
    a Conflict naming those households and nothing written: one of them succeeds, the other is
    told, rather than the later silently undoing the earlier."""
    check_assigner(kwargs["by"], kwargs["team"])
    day = assignment_day(kwargs.get("on"))
    ids = sorted(seen)
    list(Household.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))
    now = {}
    for household, user in Assignment.objects.active_on(day).filter(household__in=ids).values_list(
            "household_id", "membership__user_id"):
        now.setdefault(household, set()).add(user)
    changed = [pk for pk in ids if now.get(pk, set()) != set(seen[pk])]
    if changed:
        raise Conflict(_("Someone else changed the members of %(names)s meanwhile: look at them again.") % {
            "names": some(Household.objects.filter(pk__in=changed).order_by("pk"))})
    return change(**kwargs)
