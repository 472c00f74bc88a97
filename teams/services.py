"""Use cases for teams, rosters and liaison days. Each is a keyword-only function that
validates, writes inside a transaction, and raises ValidationError with a message for the
user when the request cannot be done."""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from core import texts
from teams import changes, scope
from teams.models import (
    MAX_TEAMS_PER_LEADER,
    REQUIRED_ROLES,
    Attendance,
    Holiday,
    LiaisonDay,
    Membership,
    Role,
    Team,
)

# What people type about a liaison day, bounded by the columns that keep it.
CHANGE_REASON = texts.Bound.of(LiaisonDay, "change_reason", pgettext_lazy("text field", "Reason for the change"))


def _monday(day):
    return day - timedelta(days=day.isoweekday() - 1)


def schedule_dates(schedule, county, start, end):
    """The dates the schedule puts a liaison day on, from `start` to `end` inclusive."""
    weekday = schedule.effective_weekday(county)
    anchor = _monday(schedule.starts_on)
    week = _monday(start)
    while week <= end:
        day = week + timedelta(days=weekday - 1)
        if start <= day <= end and ((week - anchor).days // 7) % schedule.every_weeks == 0:
            yield day
        week += timedelta(days=7)


@transaction.atomic
def generate_liaison_days(*, weeks=None, start=None, teams=None):
    """Create the liaison days of the next `weeks` weeks from every active team's schedule,
    and make sure every required member whose membership covers a coming day has an
    attendance row for it (and nobody else has a pending one). Running it again creates
    nothing new. Days on a public holiday are created cancelled, with the holiday as reason.

    Returns the number of liaison days and attendance rows created."""
    today = timezone.localdate()
    start = start or today
    end = today + timedelta(weeks=weeks or settings.LIAISON_DAYS_AHEAD_WEEKS)
    team_qs = Team.objects.filter(is_active=True, schedule__isnull=False).select_related(
        "schedule", "village__town__county"
    )
    if teams is not None:
        team_qs = team_qs.filter(pk__in=[t.pk if hasattr(t, "pk") else t for t in teams])
    team_list = list(team_qs)
    team_ids = [t.pk for t in team_list]
    holidays = dict(
        Holiday.objects.filter(kind=Holiday.Kind.HOLIDAY, date__range=(start, end)).values_list("date", "name")
    )
    existing = set(
        LiaisonDay.objects.filter(team__in=team_ids, scheduled_date__range=(start, end)).values_list(
            "team_id", "scheduled_date"
        )
    )
    new_days = []
    for team in team_list:
        schedule = team.schedule
        for day in schedule_dates(schedule, team.village.town.county, start, end):
            if (team.pk, day) in existing:
                continue
            cancelled = day in holidays
            new_days.append(
                LiaisonDay(
                    team=team,
                    scheduled_date=day,
                    date=day,
                    half_day=schedule.half_day,
                    place=schedule.place,
                    status=LiaisonDay.Status.CANCELLED if cancelled else LiaisonDay.Status.SCHEDULED,
                    change_reason=_holiday_reason(holidays[day]) if cancelled else "",
                )
            )
    LiaisonDay.objects.bulk_create(new_days, batch_size=2000, ignore_conflicts=True)
    rows = sync_attendance(team_ids=team_ids, start=start, end=end)
    return len(new_days), rows


def _holiday_reason(name):
    return _("Public holiday: %(name)s") % {"name": name}


def cancel_days_on_holidays(holidays):
    """Liaison days generated before their date was entered as a public holiday are cancelled
    as `generate_liaison_days` would have created them: those after today, still on their
    scheduled date (a day a leader moved onto the holiday stays) and with no attendance
    recorded; their pending rows go. Today's and past days are in hand or history. No figure
    changes: none counts a day after today. Returns the number of days cancelled."""
    today = timezone.localdate()
    recorded = Attendance.objects.filter(liaison_day=OuterRef("pk")).exclude(status=Attendance.Status.PENDING)
    cancelled = 0
    for holiday in holidays:
        if holiday.kind != Holiday.Kind.HOLIDAY or holiday.date <= today:
            continue
        days = list(LiaisonDay.objects.filter(
            status=LiaisonDay.Status.SCHEDULED, date=holiday.date, scheduled_date=holiday.date
        ).exclude(Exists(recorded)).values_list("pk", flat=True))
        cancelled += LiaisonDay.objects.filter(pk__in=days).update(
            status=LiaisonDay.Status.CANCELLED, change_reason=_holiday_reason(holiday.name)
        )
        Attendance.objects.filter(liaison_day__in=days, status=Attendance.Status.PENDING).delete()
    return cancelled


def sync_attendance(*, team_ids, start, end):
    """Give each coming, not cancelled liaison day of these teams a pending row for every
    required member whose membership covers its date; drop pending rows of members whose
    membership no longer does. Past days are left as they are: they are history."""
    start = max(start, timezone.localdate())
    days = list(
        LiaisonDay.objects.filter(
            team__in=team_ids, date__range=(start, end), status=LiaisonDay.Status.SCHEDULED
        ).values_list("pk", "team_id", "date")
    )
    if not days:
        return 0
    members = defaultdict(list)
    for team_id, user_id, start_date, end_date in Membership.objects.filter(
        team__in=team_ids, role__in=REQUIRED_ROLES, start_date__lte=end
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=start)).values_list(
        "team_id", "user_id", "start_date", "end_date"
    ):
        members[team_id].append((user_id, start_date, end_date))
    wanted = {
        (day_id, user_id)
        for day_id, team_id, day in days
        for user_id, start_date, end_date in members[team_id]
        if start_date <= day and (end_date is None or end_date >= day)
    }
    day_ids = [d[0] for d in days]
    have = set(Attendance.objects.filter(liaison_day__in=day_ids).values_list("liaison_day_id", "member_id"))
    stale = have - wanted
    if stale:
        stale_q = Q()
        for day_id, user_id in stale:
            stale_q |= Q(liaison_day_id=day_id, member_id=user_id)
        Attendance.objects.filter(stale_q, status=Attendance.Status.PENDING).delete()
    missing = wanted - have
    Attendance.objects.bulk_create(
        [Attendance(liaison_day_id=d, member_id=u) for d, u in missing], batch_size=5000, ignore_conflicts=True
    )
    return len(missing)


HOLIDAY_MAX_DAYS = 31


@transaction.atomic
def add_calendar_days(*, by, name, kind, first_day, last_day=None, workdays=()):
    """Days of the official calendar in one step: a holiday from `first_day` to `last_day` (a
    seven-day National Day at once) with the make-up working days (调休) that go with it, or a
    run of make-up working days. Nothing is added if any of the dates is already in the calendar;
    coming liaison days on the holiday are cancelled. Returns the rows added, in date order."""
    if not scope.keeps_calendar(by):
        raise PermissionDenied(_("Only an administrator keeps the holiday calendar."))
    rows = calendar_days(name=name, kind=kind, first_day=first_day, last_day=last_day, workdays=workdays)
    Holiday.objects.bulk_create(rows)
    cancel_days_on_holidays(rows)
    return sorted(rows, key=lambda row: row.date)


def calendar_days(*, name, kind, first_day, last_day=None, workdays=()):
    """The unsaved rows `add_calendar_days` would add, or a ValidationError saying why none can
    be: the admin's form asks it before saving."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the holiday's name, for example 国庆节.")})
    last_day = last_day or first_day
    if last_day < first_day:
        raise ValidationError({"last_day": _("The last day cannot come before the first day.")})
    if (last_day - first_day).days >= HOLIDAY_MAX_DAYS:
        raise ValidationError({"last_day": _("A holiday lasts at most %(n)d days.") % {"n": HOLIDAY_MAX_DAYS}})
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    rows = [Holiday(date=day, kind=kind, name=name) for day in days]
    extra = sorted(set(workdays) - set(days))
    if kind == Holiday.Kind.HOLIDAY:
        made_up = _("%(name)s make-up working day") % {"name": name}
        rows += [Holiday(date=day, kind=Holiday.Kind.WORKDAY, name=made_up[:40]) for day in extra]
    taken = sorted(Holiday.objects.filter(date__in=[row.date for row in rows]).values_list("date", flat=True))
    if taken:
        raise ValidationError(
            _("Already in the calendar: %(dates)s. Change those days on their own, then add the rest.")
            % {"dates": "、".join(day.isoformat() for day in taken)}
        )
    return rows


def _require_reason(reason):
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for the change; it is kept with the day.")})
    texts.check(reason=(reason, CHANGE_REASON))


def _require_change(by, obj, message):
    if not scope.can_change(by, obj):
        raise PermissionDenied(message)


def check_reschedule(day, new_date, reason):
    """Whether `day` may move to `new_date` for `reason`: a ValidationError says why not. The
    service checks it on the locked row; the admin's form asks it before saving."""
    _require_reason(reason)
    if new_date < timezone.localdate():
        raise ValidationError({"new_date": _("A liaison day cannot be moved into the past.")})
    if day.date < timezone.localdate():
        raise ValidationError({"new_date": _("This liaison day is over; it can no longer be moved.")})
    if LiaisonDay.objects.filter(team=day.team_id, date=new_date).exclude(pk=day.pk).exists():
        raise ValidationError({"new_date": _("The team already has a liaison day on that date.")})


@transaction.atomic
def reschedule_liaison_day(*, liaison_day, new_date, reason, by):
    _require_change(by, liaison_day, _("Only the team leader or the town office can change a liaison day."))
    day = LiaisonDay.objects.select_for_update().get(pk=liaison_day.pk)
    check_reschedule(day, new_date, reason)
    changes.changed_in_village(day.team.village_id, min(day.date, new_date))
    day.date = new_date
    day.status = LiaisonDay.Status.SCHEDULED
    day.change_reason = reason.strip()
    try:
        with transaction.atomic():
            day.save(update_fields=["date", "status", "change_reason"])
    except IntegrityError:
        # Someone moved another of the team's days onto that date at the same moment.
        raise ValidationError({"new_date": _("The team already has a liaison day on that date.")}) from None
    sync_attendance(team_ids=[day.team_id], start=new_date, end=new_date)
    return day


@transaction.atomic
def cancel_liaison_day(*, liaison_day, reason, by):
    _require_change(by, liaison_day, _("Only the team leader or the town office can change a liaison day."))
    _require_reason(reason)
    day = LiaisonDay.objects.select_for_update().get(pk=liaison_day.pk)
    if day.date < timezone.localdate():
        raise ValidationError({"reason": _("This liaison day is over; it can no longer be cancelled.")})
    day.status = LiaisonDay.Status.CANCELLED
    day.change_reason = reason.strip()
    day.save(update_fields=["status", "change_reason"])
    day.attendance.filter(status=Attendance.Status.PENDING).delete()
    changes.changed_in_village(day.team.village_id, day.date)
    return day


@transaction.atomic
def correct_change_reason(*, liaison_day, reason, by):
    """Reword why a day was moved or cancelled; its date and status stay, and no figure counts
    the reason."""
    _require_change(by, liaison_day, _("Only the team leader or the town office can change a liaison day."))
    texts.check(reason=(reason, CHANGE_REASON))
    liaison_day.change_reason = (reason or "").strip()
    LiaisonDay.objects.filter(pk=liaison_day.pk).update(change_reason=liaison_day.change_reason)
    return liaison_day


def check_leader_limit(*, user, role, start_date, end_date=None, exclude_pk=None):
    """A town leader leads at most two teams at any one time."""
    if role != Role.LEADER:
        return
    overlapping = (
        Membership.objects.filter(user=user, role=Role.LEADER)
        .exclude(pk=exclude_pk)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start_date))
    )
    if end_date is not None:
        overlapping = overlapping.filter(start_date__lte=end_date)
    if overlapping.values("team").distinct().count() >= MAX_TEAMS_PER_LEADER:
        raise ValidationError(
            {"user": _("%(name)s already leads %(n)d teams; a leader leads at most %(n)d.")
             % {"name": user, "n": MAX_TEAMS_PER_LEADER}}
        )


@transaction.atomic
def add_membership(*, by, team, user, role, start_date, end_date=None, public_phone=""):
    _require_change(by, team, _("Only the town office or an administrator can change this team's roster."))
    # Lock the user's row so two concurrent additions cannot both pass the leader limit.
    type(user).objects.select_for_update().filter(pk=user.pk).first()
    membership = Membership(
        team=team, user=user, role=role, start_date=start_date, end_date=end_date, public_phone=public_phone
    )
    membership.full_clean()
    check_leader_limit(user=user, role=role, start_date=start_date, end_date=end_date)
    membership.save()
    sync_attendance(team_ids=[team.pk], start=start_date, end=timezone.localdate() + timedelta(weeks=52))
    changes.changed_in_village(team.village_id, start_date)
    return membership


@transaction.atomic
def change_membership(*, by, membership, end_date, public_phone=None):
    """What a recorded membership may still change: when it ends (ending it, or correcting the
    end) and the phone the village's notice shows. Who, which team, which role and since when
    stay as recorded, because they are history: a new role is a new membership."""
    _require_change(by, membership, _("Only the town office or an administrator can change this team's roster."))
    locked = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if end_date != locked.end_date and locked.role == Role.LEADER:
        # Lock the user's row so a concurrent addition cannot pass the leader limit with this change.
        type(locked.user).objects.select_for_update().filter(pk=locked.user_id).first()
        check_leader_limit(
            user=locked.user, role=locked.role, start_date=locked.start_date, end_date=end_date, exclude_pk=locked.pk
        )
    if end_date != locked.end_date:
        # Required on the days between the two ends, or no longer: an open end is today.
        changes.changed_in_village(locked.team.village_id, changes.earliest(
            locked.end_date or timezone.localdate(), end_date or timezone.localdate()))
    locked.end_date = end_date
    if public_phone is not None:
        locked.public_phone = public_phone
    locked.full_clean()
    locked.save(update_fields=["end_date", "public_phone"])
    sync_attendance(
        team_ids=[locked.team_id], start=timezone.localdate(), end=timezone.localdate() + timedelta(weeks=52)
    )
    membership.end_date, membership.public_phone = locked.end_date, locked.public_phone
    return membership
