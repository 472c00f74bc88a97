"""Rosters (花名册) and the holiday calendar many rows at once: an import's use cases. Each
checks every row with the rules `services` applies to one (`check_leader_limit`, a new role is a
new membership), returns the rows' problems (`core.bulk.Checked`), then writes the rows the
caller chooses in bulk, in one transaction, and tells the figures what changed."""

from collections import defaultdict
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.bulk import Checked, Written
from teams import changes, scope
from teams.models import Holiday, Membership, Role, Team, User
from teams.services import cancel_days_on_holidays, check_leader_limit, sync_attendance


def _too_long(model, name, value):
    limit = model._meta.get_field(name).max_length
    return _("At most %(n)d characters.") % {"n": limit} if len(value) > limit else None


def check_roster(*, by, rows):
    """`rows` are (key, {name, phone, team, role, since}), the team or role None where the caller
    found none. A cadre is matched on the mobile number (an account's) and the team, so the
    same rows twice change nothing; one with no account gets one, named after the number."""
    checked = Checked()
    teams = {row["team"].pk for _key, row in rows if row["team"] is not None}
    if scope.changeable(by, Team).filter(pk__in=teams).count() != len(teams):
        raise PermissionDenied(_("Only the town office or an administrator can change this team's roster."))
    in_rows = {}
    for key, row in rows:
        if refusal := _too_long(User, "name", row["name"]):
            checked.refuse(key, "name", refusal)
        if row["team"] is not None and row["phone"]:
            cadre = (row["phone"], row["team"].pk)
            if cadre in in_rows:
                checked.refuse(key, "phone", _("The same cadre in the same team as row %(row)d.") % {
                    "row": in_rows[cadre]})
            in_rows.setdefault(cadre, key)
        checked.rows[key] = dict(row)
    phones = {row["phone"] for row in checked.rows.values()}
    users = defaultdict(list)
    for user in User.objects.filter(phone__in={phone for phone in phones if phone}):
        users[user.phone].append(user)
    taken = set(User.objects.filter(username__in=phones).values_list("username", flat=True))
    active = {(m.user.phone, m.team_id): m for m in Membership.objects.active_on(timezone.localdate()).filter(
        user__phone__in=users, team__in=teams).select_related("user")}
    for key, row in checked.rows.items():
        found = users.get(row["phone"], [])
        if len(found) > 1:
            checked.refuse(key, "phone", _("Several accounts have this mobile number; add this cadre in the "
                                           "administration pages."))
        elif not found and row["phone"] in taken:
            checked.refuse(key, "phone", _("An account is already named after this number."))
        row["user"] = found[0] if len(found) == 1 else None
        row["membership"] = active.get((row["phone"], row["team"].pk)) if row["team"] is not None else None
        membership = row["membership"]
        if membership is not None and row["role"] and membership.role != row["role"]:
            checked.refuse(key, "role", _(
                "This cadre is already %(role)s in this team; a new role is a new membership: end the old one "
                "first.") % {"role": membership.get_role_display()})
        if row["user"] is not None and row["role"] == Role.LEADER and membership is None:
            try:
                check_leader_limit(user=row["user"], role=row["role"], start_date=row["since"])
            except ValidationError as error:
                checked.refuse(key, "role", " ".join(error.messages))
    return checked


@transaction.atomic
def import_roster(*, checked, keys):
    """Write the rows `keys` of `check_roster`: the new accounts (no password: they sign in once
    an administrator sets one), then the memberships; the coming liaison days get their
    attendance rows. Returns `core.bulk.Written`."""
    rows = [checked.rows[key] for key in keys]
    new_users = {}
    for row in rows:
        if row["user"] is None and row["phone"] not in new_users:
            account = User(username=row["phone"], name=row["name"], phone=row["phone"])
            account.set_unusable_password()
            new_users[row["phone"]] = account
    User.objects.bulk_create(list(new_users.values()))
    memberships, teams, start, counted, written = [], set(), timezone.localdate(), set(), Written()
    for row in rows:
        if row["membership"] is not None:
            written.unchanged += 1
            continue
        member = row["user"] or new_users[row["phone"]]
        if row["user"] is not None and row["role"] == Role.LEADER:
            # Again with the rows written so far: two rows may make a third team.
            check_leader_limit(user=member, role=row["role"], start_date=row["since"])
        memberships.append(Membership(team=row["team"], user=member, role=row["role"], start_date=row["since"],
                                      public_phone=row["phone"]))
        counted.add((row["team"].village_id, row["since"]))
        teams.add(row["team"].pk)
        start = min(start, row["since"])
    Membership.objects.bulk_create(memberships)
    written.created = len(memberships)
    changes.changed_in_villages(counted)
    if teams:
        sync_attendance(team_ids=sorted(teams), start=start, end=timezone.localdate() + timedelta(weeks=52))
    return written


def check_holidays(*, rows):
    """`rows` are (key, {date, kind, name}), the date or kind None where the caller found none.
    A day is matched on its date: the same rows twice change nothing. Who may is the caller's
    to ask (administrators keep the calendar)."""
    checked, seen = Checked(), {}
    for key, row in rows:
        day = row["date"]
        if refusal := _too_long(Holiday, "name", row["name"]):
            checked.refuse(key, "name", refusal)
        if day is not None:
            if day in seen:
                checked.refuse(key, "date", _("The same date as row %(row)d.") % {"row": seen[day]})
            seen.setdefault(day, key)
            if row["kind"] == Holiday.Kind.WORKDAY and day.weekday() < 5:
                checked.refuse(key, "kind", _("A make-up working day falls on a weekend."))
        checked.rows[key] = row
    return checked


@transaction.atomic
def import_holidays(*, checked, keys):
    """Write the rows `keys` of `check_holidays`; the coming liaison days on a holiday are
    cancelled, as `add_calendar_days` does. Returns `core.bulk.Written`."""
    rows = [checked.rows[key] for key in keys]
    known = Holiday.objects.in_bulk([row["date"] for row in rows], field_name="date")
    new, changed, written = [], [], Written()
    for row in rows:
        holiday = known.get(row["date"])
        if holiday is None:
            new.append(Holiday(date=row["date"], kind=row["kind"], name=row["name"]))
        elif (holiday.kind, holiday.name) != (row["kind"], row["name"]):
            holiday.kind, holiday.name = row["kind"], row["name"]
            changed.append(holiday)
        else:
            written.unchanged += 1
    Holiday.objects.bulk_create(new)
    Holiday.objects.bulk_update(changed, ["kind", "name"])
    cancel_days_on_holidays(new + changed)
    written.created, written.updated = len(new), len(changed)
    return written
