"""Issue 14's rough edges of the liaison day and the calendar: check-in keeps its time, the sheet
shows its totals and rate and marks everyone present in one tap, the team page leads back to
past sheets, and an administrator enters a seven-day holiday and its make-up days in one step."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from conftest import LIAISON_TUESDAY, TODAY
from teams import attendance as team_attendance
from teams import services
from teams.models import Attendance, Holiday


def test_check_in_keeps_its_time_and_a_leaders_mark_says_nothing_of_the_hour(world, today_day):
    team_attendance.check_in(user=world.cadre, team=world.team_a)
    team_attendance.record_attendance(liaison_day=today_day, by=world.leader,
                               entries=[{"member": world.lawyer.pk, "status": "present"}])
    rows = {row.member_id: row for row in Attendance.objects.filter(liaison_day=today_day)}
    assert rows[world.cadre.pk].checked_in_at == LIAISON_TUESDAY
    assert rows[world.lawyer.pk].status == "present" and rows[world.lawyer.pk].checked_in_at is None
    team_attendance.record_attendance(liaison_day=today_day, by=world.leader,
                               entries=[{"member": world.cadre.pk, "status": "absent"}])
    assert Attendance.objects.get(liaison_day=today_day, member=world.cadre).checked_in_at is None


def test_the_sheet_shows_totals_rate_check_in_time_and_everyone_present(world, today_day, as_user):
    team_attendance.check_in(user=world.cadre, team=world.team_a)
    team_attendance.ask_leave(user=world.lawyer, liaison_day=today_day, reason="出庭")
    html = as_user(world.leader).get(reverse("liaison-day", args=[today_day.pk])).content.decode()
    # cadre present, lawyer on leave, leader not marked: 1 of the 2 counted.
    assert "出勤 1 人 · 缺勤 0 人 · 请假 1 人 · 未登记 1 人" in html and "出勤率：<strong>50%</strong>" in html
    assert "09:30 签到" in html
    assert "data-all-present" in html and "全部出勤" in html
    # A member reads the sheet; only the leader marks it.
    html = as_user(world.cadre).get(reverse("liaison-day", args=[today_day.pk])).content.decode()
    assert "出勤率：<strong>50%</strong>" in html and "data-all-present" not in html


def test_the_team_page_lists_past_liaison_days_with_their_sheets(world, today_day, as_user):
    team_attendance.check_in(user=world.cadre, team=world.team_a)
    with time_machine.travel(LIAISON_TUESDAY + timedelta(days=8), tick=False):
        html = as_user(world.cadre).get(reverse("team-detail", args=[world.team_a.pk])).content.decode()
    past = re.search(r'id="past-days".*?</section>', html, re.S).group(0)
    assert f'href="{reverse("liaison-day", args=[today_day.pk])}"' in past
    assert TODAY.isoformat() in past and "出勤 1/3" in past


def test_a_seven_day_holiday_and_its_make_up_day_in_one_step(world, as_admin):
    response = as_admin.post("/admin/teams/holiday/add/", {
        "name": "国庆节", "kind": "holiday", "date": "2030-10-01", "last_day": "2030-10-07",
        "workday_1": "2030-09-29", "workday_2": "2030-10-12",
    })
    assert response.status_code == 302
    added = list(Holiday.objects.filter(date__year=2030).values_list("date", "kind", "name"))
    assert added == (
        [(date(2030, 9, 29), "workday", "国庆节调休")]
        + [(date(2030, 10, d), "holiday", "国庆节") for d in range(1, 8)]
        + [(date(2030, 10, 12), "workday", "国庆节调休")]
    )


def test_a_range_over_days_already_in_the_calendar_adds_nothing(world, as_admin):
    Holiday.objects.create(date=date(2030, 10, 3), kind="holiday", name="国庆节")
    response = as_admin.post("/admin/teams/holiday/add/", {
        "name": "国庆节", "kind": "holiday", "date": "2030-10-01", "last_day": "2030-10-07", "workday_1": "2030-10-12",
    })
    assert response.status_code == 200
    assert "以下日期已在日历中：2030-10-03" in response.content.decode()
    assert Holiday.objects.filter(date__year=2030).count() == 1
    response = as_admin.post("/admin/teams/holiday/add/", {
        "name": "国庆节", "kind": "holiday", "date": "2030-10-07", "last_day": "2030-10-01",
    })
    assert "最后一天不能早于第一天" in response.content.decode()
    assert Holiday.objects.filter(date__year=2030).count() == 1


def test_only_an_administrator_keeps_the_calendar(world):
    with pytest.raises(services.PermissionDenied):
        services.add_calendar_days(by=world.town_office, name="国庆节", kind="holiday", first_day=date(2030, 10, 1))


def test_a_holiday_entered_after_the_days_were_made_cancels_the_coming_ones_left_as_made(world, today_day):
    services.generate_liaison_days(weeks=3)
    day = lambda team, on: team.liaison_days.get(scheduled_date=on)  # noqa: E731
    december_1, december_8 = date(2026, 12, 1), date(2026, 12, 8)
    # A leave recorded ahead on team A's 8 December; team C's 8 December moved onto the 9th by its leader.
    team_attendance.record_attendance(liaison_day=day(world.team_a, december_8), by=world.leader,
                               entries=[{"member": world.lawyer.pk, "status": "leave", "note": "出差"}])
    services.reschedule_liaison_day(liaison_day=day(world.team_c, december_8), new_date=date(2026, 12, 9),
                                    reason="村里有活动", by=world.other_leader)
    services.add_calendar_days(by=world.admin, name="冬季假期", kind="holiday", first_day=TODAY,
                               last_day=date(2026, 12, 9))
    for team in (world.team_a, world.team_b, world.team_c):
        cancelled = day(team, december_1)
        assert (cancelled.status, cancelled.change_reason) == ("cancelled", "法定节假日：冬季假期")
        assert not cancelled.attendance.exists()
    # Today's day is in hand; a day with a leave on it and a day a leader moved are people's doing.
    today_day.refresh_from_db()
    assert today_day.status == "scheduled" and today_day.attendance.count() == 3
    assert day(world.team_a, december_8).status == "scheduled"
    assert day(world.team_c, december_8).status == "scheduled"
    assert day(world.team_a, date(2026, 12, 15)).status == "scheduled"
