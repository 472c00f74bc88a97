"""The attendance sheet of a liaison day: the leader marks it, a member checks in or asks for
leave, all through `record_attendance`, which locks the day and never overwrites a row changed
since the user saw it (SheetChanged, a 409)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from core import texts
from core.web import Conflict
from teams import changes, scope
from teams.models import Attendance, AttendanceChange, LiaisonDay, User

LEAVE_REASON = texts.Bound.of(Attendance, "note", pgettext_lazy("text field", "Reason for leave"))
ATTENDANCE_NOTE = texts.Bound.of(Attendance, "note", pgettext_lazy("text field", "Note"))
class SheetChanged(Conflict):
    """Someone else marked a row since the user saw it (409); the message is for the user."""


def _version(row):
    return (row.status, row.note, row.updated_by_id, row.updated_at, row.checked_in_at)


def _note_asked(row, status, note):
    """The note an entry leaves on its row: checking in again without a note keeps the row's."""
    return row.note if status == Attendance.Status.PRESENT == row.status and not note else note


def _changed_since(row, entry, arrived):
    """Whether the locked `row` is no longer what the entry was based on: the status the user
    saw (`seen`), its version (`seen_at`), or the row as the request found it on arrival. A row
    that already is what the entry asks for is not a conflict, versioned or not: a double tap
    checks in once, and a client retrying a save that went through is not told someone else
    changed it."""
    note = _note_asked(row, entry["status"], (entry.get("note") or "").strip())
    if (row.status, row.note) == (entry["status"], note):
        return False
    if entry.get("seen") and row.status != entry["seen"]:
        return True
    if entry.get("seen_at") and row.updated_at != entry["seen_at"]:
        return True
    return arrived is not None and _version(arrived) != _version(row)


@transaction.atomic
def record_attendance(*, liaison_day, by, entries):
    """Set attendance rows of one liaison day, all or nothing. `entries` are dicts with
    `member` (a user id), `status` and `note`. The team leader (or an administrator) marks
    anyone; a member checks themselves in on the day or asks for leave with a reason.
    Every change is logged; setting a row to what it already is changes nothing. An entry may
    carry `seen`, the status the user saw, and `seen_at`, the row's `updated_at` they saw (its
    version: a note changed is a change too): if the row has changed since, nothing is saved and
    SheetChanged says whose row (two people marking the same row never silently overwrite).

    Without `seen` (DESIGN.md's contract does not name it, so it stays optional) the version is
    the row as this request found it when it arrived, read before the lock: a row that another
    request changed between that read and the lock is not overwritten either (409), unless this
    entry asks for what the row already is. Every change is thus based on the state it replaces;
    one that is not is a 409 for every client, never a silent overwrite.

    Returns the rows that changed."""
    entries = list(entries)
    members = [e["member"] for e in entries]
    arrived = {
        row.member_id: row for row in Attendance.objects.filter(liaison_day_id=liaison_day.pk, member_id__in=members)
    }
    day = LiaisonDay.objects.select_for_update().select_related("team").get(pk=liaison_day.pk)
    leads = scope.may_mark_sheet(by, day)
    if not scope.may_record_attendance(by, day):
        raise PermissionDenied(_("Only the team's members and leader record its attendance."))
    today = timezone.localdate()
    if day.is_cancelled:
        raise ValidationError(_("This liaison day was cancelled; there is no attendance to record."))
    if today > day.sheet_closes_on():
        raise ValidationError(
            _("The attendance sheet of %(date)s closed on %(closed)s; it can no longer be changed.")
            % {"date": day.date.isoformat(), "closed": day.sheet_closes_on().isoformat()}
        )
    rows = {row.member_id: row for row in Attendance.objects.select_for_update().filter(liaison_day=day)}
    # Only people the user may see are named: anyone else is the id they sent.
    names = dict(scope.visible(by, User).filter(pk__in=[e["member"] for e in entries]).values_list("pk", "name"))
    changed_meanwhile = [
        names.get(e["member"]) or str(e["member"]) for e in entries
        if e["member"] in rows and _changed_since(rows[e["member"]], e, arrived.get(e["member"]))
    ]
    if changed_meanwhile:
        raise SheetChanged(
            _("Someone else has just marked %(names)s. Reload the sheet to see it, then try again.")
            % {"names": "、".join(changed_meanwhile)}
        )
    errors, changed = [], []
    for entry in entries:
        member_id, status, note = entry["member"], entry["status"], (entry.get("note") or "").strip()
        name = names.get(member_id) or str(member_id)
        row = rows.get(member_id)
        if row is None:
            errors.append(
                _("%(name)s is not a required member of %(team)s on %(date)s.")
                % {"name": name, "team": day.team, "date": day.date.isoformat()}
            )
            continue
        if status not in (Attendance.Status.PRESENT, Attendance.Status.ABSENT, Attendance.Status.LEAVE):
            errors.append(_("Choose present, absent or on leave for %(name)s.") % {"name": name})
            continue
        if refusal := ATTENDANCE_NOTE.error(note):
            errors.append(_("%(name)s: %(refusal)s") % {"name": name, "refusal": refusal})
            continue
        if not leads and (member_id != by.pk or status == Attendance.Status.ABSENT):
            errors.append(_("Only the team leader can mark other members or mark someone absent."))
            continue
        if status != Attendance.Status.LEAVE and day.date > today:
            errors.append(
                _("%(name)s cannot be marked present or absent before the liaison day.") % {"name": name}
            )
            continue
        if not leads and status == Attendance.Status.PRESENT and day.date != today:
            errors.append(_("You can check in only on the liaison day itself."))
            continue
        if status == Attendance.Status.LEAVE and not note:
            errors.append(_("Give the reason for the leave of %(name)s.") % {"name": name})
            continue
        note = _note_asked(row, status, note)
        if (row.status, row.note) == (status, note):
            continue
        if not leads and day.date < today:
            errors.append(_("After the liaison day only the team leader can change the sheet."))
            continue
        if not leads and row.updated_by_id not in (None, by.pk):
            errors.append(_("The team leader has already marked you; ask the leader to change it."))
            continue
        AttendanceChange.objects.create(
            attendance=row, changed_by=by, from_status=row.status, to_status=status, from_note=row.note, to_note=note
        )
        if status != Attendance.Status.PRESENT:
            row.checked_in_at = None
        elif member_id == by.pk and row.status != Attendance.Status.PRESENT:
            row.checked_in_at = timezone.now()
        row.status, row.note, row.updated_by = status, note, by
        row.save(update_fields=["status", "note", "checked_in_at", "updated_by", "updated_at"])
        changed.append(row)
    if errors:
        raise ValidationError(errors)
    if changed:
        changes.changed_in_village(day.team.village_id, day.date)
    return changed


def liaison_day_today(*, team):
    return LiaisonDay.objects.filter(team=team, date=timezone.localdate()).select_related("team").first()


def check_in(*, user, team):
    """One tap on the liaison day. Checking in again changes nothing."""
    day = liaison_day_today(team=team)
    if day is None or day.is_cancelled:
        upcoming = (
            LiaisonDay.objects.filter(team=team, date__gt=timezone.localdate(), status=LiaisonDay.Status.SCHEDULED)
            .order_by("date")
            .first()
        )
        if upcoming:
            raise ValidationError(
                _("Today is not a liaison day of %(team)s. The next one is on %(date)s.")
                % {"team": team, "date": upcoming.date.isoformat()}
            )
        raise ValidationError(_("Today is not a liaison day of %(team)s.") % {"team": team})
    record_attendance(liaison_day=day, by=user, entries=[{"member": user.pk, "status": Attendance.Status.PRESENT}])
    return day


def ask_leave(*, user, liaison_day, reason):
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for your leave.")})
    texts.check(reason=(reason, LEAVE_REASON))
    return record_attendance(
        liaison_day=liaison_day, by=user,
        entries=[{"member": user.pk, "status": Attendance.Status.LEAVE, "note": reason}],
    )
