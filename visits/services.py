"""Use cases for households and visits. Each validates everything first and writes inside
one transaction, so a refused request leaves nothing half saved."""

from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from core import texts
from core.bulk import Checked, Written
from core.listing import some
from teams import changes, scope
from teams.models import Membership, User
from visits.models import Household, Visit
from visits.scope import keeps_roll, loggable_teams
from visits.validators import normalize_phone

HOUSEHOLD_FIELDS = ("head_name", "address", "phone", "id_number", "members_count")

# What people type about a household or a visit, bounded by the columns that keep it.
HEAD_NAME = texts.Bound.of(Household, "head_name", pgettext_lazy("text field", "Head of household"))
ADDRESS = texts.Bound.of(Household, "address", pgettext_lazy("text field", "Address"))
VISIT_NOTES = texts.Bound.of(Visit, "notes", pgettext_lazy("text field", "Visit notes"))


def _check_roll_keeper(by, village):
    if not keeps_roll(by, village):
        raise PermissionDenied(_("Only the village's team or its town office can keep its household roll."))


def household_errors(household, exclude=()):
    """{field: message(s)} for what the household's particulars break, once tidied (trimmed, the
    phone's spaces and brackets dropped, the ID number in capitals): the rules one household on
    the pages, the admin and an import of many all answer to. `exclude`: fields not checked."""
    household.phone = normalize_phone(household.phone)
    household.id_number = (household.id_number or "").strip().upper()
    household.head_name = (household.head_name or "").strip()
    household.address = (household.address or "").strip()
    errors = texts.errors(head_name=(household.head_name, HEAD_NAME), address=(household.address, ADDRESS))
    try:
        household.full_clean(exclude=["tags", *exclude, *errors])
    except ValidationError as error:
        errors.update(error.message_dict)
    return errors


def _clean_household(household, tags):
    errors = household_errors(household)
    if errors:
        raise ValidationError(errors)
    return list(tags or [])


def _registration_error(day):
    if day is not None and day > timezone.localdate():
        return _("The registration date cannot be in the future.")
    return None


@transaction.atomic
def create_household(
    *, by, village, head_name, address, phone="", id_number="", members_count=1, tags=(), registered_on=None
):
    """A household onto the village's roll, registered today or on a past day (a roll kept on
    paper until now); it counts for visit coverage from that day."""
    _check_roll_keeper(by, village)
    if refusal := _registration_error(registered_on):
        raise ValidationError({"registered_on": refusal})
    household = Household(
        village=village, head_name=head_name, address=address, phone=phone or "", id_number=id_number or "",
        members_count=members_count, registered_on=registered_on or timezone.localdate(),
    )
    tags = _clean_household(household, tags)
    household.save()
    household.tags.set(tags)
    changes.changed_in_village(village.pk, household.registered_on)
    return household


@transaction.atomic
def update_household(*, by, household, tags=None, **fields):
    """Correct a household's particulars; none of them is counted by a figure (its dates and
    village are)."""
    _check_roll_keeper(by, household.village)
    household = Household.objects.select_for_update().get(pk=household.pk)
    for name, value in fields.items():
        if name not in HOUSEHOLD_FIELDS:
            raise TypeError(f"update_household() does not change {name}")
        setattr(household, name, value)
    _clean_household(household, tags)
    household.save()
    if tags is not None:
        household.tags.set(tags)
    return household


@transaction.atomic
def move_out(*, by, household, on):
    _check_roll_keeper(by, household.village)
    if on > timezone.localdate():
        raise ValidationError({"moved_out_on": _("The moving-out date cannot be in the future.")})
    household = Household.objects.select_for_update().get(pk=household.pk)
    if not household.is_active:
        raise ValidationError({"moved_out_on": _("This household has already moved out.")})
    if on < household.registered_on:
        raise ValidationError({"moved_out_on": _("A household cannot move out before it was registered.")})
    household.is_active, household.moved_out_on = False, on
    household.save(update_fields=["is_active", "moved_out_on"])
    changes.changed_in_village(household.village_id, on)
    return household


# Many households at once: an import's rows.

def check_households(*, by, rows):
    """Check an import's households with the rules of one: `rows` are (key, {village, head_name,
    address, phone, id_number, members_count, registered_on, tags}), the village None where the
    caller found none (its checks are skipped). Each row is matched on its ID number, or without
    one on its village, head and address, so the same rows twice change nothing. An ID number
    twice in the rows, or on another village's roll, is a problem. Returns `core.bulk.Checked`."""
    checked = Checked()
    villages = {row["village"] for _key, row in rows if row["village"] is not None}
    for village in villages:
        _check_roll_keeper(by, village)
    today, ids = timezone.localdate(), {}
    for key, row in rows:
        household = Household(village=row["village"], head_name=row["head_name"], address=row["address"],
                              phone=row["phone"], id_number=row["id_number"], members_count=row["members_count"],
                              registered_on=row["registered_on"] or today)
        errors = household_errors(household, exclude=["village"])
        if refusal := _registration_error(row["registered_on"]):
            errors["registered_on"] = refusal
        number = household.id_number
        if number and "id_number" not in errors:
            if number in ids:
                errors["id_number"] = _("The same ID number as row %(row)d.") % {"row": ids[number]}
            ids.setdefault(number, key)
        checked.refuse_all(key, errors)
        checked.rows[key] = {"household": household, "tags": {tag.pk for tag in row["tags"]},
                             "registered_on": row["registered_on"], "match": None}
    known = {h.id_number: h for h in Household.objects.filter(id_number__in=list(ids)).only("pk", "village_id",
                                                                                          "id_number")}
    by_place = {}
    for h in Household.objects.filter(village__in=villages, is_active=True).only(
            "pk", "village_id", "head_name", "address", "id_number"):
        by_place.setdefault((h.village_id, h.head_name, h.address), h)
    for key, row in checked.rows.items():
        household = row["household"]
        if household.id_number in known:
            match = known[household.id_number]
            if household.village_id is not None and match.village_id != household.village_id:
                checked.refuse(key, "id_number", _("This ID number is already on the roll of another village."))
            row["match"] = match.pk
        elif household.village_id is not None:
            match = by_place.get((household.village_id, household.head_name, household.address))
            if match is not None and (not household.id_number or not match.id_number):
                row["match"] = match.pk
    return checked


# What an import writes of a household it matched, besides the registration date it gives.
IMPORTED_FIELDS = ("village_id", *HOUSEHOLD_FIELDS)


@transaction.atomic
def import_households(*, checked, keys):
    """Write the rows `keys` of `check_households`: new households onto the roll, the matched
    ones set to the row (its tags too), in bulk. Returns `core.bulk.Written`."""
    rows = [checked.rows[key] for key in keys]
    matched = Household.objects.in_bulk([row["match"] for row in rows if row["match"]])
    current_tags = defaultdict(set)
    for household, tag in Household.tags.through.objects.filter(household__in=matched).values_list(
            "household_id", "householdtag_id"):
        current_tags[household].add(tag)
    new, changed, tag_sets, counted, written = [], [], {}, set(), Written()
    for row in rows:
        values = row["household"]
        if not row["match"]:
            values.wanted_tags = row["tags"]
            new.append(values)
            counted.add((values.village_id, values.registered_on))
            continue
        household = matched[row["match"]]
        counted_before = (household.village_id, household.registered_on)
        differs = [name for name in IMPORTED_FIELDS if getattr(household, name) != getattr(values, name)]
        if row["registered_on"] and household.registered_on != row["registered_on"]:
            differs.append("registered_on")
        for name in differs:
            setattr(household, name, getattr(values, name))
        if differs:
            changed.append(household)
        if (household.village_id, household.registered_on) != counted_before:
            # Counted in another village, or from another day: both, from the earlier day.
            since = min(counted_before[1], household.registered_on)
            counted.update({(counted_before[0], since), (household.village_id, since)})
        if row["tags"] != current_tags[household.pk]:
            tag_sets[household.pk] = row["tags"]
        if differs or household.pk in tag_sets:
            written.updated += 1
        else:
            written.unchanged += 1
    Household.objects.bulk_create(new, batch_size=2000)
    if changed:
        Household.objects.bulk_update(changed, [*IMPORTED_FIELDS, "registered_on"], batch_size=2000)
    tag_sets.update({household.pk: household.wanted_tags for household in new if household.wanted_tags})
    through = Household.tags.through
    through.objects.filter(household__in=[pk for pk in tag_sets if pk in matched]).delete()
    through.objects.bulk_create(
        [through(household_id=pk, householdtag_id=tag) for pk, tags in tag_sets.items() for tag in tags],
        batch_size=5000)
    written.created = len(new)
    changes.changed_in_villages(counted)
    return written


def team_for_visit(*, by, village):
    """The village's team, if the user may log its visits."""
    team = loggable_teams(by).filter(village=village).first()
    if team is None:
        raise PermissionDenied(_("You can log visits only in the villages your teams cover."))
    return team


@transaction.atomic
def log_visit(*, by, kind, date, village, cadres=(), households=(), notes="", needs_follow_up=False):
    """Record a visit of the village's team. `cadres` defaults to the user; every cadre must
    be a member of the team on that date, every household must live in the village."""
    errors = texts.errors(notes=(notes, VISIT_NOTES))
    if kind not in Visit.Kind.values:
        errors["kind"] = _("Choose the kind of visit.")
    today = timezone.localdate()
    if date > today:
        errors["date"] = _("A visit cannot be dated in the future (today is %(today)s).") % {
            "today": today.isoformat()
        }
    team = team_for_visit(by=by, village=village)
    cadres = list(cadres) or [by]
    members = set(
        Membership.objects.active_on(min(date, today))
        .filter(team=team, user__in=cadres)
        .values_list("user_id", flat=True)
    )
    outsiders = [c for c in cadres if c.pk not in members]
    if outsiders:
        # Named only if the user may see them: anyone else is the id they sent.
        seen = set(scope.visible(by, User).filter(pk__in=[c.pk for c in outsiders]).values_list("pk", flat=True))
        errors["cadres"] = _("Not members of %(team)s on that date: %(names)s.") % {
            "team": team, "names": some(str(c) if c.pk in seen else str(c.pk) for c in outsiders)
        }
    households = list(Household.objects.filter(pk__in=[h.pk for h in households]).order_by("pk"))
    elsewhere = [str(h) for h in households if h.village_id != village.pk]
    if elsewhere:
        errors["households"] = _("These households live in another village, not in %(village)s: %(names)s.") % {
            "village": village, "names": some(elsewhere)
        }
    elif any(not h.is_active_on(date) for h in households):
        errors["households"] = _("A household that had moved out by that date cannot be visited: %(names)s.") % {
            "names": some(h for h in households if not h.is_active_on(date))
        }
    if kind == Visit.Kind.HOUSEHOLD and not households:
        errors.setdefault("households", _("A household visit covers at least one household."))
    if errors:
        raise ValidationError(errors)
    visit = Visit.objects.create(
        kind=kind, date=date, village=village, team=team, notes=(notes or "").strip(),
        needs_follow_up=needs_follow_up, recorded_by=by,
    )
    visit.cadres.set(cadres)
    visit.households.set(households)
    changes.changed(village.town_id, date, village.pk)
    return visit


@transaction.atomic
def set_follow_up(*, by, visit, needs_follow_up):
    if not scope.can_change(by, visit):
        raise ValidationError(_("Only the team's members can change this visit."))
    updated = Visit.objects.filter(pk=visit.pk).update(needs_follow_up=needs_follow_up)
    visit.needs_follow_up = needs_follow_up
    return updated
