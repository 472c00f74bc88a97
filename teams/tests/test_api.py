"""/api/v1/: token, me, the scoped towns, villages, departments and teams, liaison days and
their attendance POST."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from conftest import PASSWORD, TODAY
from teams.models import Attendance


def test_token_for_a_username_and_password(world):
    api = APIClient()
    response = api.post("/api/v1/auth/token/", {"username": "cadre", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = api.get("/api/v1/me/").json()
    assert me["username"] == "cadre" and me["name"] == "李丽芳"
    assert me["positions"] == [{"kind": "member", "team": world.team_a.pk}]


def test_a_wrong_password_gets_400_with_a_message(world):
    response = APIClient().post("/api/v1/auth/token/", {"username": "cadre", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["non_field_errors"]


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("leader", lambda w: [{"kind": "leader", "team": w.team_a.pk}]),
        ("town_office", lambda w: [{"kind": "town_office", "town": w.town1.pk}]),
        ("department", lambda w: [{"kind": "department", "department": w.dept1.pk}]),
        ("org_department", lambda w: [{"kind": "org_department", "county": w.county.pk}]),
        ("admin", lambda w: [{"kind": "admin"}]),
    ],
)
def test_me_lists_the_positions(world, api_as, persona, expected):
    assert api_as(getattr(world, persona)).get("/api/v1/me/").json()["positions"] == expected(world)


def test_anonymous_gets_401_or_403(world, api_as):
    for path in ("/api/v1/me/", "/api/v1/towns/", "/api/v1/teams/"):
        assert api_as(None).get(path).status_code in (401, 403)


def test_villages_filtered_by_town_and_scoped_to_the_county(world, api_as):
    body = api_as(world.cadre).get("/api/v1/villages/", {"town": world.town1.pk}).json()
    assert body["count"] == 2
    assert {v["name"] for v in body["results"]} == {"西区社区", "东区社区"}
    assert api_as(world.cadre).get("/api/v1/villages/", {"county": world.other_county.pk}).json()["count"] == 0


def test_departments_and_towns_by_county(world, api_as):
    api = api_as(world.org_department)
    assert api.get("/api/v1/towns/", {"county": world.county.pk}).json()["count"] == 2
    assert {d["name"] for d in api.get("/api/v1/departments/").json()["results"]} == {"信访局", "住房和城乡建设局"}


def test_teams_carry_members_with_roles_and_the_schedule(world, api_as):
    body = api_as(world.cadre).get("/api/v1/teams/").json()
    assert body["count"] == 1
    team = body["results"][0]
    assert team["schedule"] == {"weekday": 2, "every_weeks": 1, "half_day": "morning", "place": "西区社区党群服务中心"}
    roles = {m["name"]: (m["role"], m["required"]) for m in team["members"]}
    assert roles["陈建华"] == ("leader", True)
    assert roles["张小燕"] == ("volunteer", False)


def test_a_team_outside_the_scope_is_404(world, api_as):
    assert api_as(world.cadre).get(f"/api/v1/teams/{world.team_c.pk}/").status_code == 404
    assert api_as(world.department).get(f"/api/v1/teams/{world.team_a.pk}/").status_code == 404


def test_team_list_query_count_is_constant(world, api_as, django_assert_max_num_queries):
    api = api_as(world.admin)
    # session/auth, scope (2), count, teams, memberships with users
    with django_assert_max_num_queries(6):
        assert api.get("/api/v1/teams/").json()["count"] == 4


def test_schema_and_docs_are_served_without_a_cdn(world, client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower() and "unpkg" not in docs.lower() and "jsdelivr" not in docs.lower()


def test_liaison_days_with_attendance_inline(api_as, world, today_day, django_assert_max_num_queries):
    api = api_as(world.cadre)
    # scope (2), count, page, attendance rows
    with django_assert_max_num_queries(5):
        data = api.get("/api/v1/liaison-days/", {"team": world.team_a.pk}).json()
    assert data["count"] == 4
    today = next(d for d in data["results"] if d["id"] == today_day.pk)
    assert {a["member"] for a in today["attendance"]} == {world.leader.pk, world.cadre.pk, world.lawyer.pk}
    after = (TODAY + timedelta(days=1)).isoformat()
    assert api.get("/api/v1/liaison-days/", {"team": world.team_a.pk, "date_after": after}).json()["count"] == 3
    assert api_as(world.other_cadre).get(f"/api/v1/liaison-days/{today_day.pk}/").status_code == 404
    assert api_as(world.department).get("/api/v1/liaison-days/").json()["count"] == 0


def test_attendance_post_by_the_leader(api_as, world, today_day):
    url = f"/api/v1/liaison-days/{today_day.pk}/attendance/"
    response = api_as(world.leader).post(url, [
        {"member": world.cadre.pk, "status": "present"},
        {"member": world.lawyer.pk, "status": "leave", "note": "出庭"},
    ], format="json")
    assert response.status_code == 200, response.json()
    statuses = {a["member"]: a["status"] for a in response.json()["attendance"]}
    assert statuses == {world.leader.pk: "pending", world.cadre.pk: "present", world.lawyer.pk: "leave"}


@pytest.mark.parametrize(
    "persona, entries, status",
    [
        ("leader", [{"member": "volunteer", "status": "present"}], 400),  # not a required member
        ("leader", [{"member": "other_cadre", "status": "present"}], 400),
        ("leader", [{"member": "lawyer", "status": "leave"}], 400),  # no reason
        ("leader", [{"member": "lawyer", "status": "late"}], 400),
        ("cadre", [{"member": "lawyer", "status": "present"}], 400),  # only for themselves
        ("town_office", [{"member": "cadre", "status": "present"}], 403),
        ("other_cadre", [{"member": "cadre", "status": "present"}], 404),
        ("department", [{"member": "cadre", "status": "present"}], 404),
    ],
)
def test_attendance_post_refusals(api_as, world, today_day, persona, entries, status):
    body = [{**e, "member": getattr(world, e["member"]).pk} for e in entries]
    response = api_as(getattr(world, persona)).post(
        f"/api/v1/liaison-days/{today_day.pk}/attendance/", body, format="json"
    )
    assert response.status_code == status, response.json()
    assert not Attendance.objects.exclude(status=Attendance.Status.PENDING).exists()


def test_member_checks_in_through_the_api(api_as, world, today_day):
    url = f"/api/v1/liaison-days/{today_day.pk}/attendance/"
    response = api_as(world.cadre).post(url, [{"member": world.cadre.pk, "status": "present"}], format="json")
    assert response.status_code == 200
    assert Attendance.objects.get(liaison_day=today_day, member=world.cadre).status == "present"


def test_two_people_marking_the_same_row_do_not_silently_overwrite(api_as, world, today_day):
    url = f"/api/v1/liaison-days/{today_day.pk}/attendance/"
    first = api_as(world.leader).post(url, [{"member": world.cadre.pk, "status": "present", "seen": "pending"}],
                                      format="json")
    assert first.status_code == 200
    second = api_as(world.admin).post(url, [{"member": world.cadre.pk, "status": "absent", "seen": "pending"}],
                                      format="json")
    assert second.status_code == 409
    assert second.json() == {"detail": "李丽芳的考勤刚刚被他人登记，请刷新考勤表查看后再试。"}
    assert Attendance.objects.get(liaison_day=today_day, member=world.cadre).status == "present"
