"""The admin refuses what the services refuse, and never deletes history."""

from datetime import date

import pytest
import time_machine

from teams import services
from teams.models import LiaisonDay, Membership, Role


def test_every_model_has_an_admin_list_in_chinese(as_admin):
    for path in (
        "county", "town", "village", "department", "user", "position", "team", "membership", "schedule",
        "liaisonday", "attendance", "attendancechange", "holiday",
    ):
        response = as_admin.get(f"/admin/teams/{path}/")
        assert response.status_code == 200, path
    assert "驻点团队" in as_admin.get("/admin/teams/team/").content.decode()


def test_a_third_team_for_a_leader_is_refused_with_a_message(world, as_admin):
    services.add_membership(
        by=world.admin, team=world.team_b, user=world.leader, role=Role.LEADER, start_date=date(2026, 1, 1)
    )
    response = as_admin.post(
        "/admin/teams/membership/add/",
        {"team": world.team_c.pk, "user": world.leader.pk, "role": "leader", "start_date": "2026-02-01"},
    )
    assert response.status_code == 200
    assert "每名组长最多牵头 2 个团队" in response.content.decode()
    assert not Membership.objects.filter(team=world.team_c, user=world.leader).exists()


def test_a_membership_ending_before_it_starts_is_refused_in_the_admin(world, as_admin):
    response = as_admin.post(
        "/admin/teams/membership/add/",
        {"team": world.team_b.pk, "user": world.cadre.pk, "role": "town_cadre",
         "start_date": "2026-05-01", "end_date": "2026-04-01"},
    )
    assert "成员的结束日期不能早于开始日期" in response.content.decode()
    assert not Membership.objects.filter(team=world.team_b, user=world.cadre).exists()


def test_a_schedule_without_a_place_is_refused_in_the_admin(world, as_admin):
    response = as_admin.post(
        f"/admin/teams/schedule/{world.team_a.schedule.pk}/change/",
        {"team": world.team_a.pk, "weekday": "", "every_weeks": 1, "starts_on": "2026-01-05",
         "half_day": "morning", "place": ""},
    )
    assert response.status_code == 200
    world.team_a.schedule.refresh_from_db()
    assert world.team_a.schedule.place == "西区社区党群服务中心"


def test_moving_a_day_into_the_past_is_refused_in_the_admin(world, as_admin):
    with time_machine.travel("2026-11-22 09:00 +08:00", tick=False):
        services.generate_liaison_days(weeks=1, teams=[world.team_a])
        day = LiaisonDay.objects.get(team=world.team_a)
        response = as_admin.post(
            f"/admin/teams/liaisonday/{day.pk}/change/",
            {"date": "2026-11-01", "change_reason": "补开", "attendance-TOTAL_FORMS": 0,
             "attendance-INITIAL_FORMS": 0},
        )
    assert "驻点日不能改到已经过去的日期" in response.content.decode()
    day.refresh_from_db()
    assert day.date == date(2026, 11, 24)


def test_nothing_can_be_deleted_from_the_admin(world, as_admin):
    response = as_admin.get(f"/admin/teams/team/{world.team_a.pk}/delete/")
    assert response.status_code == 403


def test_a_town_office_with_admin_access_sees_only_its_town(world, client):
    from django.contrib.auth.models import Permission

    world.town_office.is_staff = True
    world.town_office.save()
    world.town_office.user_permissions.add(*Permission.objects.filter(codename__in=["view_team", "change_team"]))
    client.force_login(world.town_office)
    body = client.get("/admin/teams/team/").content.decode()
    assert "西区社区驻点团队" in body and "龙溪村驻点团队" not in body
    assert client.get(f"/admin/teams/team/{world.team_c.pk}/change/").status_code == 302


def test_attendance_is_read_only_in_the_admin_so_every_change_is_logged(world, as_admin):
    with time_machine.travel("2026-11-22 09:00 +08:00", tick=False):
        services.generate_liaison_days(weeks=1, teams=[world.team_a])
    row = LiaisonDay.objects.get(team=world.team_a).attendance.get(member=world.cadre)
    response = as_admin.post(f"/admin/teams/attendance/{row.pk}/change/", {"status": "present"})
    assert response.status_code == 403
    row.refresh_from_db()
    assert row.status == "pending"


@pytest.fixture
def town_staff(world, client):
    """The town office with admin access to rosters and accounts, as an administrator might grant it."""
    from django.contrib.auth.models import Permission

    world.town_office.is_staff = True
    world.town_office.save()
    world.town_office.user_permissions.add(*Permission.objects.filter(codename__in=[
        "view_team", "change_team", "add_team", "view_membership", "add_membership", "change_membership",
        "view_user", "change_user",
    ]))
    client.force_login(world.town_office)
    return client


def test_the_town_office_cannot_add_a_member_to_another_towns_team(world, town_staff):
    response = town_staff.post(
        "/admin/teams/membership/add/",
        {"team": world.team_c.pk, "user": world.town_office.pk, "role": "town_cadre", "start_date": "2026-02-01"},
    )
    assert response.status_code == 200 and "team" in response.context["adminform"].form.errors
    assert not Membership.objects.filter(team=world.team_c, user=world.town_office).exists()


def test_a_team_stays_with_its_village(world, town_staff):
    town_staff.post(
        f"/admin/teams/team/{world.team_a.pk}/change/",
        {"village": world.village_c.pk, "name": "西区社区驻点团队", "is_active": "on"},
    )
    world.team_a.refresh_from_db()
    assert world.team_a.village_id == world.village_a.pk


def test_the_town_office_cannot_change_another_users_account(world, town_staff):
    response = town_staff.post(
        f"/admin/teams/user/{world.cadre.pk}/password/",
        {"password1": "Xx-new-pass-2026", "password2": "Xx-new-pass-2026"},
    )
    assert response.status_code == 403
    world.cadre.refresh_from_db()
    assert world.cadre.check_password("liaison-test-pw")
    own = town_staff.get(f"/admin/teams/user/{world.town_office.pk}/change/").content.decode()
    assert "is_superuser" not in own


def team_form(team, *members, name=None):
    """The team's admin page as posted: its schedule, and new roster rows."""
    data = {
        "name": name or team.name, "is_active": "on",
        "schedule-TOTAL_FORMS": 1, "schedule-INITIAL_FORMS": 1, "schedule-0-id": team.schedule.pk,
        "schedule-0-team": team.pk, "schedule-0-every_weeks": 1, "schedule-0-starts_on": "2026-01-05",
        "schedule-0-half_day": "morning", "schedule-0-place": team.schedule.place,
        "memberships-TOTAL_FORMS": len(members), "memberships-INITIAL_FORMS": 0,
    }
    for i, member in enumerate(members):
        data.update({f"memberships-{i}-{key}": value for key, value in member.items()})
    return data


def test_a_member_added_on_the_team_page_gets_the_coming_attendance_rows(world, as_admin):
    with time_machine.travel("2026-11-22 09:00 +08:00", tick=False):
        services.generate_liaison_days(weeks=1, teams=[world.team_a])
        day = LiaisonDay.objects.get(team=world.team_a)
        response = as_admin.post(f"/admin/teams/team/{world.team_a.pk}/change/", team_form(
            world.team_a, {"user": world.other_leader.pk, "role": "judge", "start_date": "2026-11-01"},
        ))
    assert response.status_code == 302
    assert day.attendance.filter(member=world.other_leader).exists()


def test_a_third_team_for_a_leader_on_the_team_page_is_refused_and_nothing_is_saved(world, as_admin):
    services.add_membership(
        by=world.admin, team=world.team_b, user=world.leader, role=Role.LEADER, start_date=date(2026, 1, 1)
    )
    response = as_admin.post(f"/admin/teams/team/{world.team_c.pk}/change/", team_form(
        world.team_c, {"user": world.leader.pk, "role": "leader", "start_date": "2026-02-01"}, name="改名的团队",
    ))
    assert response.status_code == 200
    assert "每名组长最多牵头 2 个团队" in response.content.decode()
    # The form comes back as typed, and the whole save is undone: the team's name too.
    assert response.context["adminform"].form["name"].value() == "改名的团队"
    world.team_c.refresh_from_db()
    assert world.team_c.name == "龙溪村驻点团队"
    assert not Membership.objects.filter(team=world.team_c, user=world.leader).exists()


def test_a_recorded_membership_keeps_its_person_role_and_start(world, as_admin):
    membership = Membership.objects.get(user=world.lawyer)
    response = as_admin.post(f"/admin/teams/membership/{membership.pk}/change/", {
        "team": world.team_b.pk, "user": world.cadre.pk, "role": "judge", "start_date": "2026-06-01",
        "end_date": "2026-12-31", "public_phone": "0752-6120000",
    })
    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.team, membership.user, membership.role, membership.start_date) == (
        world.team_a, world.lawyer, Role.LAWYER, date(2025, 1, 1)
    )
    assert (membership.end_date, membership.public_phone) == (date(2026, 12, 31), "0752-6120000")


def test_the_town_office_cannot_add_towns_or_villages_even_with_the_permission(world, client):
    from django.contrib.auth.models import Permission

    world.town_office.is_staff = True
    world.town_office.save()
    world.town_office.user_permissions.add(*Permission.objects.filter(codename__in=["add_village", "view_village"]))
    client.force_login(world.town_office)
    assert client.get("/admin/teams/village/add/").status_code == 403
