"""In a real browser: the leader's sheet carries each row's version, so saving it never
overwrites a row someone else changed after the page was loaded."""

import pytest
from django.utils import timezone

from conftest import browser_login
from teams import attendance as team_attendance
from teams import services as team_services
from teams.models import Attendance, HalfDay, LiaisonDay

pytestmark = pytest.mark.browser


@pytest.fixture
def sheet(tworld):
    today = timezone.localdate()
    day = LiaisonDay.objects.create(team=tworld.team_a, scheduled_date=today, date=today, half_day=HalfDay.MORNING,
                                    place="西区社区党群服务中心")
    team_services.sync_attendance(team_ids=[tworld.team_a.pk], start=today, end=today)
    return day


def test_saving_the_sheet_keeps_a_note_written_meanwhile(tworld, sheet, phone_page):
    page = phone_page
    browser_login(page, "leader")
    page.goto(f"{page.base_url}/days/{sheet.pk}/")
    page.click("[data-all-present]")
    page.fill(f"input[name=note-{tworld.cadre.pk}]", "准时")
    with page.expect_navigation():
        page.click("form.sheet button[type=submit]")
    assert Attendance.objects.get(liaison_day=sheet, member=tworld.cadre).note == "准时"

    # The leader has the saved sheet open; an administrator corrects the cadre's note meanwhile.
    page.goto(f"{page.base_url}/days/{sheet.pk}/")
    team_attendance.record_attendance(liaison_day=sheet, by=tworld.admin,
                                    entries=[{"member": tworld.cadre.pk, "status": "present", "note": "迟到十分钟"}])
    page.check(f"input[name=status-{tworld.lawyer.pk}][value=leave]")
    page.fill(f"input[name=note-{tworld.lawyer.pk}]", "出庭")
    with page.expect_navigation():
        page.click("form.sheet button[type=submit]")
    assert "李丽芳的考勤刚刚被他人登记，请刷新考勤表查看后再试。" in page.inner_text(".messages")
    assert Attendance.objects.get(liaison_day=sheet, member=tworld.cadre).note == "迟到十分钟"
    assert Attendance.objects.get(liaison_day=sheet, member=tworld.lawyer).status == Attendance.Status.PRESENT
