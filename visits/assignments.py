"""定点联系: households assigned to named members of their village's team.

Every change is one service. It checks everything first and writes in one transaction; it locks
the households it touches, so two people assigning at once each get a clear answer and no
assignment is lost; it ends rows rather than overwrite them (history: who had whom, from when,
changed by whom); and it marks the figures (coverage by member) from the day it takes effect."""

import re
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.bulk import Checked, Written
from core.listing import some
from core.web import Conflict
from teams import changes
from teams.models import Membership, Team
from visits.models import Assignment, Household
from visits.scope import may_assign
from visits.validators import normalize_phone

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


def _made_by_request(by, client_id):
    """The rows a request of `by` with this `client_id` (a phone's queued POST) already made, or
    None. The id is locked first, so two copies of one request sent at once make one change."""
    if client_id is None:
        return None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(7302, hashtext(%s))", [str(client_id)])
    made = list(Assignment.objects.filter(client_id=client_id, assigned_by=by).order_by("pk"))
    return made or None


@transaction.atomic
def assign(*, by, team, households, member, on=None, pair=False, client_id=None):
    """Make `member` (a user) the named contact of `households` (on the roll of the team's
    village) from `on` (default today). Each household's other members end the day before,
    unless `pair` keeps one beside the new one. Returns the new assignments; a repeat of a
    request's `client_id` changes nothing and returns what the first made."""
    check_assigner(by, team)
    if (made := _made_by_request(by, client_id)) is not None:
        return made
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
        [Assignment(household=h, membership=membership, start_date=day, assigned_by=by, client_id=client_id)
         for h in households])
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


# The Excel import (`reports.excel.imports` reads the file): every row checked with the rules of
# `assign` at once, in a few queries whatever the number of rows, matched on natural keys (the
# household's ID number, or its head and address; the member's mobile number or name), so that
# the same file twice changes nothing; then written all at once.

def _member_finder(villages):
    """(team id, cell, day) → [memberships in force that day whose user has that mobile number or
    name], over the villages' teams: one query."""
    by_key = {}
    for membership in (Membership.objects.filter(team__village__in=villages).select_related("user")
                       .only("pk", "team_id", "start_date", "end_date", "public_phone", "user__phone",
                             "user__name", "user__username")):
        user = membership.user
        for key in {user.phone, membership.public_phone, user.name or user.username} - {""}:
            by_key.setdefault((membership.team_id, key), []).append(membership)

    def find(team_id, cell, day):
        found = {m.user_id: m for m in by_key.get((team_id, normalize_phone(cell)), ())
                 if m.start_date <= day and (m.end_date is None or m.end_date >= day)}
        return list(found.values())
    return find


def _assignments_of(villages, since):
    """{household id: [(pk, user id, start, end, membership start, membership end)]} of the
    villages' assignments that may be in force on `since` or later: one query."""
    rows = {}
    for pk, household, user, start, end, m_start, m_end in (
            Assignment.objects.filter(household__village__in=villages)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=since))
            .values_list("pk", "household_id", "membership__user_id", "start_date", "end_date",
                         "membership__start_date", "membership__end_date")):
        rows.setdefault(household, []).append((pk, user, start, end, m_start, m_end))
    return rows


def _in_force(rows, day):
    return [r for r in rows if r[2] <= day and r[4] <= day and (r[3] is None or r[3] >= day)
            and (r[5] is None or r[5] >= day)]


def check_assignments(*, by, rows):
    """Check an import's assignments: `rows` are (key, {village, id_number, head_name, address,
    member, start_date, pair}), the village None where the caller found none (its checks are
    skipped) and `member` a cell: a mobile number or a name. Each row is checked as `assign`
    checks one household (the user assigns the village's households; the household is on its
    roll that day; the member is of its team that day; no later change; at most a pair; no date
    in the future); a household already the member's is left unchanged. A household twice in
    the rows is a pair (the second row says so). Returns `core.bulk.Checked`."""
    checked = Checked()
    checked.by, checked.seen = by, {}
    today = timezone.localdate()
    villages = {row["village"] for _key, row in rows if row["village"] is not None}
    teams = {t.village_id: t for t in Team.objects.filter(village__in=villages)}
    refused_villages = {v.pk for v in villages if v.pk not in teams or not may_assign(by, teams[v.pk])}
    wanted = [row for _key, row in rows if row["village"] is not None and row["village"].pk not in refused_villages]
    by_number, by_place = {}, {}
    for pk, village, head, address, number, registered, active, moved_out in Household.objects.filter(
            village__in=[row["village"] for row in wanted]).values_list(
            "pk", "village_id", "head_name", "address", "id_number", "registered_on", "is_active", "moved_out_on"):
        household = (pk, village, registered, active, moved_out)
        if number:
            by_number[(village, number)] = household
        by_place.setdefault((village, head, address), []).append(household)
    find_members = _member_finder({row["village"] for row in wanted})
    days = [row["start_date"] for row in wanted if row["start_date"]]
    checked.since = min([*days, today])
    current = _assignments_of({row["village"] for row in wanted}, checked.since)
    resolved = []  # the rows whose household and member were found
    for key, row in rows:
        village = row["village"]
        if village is None:
            continue
        if village.pk in refused_villages:
            checked.refuse(key, "village", _("You do not assign the households of %(village)s: only its team's "
                                             "leader, its town office and administrators do.") % {"village": village})
            continue
        day = row["start_date"] or today
        if day > today:
            checked.refuse(key, "start_date", _("An assignment cannot start in the future (today is %(today)s).")
                           % {"today": today.isoformat()})
            continue
        number = row["id_number"] if "*" not in row["id_number"] else ""  # a masked number is no key
        if number:
            household = by_number.get((village.pk, number))
            if household is None:
                checked.refuse(key, "id_number", _("No household with this ID number on the roll of %(village)s.")
                               % {"village": village})
                continue
        else:
            if not row["address"]:
                checked.refuse(key, "address", _("Give the household's address or its ID number."))
                continue
            found = by_place.get((village.pk, row["head_name"], row["address"]), [])
            found = [h for h in found if h[3]] or found  # moved out, the same head and address: the one still here
            if len(found) != 1:
                checked.refuse(key, "head_name", _(
                    "No household of %(head)s at %(address)s on the roll of %(village)s.") % {
                    "head": row["head_name"], "address": row["address"], "village": village} if not found else _(
                    "Several households of %(head)s at %(address)s: give the ID number.") % {
                    "head": row["head_name"], "address": row["address"]})
                continue
            household = found[0]
        pk, _village, registered, active, moved_out = household
        if registered > day or not (active or (moved_out is not None and moved_out >= day)):
            checked.refuse(key, "head_name", _("This household is not on the roll of %(village)s on %(day)s.") % {
                "village": village, "day": day.isoformat()})
            continue
        members = find_members(teams[village.pk].pk, row["member"], day)
        if len(members) != 1:
            checked.refuse(key, "member", _(
                "%(member)s is not a member of %(team)s on %(day)s.") % {
                "member": row["member"], "team": teams[village.pk], "day": day.isoformat()} if not members else _(
                "Several members of %(team)s are called %(member)s: give the mobile number.") % {
                "member": row["member"], "team": teams[village.pk]})
            continue
        resolved.append((key, row, village, day, pk, members[0]))
    # The members the file gives each household (a first row, and a pair's second).
    in_file = {}
    for _key, _row, _village, _day, pk, membership in resolved:
        in_file.setdefault(pk, set()).add(membership.user_id)
    # In the file so far, by household: its first row, the members it keeps and those it then has.
    first_row, kept, held = {}, {}, {}
    for key, row, village, day, pk, membership in resolved:
        history = current.get(pk, [])
        later = [r for r in history if r[2] > day and (r[3] is None or r[3] >= r[2])]
        if later:
            checked.refuse(key, "start_date", _(
                "The assignment of this household changed after %(day)s; make this change from %(later)s or later.")
                % {"day": day.isoformat(), "later": max(r[2] for r in later).isoformat()})
            continue
        in_force = {r[1]: r[0] for r in _in_force(history, day)}
        if pk in first_row:
            # The second row of a pair: beside the first row's member and whoever that row kept.
            unchanged = membership.user_id in kept[pk]
            if not row["pair"] or (not unchanged and (len(held[pk]) >= MOST_MEMBERS or membership.user_id in held[pk])):
                checked.refuse(key, "pair", _("The same household as row %(row)s: a household is assigned to one "
                                              "member, or a pair (write 是 under pair on the second row).") % {
                    "row": first_row[pk]})
                continue
            ends = []
        elif row["pair"]:
            unchanged = membership.user_id in in_force
            if not unchanged and len(in_force) >= MOST_MEMBERS:
                checked.refuse(key, "pair", _(
                    "A household is assigned to at most two members; this one already has two."))
                continue
            ends, kept[pk] = [], set(in_force)
        elif membership.user_id in in_force:
            # Already theirs: unchanged when the file keeps everyone the household has (a pair's
            # second on its own row), else the service's refusal.
            if not set(in_force) <= in_file[pk]:
                checked.refuse(key, "member", _("Already assigned to %(member)s: %(names)s.") % {
                    "member": membership.user, "names": row["head_name"]})
                continue
            ends, unchanged, kept[pk] = [], True, set(in_force)
        else:
            ends, unchanged, kept[pk] = list(in_force.values()), False, set()
        if pk not in first_row:
            first_row[pk], held[pk] = key, set(kept[pk])
        held[pk].add(membership.user_id)
        checked.seen[pk] = frozenset((r[0], r[3]) for r in history)
        checked.rows[key] = {"household": pk, "village": village.pk, "membership": membership.pk, "day": day,
                             "ends": ends, "unchanged": unchanged, "replaces": bool(ends)}
    return checked


def import_assignments(*, checked, keys):
    """Write the rows `keys` of `check_assignments` at once: the households' other members end
    the day before (unless a pair), the new rows start. The households are locked first; if
    their assignments changed since they were checked (someone assigned them meanwhile), nothing
    is written: Conflict. Returns `core.bulk.Written`."""
    rows = [checked.rows[key] for key in keys]
    ids = sorted({row["household"] for row in rows})
    with transaction.atomic():
        for start in range(0, len(ids), 5000):
            list(Household.objects.select_for_update().filter(pk__in=ids[start:start + 5000]).order_by("pk")
                 .values_list("pk"))
        now_held = _assignments_of({row["village"] for row in rows}, checked.since)
        moved = [pk for pk in ids if frozenset((r[0], r[3]) for r in now_held.get(pk, ())) != checked.seen[pk]]
        if moved:
            raise Conflict(_("The assignments of %(count)d households changed while the file was being checked; "
                             "import it again.") % {"count": len(moved)})
        written, ends, new, days = Written(), {}, [], set()
        for row in rows:
            if row["unchanged"]:
                written.unchanged += 1
                continue
            for pk in row["ends"]:
                ends.setdefault(row["day"], []).append(pk)
            new.append(Assignment(household_id=row["household"], membership_id=row["membership"],
                                  start_date=row["day"], assigned_by=checked.by))
            days.add((row["village"], row["day"]))
            if row["replaces"]:
                written.updated += 1
            else:
                written.created += 1
        now = timezone.now()
        for day, pks in ends.items():
            for start in range(0, len(pks), 5000):
                Assignment.objects.filter(pk__in=pks[start:start + 5000]).update(
                    end_date=day - timedelta(days=1), ended_by=checked.by, ended_at=now)
        Assignment.objects.bulk_create(new, batch_size=5000)
        changes.changed_in_villages(days)
    return written


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
