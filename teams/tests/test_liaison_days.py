"""Generating liaison days from schedules, and rescheduling or cancelling them."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from teams import attendance as team_attendance
from teams import services
from teams.models import Attendance, Holiday, LiaisonDay, Membership, Role, Schedule

# A Sunday; the county's liaison day is Tuesday.
TODAY = date(2026, 11, 22)


pytestmark = pytest.mark.usefixtures("sunday_before")


def days_of(team):
    return list(LiaisonDay.objects.filter(team=team).order_by("date").values_list("date", flat=True))


def test_generates_the_next_weeks_on_the_county_day_with_a_row_per_required_member(world):
    services.generate_liaison_days(weeks=4, teams=[world.team_a])
    assert days_of(world.team_a) == [date(2026, 11, 24), date(2026, 12, 1), date(2026, 12, 8), date(2026, 12, 15)]
    first = LiaisonDay.objects.get(team=world.team_a, date=date(2026, 11, 24))
    assert first.place == "西区社区党群服务中心"
    members = set(first.attendance.values_list("member__username", flat=True))
    # The volunteer is auxiliary: helps, but is not counted in attendance.
    assert members == {"leader", "cadre", "lawyer"}
    assert set(first.attendance.values_list("status", flat=True)) == {Attendance.Status.PENDING}


def test_running_it_twice_creates_nothing_new(world):
    first = services.generate_liaison_days(weeks=4)
    again = services.generate_liaison_days(weeks=4)
    assert first[0] > 0 and first[1] > 0
    assert again == (0, 0)


def test_a_team_weekday_override_and_a_fortnightly_schedule(world):
    Schedule.objects.filter(team=world.team_b).update(weekday=5, every_weeks=2, starts_on=date(2026, 11, 23))
    services.generate_liaison_days(weeks=5, teams=[world.team_b])
    # Fridays, every second week counted from the week of 23 November.
    assert days_of(world.team_b) == [date(2026, 11, 27), date(2026, 12, 11), date(2026, 12, 25)]


def test_membership_dates_decide_who_gets_a_row(world):
    Membership.objects.filter(user=world.lawyer).update(end_date=date(2026, 11, 30))
    newcomer = Membership.objects.create(
        team=world.team_a, user=world.other_leader, role=Role.JUDGE, start_date=date(2026, 12, 2)
    )
    services.generate_liaison_days(weeks=3, teams=[world.team_a])
    rows = {
        d: set(LiaisonDay.objects.get(team=world.team_a, date=d).attendance.values_list("member_id", flat=True))
        for d in days_of(world.team_a)
    }
    assert world.lawyer.pk in rows[date(2026, 11, 24)]
    assert world.lawyer.pk not in rows[date(2026, 12, 1)]
    assert newcomer.user_id not in rows[date(2026, 12, 1)]
    assert newcomer.user_id in rows[date(2026, 12, 8)]


def test_ending_a_membership_removes_only_future_pending_rows(world):
    services.generate_liaison_days(weeks=3, teams=[world.team_a])
    membership = Membership.objects.get(user=world.lawyer)
    services.change_membership(by=world.town_office, membership=membership, end_date=date(2026, 11, 30))
    assert not Attendance.objects.filter(member=world.lawyer, liaison_day__date__gt=date(2026, 11, 30)).exists()
    assert Attendance.objects.filter(member=world.lawyer, liaison_day__date=date(2026, 11, 24)).exists()


def test_a_day_on_a_public_holiday_is_created_cancelled_with_the_holiday_as_reason(world):
    Holiday.objects.update_or_create(
        date=date(2026, 12, 1), defaults={"kind": Holiday.Kind.HOLIDAY, "name": "测试假日"}
    )
    services.generate_liaison_days(weeks=2, teams=[world.team_a])
    day = LiaisonDay.objects.get(team=world.team_a, date=date(2026, 12, 1))
    assert day.status == LiaisonDay.Status.CANCELLED
    assert "测试假日" in day.change_reason
    assert not day.attendance.exists()


def test_rescheduled_and_cancelled_days_are_kept_and_not_regenerated(world):
    services.generate_liaison_days(weeks=2, teams=[world.team_a])
    moved, cancelled = LiaisonDay.objects.filter(team=world.team_a).order_by("date")
    services.reschedule_liaison_day(
        liaison_day=moved, new_date=date(2026, 11, 26), reason="镇里开会，改到周四", by=world.leader
    )
    services.cancel_liaison_day(liaison_day=cancelled, reason="防台风停止外出", by=world.town_office)
    services.generate_liaison_days(weeks=2, teams=[world.team_a])
    assert days_of(world.team_a) == [date(2026, 11, 26), date(2026, 12, 1)]
    moved.refresh_from_db()
    cancelled.refresh_from_db()
    assert moved.scheduled_date == date(2026, 11, 24) and moved.change_reason == "镇里开会，改到周四"
    assert cancelled.status == LiaisonDay.Status.CANCELLED and cancelled.change_reason == "防台风停止外出"
    assert not cancelled.attendance.exists()
    assert moved.attendance.count() == 3


def test_a_day_cannot_be_moved_into_the_past_or_without_a_reason(world):
    services.generate_liaison_days(weeks=1, teams=[world.team_a])
    day = LiaisonDay.objects.get(team=world.team_a)
    with pytest.raises(ValidationError) as error:
        services.reschedule_liaison_day(
            liaison_day=day, new_date=TODAY - timedelta(days=1), reason="补开", by=world.leader
        )
    assert "new_date" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.reschedule_liaison_day(
            liaison_day=day, new_date=TODAY + timedelta(days=3), reason="  ", by=world.leader
        )
    assert "reason" in error.value.message_dict
    day.refresh_from_db()
    assert day.date == date(2026, 11, 24) and day.change_reason == ""


def test_past_days_keep_their_attendance_when_generating_again(world):
    with time_machine.travel("2026-11-10 09:00 +08:00", tick=False):
        services.generate_liaison_days(weeks=1, teams=[world.team_a])
    past = LiaisonDay.objects.get(team=world.team_a, date=date(2026, 11, 10))
    Membership.objects.filter(user=world.lawyer).update(end_date=date(2026, 11, 1))
    services.generate_liaison_days(weeks=1, teams=[world.team_a])
    assert past.attendance.filter(member=world.lawyer).exists()


def test_the_command_and_the_celery_task_run_the_same_service(world):
    from django.core.management import call_command

    from teams.tasks import generate_liaison_days

    call_command("generate_liaison_days", weeks=2)
    count = LiaisonDay.objects.count()
    assert count == 8  # four teams with schedules, two weeks
    assert generate_liaison_days.run(weeks=2) == {"liaison_days": 0, "attendance_rows": 0}


def test_only_the_leader_or_the_town_office_moves_or_cancels_a_day(world):
    from django.core.exceptions import PermissionDenied

    services.generate_liaison_days(weeks=1, teams=[world.team_a])
    day = LiaisonDay.objects.get(team=world.team_a)
    for persona in ("cadre", "other_cadre", "department", "org_department"):
        with pytest.raises(PermissionDenied):
            services.cancel_liaison_day(liaison_day=day, reason="x", by=getattr(world, persona))
        with pytest.raises(PermissionDenied):
            services.reschedule_liaison_day(
                liaison_day=day, new_date=date(2026, 11, 26), reason="x", by=getattr(world, persona)
            )
    day.refresh_from_db()
    assert (day.date, day.status) == (date(2026, 11, 24), LiaisonDay.Status.SCHEDULED)


def test_two_days_of_a_team_never_share_a_date(world):
    from django.db import IntegrityError, transaction

    services.generate_liaison_days(weeks=2, teams=[world.team_a])
    first, second = LiaisonDay.objects.filter(team=world.team_a).order_by("date")
    with pytest.raises(IntegrityError), transaction.atomic():
        LiaisonDay.objects.filter(pk=second.pk).update(date=first.date)
    with pytest.raises(ValidationError) as error:
        services.reschedule_liaison_day(liaison_day=second, new_date=first.date, reason="合并", by=world.leader)
    assert "new_date" in error.value.message_dict


def test_a_member_cannot_overwrite_the_leaders_mark_or_change_a_past_day(world):
    with time_machine.travel("2026-11-24 09:00 +08:00", tick=False):
        services.generate_liaison_days(weeks=1, teams=[world.team_a])
        day = LiaisonDay.objects.get(team=world.team_a, date=date(2026, 11, 24))
        team_attendance.record_attendance(liaison_day=day, by=world.leader,
                                   entries=[{"member": world.cadre.pk, "status": "absent"}])
        with pytest.raises(ValidationError):
            team_attendance.record_attendance(liaison_day=day, by=world.cadre,
                                       entries=[{"member": world.cadre.pk, "status": "leave", "note": "其实请过假"}])
    with time_machine.travel("2026-11-25 09:00 +08:00", tick=False), pytest.raises(ValidationError):
        team_attendance.record_attendance(liaison_day=day, by=world.lawyer,
                                   entries=[{"member": world.lawyer.pk, "status": "leave", "note": "补请假"}])
    assert dict(day.attendance.values_list("member__username", "status")) == {
        "leader": "pending", "cadre": "absent", "lawyer": "pending"}
