"""Odd input on the liaison day's forms and endpoint: a note longer than the sheet keeps, a NUL
character, a status that is none, and members of another county. Each is a 400 with the reason,
never a 500, never a partial write, and never the name of someone the user may not see."""

from datetime import date

import pytest
from django.urls import reverse

from teams.models import Attendance, AttendanceChange, Membership, Role, User


def sheet(client, day, data):
    return client.post(reverse("liaison-day", args=[day.pk]), data)


def statuses(day):
    return dict(Attendance.objects.filter(liaison_day=day).values_list("member_id", "status"))


@pytest.mark.parametrize("note,message", [
    ("长" * 300, "备注不能超过 200 个字。"),
    ("出庭\x00", "不能含有空字符（NUL），请删掉后再提交。"),
], ids=["too-long", "nul"])
def test_the_sheet_refuses_a_note_it_cannot_keep_and_shows_what_was_typed(world, today_day, as_user, note, message):
    before = statuses(today_day)
    response = sheet(as_user(world.leader), today_day, {
        f"status-{world.cadre.pk}": "present", f"status-{world.lawyer.pk}": "leave", f"note-{world.lawyer.pk}": note,
    })
    assert response.status_code == 400
    lawyer = next(row for row in response.context["rows"] if row.member_id == world.lawyer.pk)
    assert lawyer.errors == [message] and lawyer.status == "leave" and lawyer.note == note
    cadre = next(row for row in response.context["rows"] if row.member_id == world.cadre.pk)
    assert cadre.status == "present"
    assert message in response.content.decode()
    assert statuses(today_day) == before and not AttendanceChange.objects.exists()


def test_the_sheet_refuses_a_status_that_is_none(world, today_day, as_user):
    response = sheet(as_user(world.leader), today_day, {f"status-{world.cadre.pk}": "maybe"})
    assert response.status_code == 400
    assert "请选择出勤、缺勤或请假。" in response.content.decode()
    assert statuses(today_day)[world.cadre.pk] == Attendance.Status.PENDING


def test_the_sheet_still_saves_a_good_note(world, today_day, as_user):
    response = sheet(as_user(world.leader), today_day, {
        f"status-{world.lawyer.pk}": "leave", f"note-{world.lawyer.pk}": "长" * 200,
    })
    assert response.status_code == 302
    assert Attendance.objects.get(liaison_day=today_day, member=world.lawyer).note == "长" * 200


def test_leave_and_reschedule_reasons_have_their_bound(world, today_day, as_user):
    client = as_user(world.leader)
    response = client.post(reverse("liaison-day-leave", args=[today_day.pk]), {"reason": "长" * 201}, follow=True)
    assert "请假原因不能超过 200 个字。" in response.content.decode()
    assert statuses(today_day)[world.leader.pk] == Attendance.Status.PENDING
    for name, data in (("reschedule", {"new_date": "2026-11-26", "reason": "长" * 201}),
                       ("cancel", {"reason": "长" * 201})):
        response = client.post(reverse(f"liaison-day-{name}", args=[today_day.pk]), data, follow=True)
        assert "变更原因不能超过 200 个字。" in response.content.decode(), name
    today_day.refresh_from_db()
    assert (today_day.date, today_day.status, today_day.change_reason) == (date(2026, 11, 24), "scheduled", "")


@pytest.fixture
def stranger(world):
    """A cadre of another county's team: nobody in the personas' county may know their name."""
    user = User.objects.create_user(username="stranger", name="欧阳外县", password="x")
    Membership.objects.create(team=world.other_team, user=user, role=Role.TOWN_CADRE, start_date=date(2025, 1, 1))
    return user


def test_the_attendance_endpoint_does_not_name_people_of_another_county(world, today_day, api_as, stranger):
    api = api_as(world.leader)
    url = f"/api/v1/liaison-days/{today_day.pk}/attendance/"
    answers = []
    for member in (stranger.pk, 999_999_999):
        response = api.post(url, [{"member": member, "status": "present"}], format="json")
        assert response.status_code == 400
        answers.append(response.content.decode().replace(str(member), "ID"))
    assert "欧阳外县" not in answers[0]
    # Someone out of sight and nobody at all get the same answer.
    assert answers[0] == answers[1]
    # A member of the team is named.
    response = api.post(url, [{"member": world.volunteer.pk, "status": "present"}], format="json")
    assert "张小燕" in response.content.decode()
