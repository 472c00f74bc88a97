"""Check-in, leave and the leader's sheet (teams/services.py) and their pages."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from conftest import LIAISON_TUESDAY, TODAY
from teams import attendance as team_attendance
from teams import services as team_services
from teams.models import Attendance, AttendanceChange, LiaisonDay


def row(day, user):
    return Attendance.objects.get(liaison_day=day, member=user)


def test_check_in_marks_the_member_present_and_logs_it(world, today_day):
    team_attendance.check_in(user=world.cadre, team=world.team_a)
    attendance = row(today_day, world.cadre)
    assert attendance.status == Attendance.Status.PRESENT
    assert attendance.updated_by == world.cadre
    change = AttendanceChange.objects.get(attendance=attendance)
    assert (change.from_status, change.to_status, change.changed_by) == ("pending", "present", world.cadre)


def test_checking_in_twice_changes_nothing(world, today_day):
    team_attendance.check_in(user=world.cadre, team=world.team_a)
    before = row(today_day, world.cadre).updated_at
    team_attendance.check_in(user=world.cadre, team=world.team_a)
    assert row(today_day, world.cadre).updated_at == before
    assert AttendanceChange.objects.filter(attendance__member=world.cadre).count() == 1


def test_check_in_on_a_day_that_is_not_a_liaison_day_says_so(world, today_day):
    with time_machine.travel(LIAISON_TUESDAY + timedelta(days=1), tick=False), pytest.raises(ValidationError) as error:
        team_attendance.check_in(user=world.cadre, team=world.team_a)
    assert "今天不是西区社区驻点团队的驻点日" in error.value.messages[0]
    assert (TODAY + timedelta(days=7)).isoformat() in error.value.messages[0]


def test_auxiliary_member_has_no_row_to_check_in(world, today_day):
    with pytest.raises(ValidationError, match="不是西区社区驻点团队需要考勤的成员"):
        team_attendance.check_in(user=world.volunteer, team=world.team_a)


def test_leave_needs_a_reason_and_can_be_asked_ahead(world, today_day):
    next_week = LiaisonDay.objects.get(team=world.team_a, date=TODAY + timedelta(days=7))
    with pytest.raises(ValidationError):
        team_attendance.ask_leave(user=world.cadre, liaison_day=next_week, reason="  ")
    team_attendance.ask_leave(user=world.cadre, liaison_day=next_week, reason="参加县里培训")
    assert (row(next_week, world.cadre).status, row(next_week, world.cadre).note) == ("leave", "参加县里培训")


def test_a_member_cannot_check_in_ahead_or_mark_others(world, today_day):
    next_week = LiaisonDay.objects.get(team=world.team_a, date=TODAY + timedelta(days=7))
    with pytest.raises(ValidationError, match="驻点日还没到"):
        team_attendance.record_attendance(
            liaison_day=next_week, by=world.cadre, entries=[{"member": world.cadre.pk, "status": "present"}]
        )
    with pytest.raises(ValidationError, match="只有组长"):
        team_attendance.record_attendance(
            liaison_day=today_day, by=world.cadre, entries=[{"member": world.lawyer.pk, "status": "present"}]
        )
    assert row(today_day, world.lawyer).status == Attendance.Status.PENDING


def test_leader_sheet_is_all_or_nothing(world, today_day):
    entries = [
        {"member": world.cadre.pk, "status": "present"},
        {"member": world.volunteer.pk, "status": "present"},  # auxiliary: not on the sheet
    ]
    with pytest.raises(ValidationError, match="张小燕 在 2026-11-24 不是"):
        team_attendance.record_attendance(liaison_day=today_day, by=world.leader, entries=entries)
    assert row(today_day, world.cadre).status == Attendance.Status.PENDING
    assert not AttendanceChange.objects.exists()


def test_leader_corrects_within_the_window_and_every_change_is_logged(world, today_day):
    team_attendance.record_attendance(
        liaison_day=today_day, by=world.leader,
        entries=[{"member": world.lawyer.pk, "status": "absent"}, {"member": world.cadre.pk, "status": "present"}],
    )
    with time_machine.travel(LIAISON_TUESDAY + timedelta(days=7), tick=False):
        team_attendance.record_attendance(
            liaison_day=today_day, by=world.leader,
            entries=[{"member": world.lawyer.pk, "status": "leave", "note": "出庭"}],
        )
    with (time_machine.travel(LIAISON_TUESDAY + timedelta(days=8), tick=False),
          pytest.raises(ValidationError, match="截止更正")):
        team_attendance.record_attendance(
            liaison_day=today_day, by=world.leader, entries=[{"member": world.lawyer.pk, "status": "present"}]
        )
    log = list(AttendanceChange.objects.filter(attendance__member=world.lawyer).values_list(
        "from_status", "to_status", "to_note", "changed_by"))
    assert log == [("pending", "absent", "", world.leader.pk), ("absent", "leave", "出庭", world.leader.pk)]


def test_cancelled_day_takes_no_attendance(world, today_day):
    team_services.cancel_liaison_day(liaison_day=today_day, reason="台风停课", by=world.leader)
    with pytest.raises(ValidationError, match="不是西区社区驻点团队的驻点日"):
        team_attendance.check_in(user=world.cadre, team=world.team_a)


# Pages


def test_liaison_day_page_checks_in_with_one_tap(world, today_day, as_user, django_assert_max_num_queries):
    client = as_user(world.cadre)
    # session, user, scope (2), teams, days, own rows
    with django_assert_max_num_queries(8):
        page = client.get(reverse("liaison-days"))
    assert "data-check-in" in page.content.decode()
    response = client.post(reverse("liaison-check-in"), {"team": world.team_a.pk}, follow=True)
    assert row(today_day, world.cadre).status == Attendance.Status.PRESENT
    assert "data-check-in" not in response.content.decode()
    # Screen readers announce the confirmation.
    assert '<ul class="messages" role="status"><li class="success">签到成功' in response.content.decode()


def test_page_says_plainly_when_today_is_not_a_liaison_day(world, today_day, as_user):
    with time_machine.travel(LIAISON_TUESDAY + timedelta(days=2), tick=False):
        client = as_user(world.cadre)  # signed in that day: two idle days end a session
        page = client.get(reverse("liaison-days")).content.decode()
        response = client.post(reverse("liaison-check-in"), {"team": world.team_a.pk}, follow=True)
    assert "今天不是本团队的驻点日" in page
    assert "今天不是西区社区驻点团队的驻点日。下一个驻点日是 2026-12-01" in response.content.decode()


def test_leader_marks_the_sheet(world, today_day, as_user, django_assert_max_num_queries):
    client = as_user(world.leader)
    url = reverse("liaison-day", args=[today_day.pk])
    # session, user, scope (2), day, roles, rows, changes
    with django_assert_max_num_queries(9):
        assert client.get(url).status_code == 200
    client.post(url, {f"status-{world.cadre.pk}": "present", f"status-{world.lawyer.pk}": "leave",
                      f"note-{world.lawyer.pk}": "出庭"})
    assert row(today_day, world.lawyer).status == Attendance.Status.LEAVE
    assert row(today_day, world.cadre).status == Attendance.Status.PRESENT


def test_leave_without_reason_on_the_sheet_is_refused_and_kept(world, today_day, as_user):
    client = as_user(world.leader)
    response = client.post(reverse("liaison-day", args=[today_day.pk]), {
        f"status-{world.cadre.pk}": "present", f"status-{world.lawyer.pk}": "leave",
    })
    assert response.status_code == 400
    assert "请假原因" in response.content.decode()
    assert row(today_day, world.cadre).status == Attendance.Status.PENDING


@pytest.mark.parametrize(
    "persona, status",
    [("cadre", 200), ("leader", 200), ("town_office", 200), ("org_department", 200), ("admin", 200),
     ("other_cadre", 404), ("department", 404)],
)
def test_day_sheet_scope(world, today_day, as_user, persona, status):
    assert as_user(getattr(world, persona)).get(reverse("liaison-day", args=[today_day.pk])).status_code == status


def test_only_the_leader_can_post_the_sheet(world, today_day, as_user):
    url = reverse("liaison-day", args=[today_day.pk])
    for persona in ("cadre", "town_office", "other_cadre"):
        assert as_user(getattr(world, persona)).post(url, {f"status-{world.cadre.pk}": "absent"}).status_code == 404
    assert row(today_day, world.cadre).status == Attendance.Status.PENDING


def test_other_team_cannot_ask_leave_on_this_day(world, today_day, as_user):
    response = as_user(world.other_cadre).post(reverse("liaison-day-leave", args=[today_day.pk]), {"reason": "x"})
    assert response.status_code == 404


def test_leader_finds_last_weeks_sheet_while_it_can_be_corrected(world, today_day, as_user):
    with time_machine.travel(LIAISON_TUESDAY + timedelta(days=6), tick=False):
        html = as_user(world.leader).get(reverse("liaison-days")).content.decode()
    assert reverse("liaison-day", args=[today_day.pk]) in html
    with time_machine.travel(LIAISON_TUESDAY + timedelta(days=8), tick=False):
        html = as_user(world.leader).get(reverse("liaison-days")).content.decode()
    assert reverse("liaison-day", args=[today_day.pk]) not in html


def test_check_in_needs_one_of_the_users_teams(world, today_day, as_user):
    client = as_user(world.cadre)
    assert client.post(reverse("liaison-check-in"), {"team": "x"}).status_code == 404
    assert client.post(reverse("liaison-check-in"), {"team": world.team_c.pk}).status_code == 404


def test_closed_sheet_is_shown_read_only(world, today_day, as_user):
    with time_machine.travel(LIAISON_TUESDAY + timedelta(days=8), tick=False):
        client = as_user(world.leader)
        page = client.get(reverse("liaison-day", args=[today_day.pk]))
        posted = client.post(reverse("liaison-day", args=[today_day.pk]), {f"status-{world.cadre.pk}": "absent"})
    assert not page.context["can_mark"] and posted.status_code == 404


def test_the_sheet_does_not_overwrite_a_row_someone_else_marked_meanwhile(world, today_day, as_user):
    url = reverse("liaison-day", args=[today_day.pk])
    page = as_user(world.leader).get(url).content.decode()
    assert f'name="seen-{world.cadre.pk}" value="pending"' in page
    team_attendance.check_in(user=world.cadre, team=world.team_a)
    response = as_user(world.leader).post(
        url, {f"status-{world.cadre.pk}": "absent", f"seen-{world.cadre.pk}": "pending"}, follow=True
    )
    assert "李丽芳的考勤刚刚被他人登记，请刷新考勤表查看后再试。" in response.content.decode()
    assert row(today_day, world.cadre).status == Attendance.Status.PRESENT
