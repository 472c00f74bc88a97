"""/api/v1/assignments/: 定点联系 with history, per role; assigning, reassigning, unassigning and
distributing through the services; bad input a Chinese message with nothing written; a queued
request's `client_id` repeated; the unassigned households; the list's query budget."""

import uuid
from datetime import timedelta

import pytest

from factories import HouseholdFactory
from visits import assignments
from visits.models import Assignment

from .conftest import TODAY

pytestmark = pytest.mark.django_db
URL = "/api/v1/assignments/"


def zh(api):
    api.credentials(HTTP_ACCEPT_LANGUAGE="zh-hans")
    return api


@pytest.fixture
def assigned(world, homes):
    """王 and 张 are the cadre's, 陈 the lawyer's; 李 nobody's; 刘 (team C) the other cadre's."""
    assignments.assign(by=world.leader, team=world.team_a, households=[homes.wang, homes.zhang], member=world.cadre)
    assignments.assign(by=world.leader, team=world.team_a, households=[homes.chen], member=world.lawyer)
    assignments.assign(by=world.other_leader, team=world.team_c, households=[homes.longxi1], member=world.other_cadre)
    return homes


def households_seen(api, **params):
    answer = api.get(URL, params)
    assert answer.status_code == 200, answer.content
    return sorted(row["household"] for row in answer.json()["results"])


@pytest.mark.parametrize("persona, sees", [
    ("cadre", ["wang", "zhang"]),  # their own
    ("lawyer", ["chen"]),
    ("volunteer", []),
    ("leader", ["wang", "zhang", "chen"]),  # the team's
    ("other_cadre", ["longxi1"]),
    ("town_office", ["wang", "zhang", "chen"]),  # town1's
    ("department", []),
    ("org_department", ["wang", "zhang", "chen", "longxi1"]),  # the county's
    ("admin", ["wang", "zhang", "chen", "longxi1"]),
])
def test_each_role_sees_its_assignments(api_as, world, assigned, persona, sees):
    assert households_seen(api_as(getattr(world, persona))) == sorted(getattr(assigned, h).pk for h in sees)


def test_anonymous_gets_401(api_as, world):
    assert api_as(None).get(URL).status_code == 401
    assert api_as(None).post(URL, {}, format="json").status_code == 401


def test_a_row_with_history_and_the_membership_ending_it(api_as, world, assigned, liaison_tuesday):
    api = api_as(world.leader)
    liaison_tuesday.shift(timedelta(days=7))
    later = TODAY + timedelta(days=7)
    answer = api.post(URL, {"households": [assigned.wang.pk], "member": world.lawyer.pk}, format="json")
    assert answer.status_code == 201, answer.content
    [new] = answer.json()
    assert new["member"] == world.lawyer.pk and new["member_name"] == "黄志明" and new["team"] == world.team_a.pk
    assert new["village"] == world.village_a.pk and new["start_date"] == later.isoformat()
    assert new["end_date"] is None and new["assigned_by"] == world.leader.pk

    rows = api.get(URL, {"household": assigned.wang.pk}).json()["results"]
    assert [(r["member"], r["start_date"], r["end_date"], r["ended_by"]) for r in rows] == [
        (world.cadre.pk, TODAY.isoformat(), (later - timedelta(days=1)).isoformat(), world.leader.pk),
        (world.lawyer.pk, later.isoformat(), None, None),
    ]
    assert households_seen(api, active_on=TODAY.isoformat(), member=world.cadre.pk) == sorted(
        [assigned.wang.pk, assigned.zhang.pk])
    assert households_seen(api, active_on=later.isoformat(), member=world.cadre.pk) == [assigned.zhang.pk]

    # The cadre leaves the team: their rows end with the membership, without a write.
    membership = world.cadre.memberships.get(team=world.team_a)
    membership.end_date = later
    membership.save()
    zhang = api.get(URL, {"household": assigned.zhang.pk}).json()["results"]
    assert [r["end_date"] for r in zhang] == [later.isoformat()]
    assert households_seen(api, active_on=(later + timedelta(days=1)).isoformat()) == sorted(
        [assigned.wang.pk, assigned.chen.pk])


def test_filters_by_team_village_and_member(api_as, world, assigned):
    api = api_as(world.admin)
    assert households_seen(api, team=world.team_c.pk) == [assigned.longxi1.pk]
    assert households_seen(api, village=world.village_a.pk) == sorted(
        [assigned.wang.pk, assigned.zhang.pk, assigned.chen.pk])
    assert households_seen(api, member=world.lawyer.pk) == [assigned.chen.pk]
    assert households_seen(api, town=world.town2.pk) == [assigned.longxi1.pk]


def test_the_list_runs_a_constant_number_of_queries(api_as, world, assigned, django_assert_max_num_queries):
    api = api_as(world.org_department)
    for n in range(30):
        household = HouseholdFactory(village=world.village_a, address=f"西区社区新街{n}号")
        assignments.assign(by=world.leader, team=world.team_a, households=[household], member=world.cadre)
    # The user's positions, the count and the page (households and members joined), whatever the rows.
    with django_assert_max_num_queries(6):
        answer = api.get(URL, {"page_size": 100})
    assert answer.json()["count"] == 34


def test_leader_assigns_many_and_a_pair(api_as, world, assigned):
    api = api_as(world.leader)
    answer = api.post(URL, {"households": [assigned.li.pk, assigned.zhang.pk], "member": world.volunteer.pk},
                      format="json")
    assert answer.status_code == 201, answer.content
    assert sorted(r["household"] for r in answer.json()) == sorted([assigned.li.pk, assigned.zhang.pk])
    answer = api.post(URL, {"households": [assigned.chen.pk], "member": world.cadre.pk, "pair": True}, format="json")
    assert answer.status_code == 201, answer.content
    chen = Assignment.objects.active_on(TODAY).filter(household=assigned.chen)
    assert sorted(chen.values_list("membership__user__username", flat=True)) == ["cadre", "lawyer"]


def test_town_office_and_admin_assign_the_cadre_and_others_may_not(api_as, world, assigned):
    body = {"households": [assigned.li.pk], "member": world.cadre.pk}
    for persona in ("cadre", "lawyer", "org_department"):
        answer = zh(api_as(getattr(world, persona))).post(URL, body, format="json")
        assert answer.status_code == 403, (persona, answer.content)
        assert "组长" in answer.json()["detail"] or "镇" in answer.json()["detail"]
    # Households the user does not see are unknown, never named.
    answer = zh(api_as(world.other_leader)).post(URL, body, format="json")
    assert answer.status_code == 400 and "households" in answer.json()
    assert not Assignment.objects.filter(household=assigned.li).exists()
    assert api_as(world.town_office).post(URL, body, format="json").status_code == 201
    body = {"households": [assigned.longxi2.pk], "member": world.other_cadre.pk}
    assert api_as(world.admin).post(URL, body, format="json").status_code == 201


def test_bad_input_is_a_chinese_message_and_writes_nothing(api_as, world, assigned):
    api = zh(api_as(world.leader))
    before = list(Assignment.objects.order_by("pk").values_list("pk", "end_date"))
    east = assigned.east  # of 东区社区, not team A's village

    def refused(body, field, words):
        answer = api.post(URL, body, format="json")
        assert answer.status_code == 400, answer.content
        message = " ".join(map(str, answer.json()[field]))
        assert any(word in message for word in words), message
        assert list(Assignment.objects.order_by("pk").values_list("pk", "end_date")) == before

    # Households of two villages at once (the town office sees both); one the leader does not see.
    api = zh(api_as(world.town_office))
    refused({"households": [assigned.li.pk, east.pk], "member": world.cadre.pk}, "households", ["同一"])
    api = zh(api_as(world.leader))
    refused({"households": [assigned.li.pk, east.pk], "member": world.cadre.pk}, "households", ["找不到"])
    # The other team's member (not a member of team A).
    refused({"households": [assigned.li.pk], "member": world.other_cadre.pk}, "member", ["不是", "成员"])
    # Already the cadre's.
    refused({"households": [assigned.wang.pk], "member": world.cadre.pk}, "households", ["已"])
    # A date to come.
    refused({"households": [assigned.li.pk], "member": world.cadre.pk,
             "start_date": (TODAY + timedelta(days=1)).isoformat()}, "start_date", ["未来", "不能"])
    # A household of the village's roll assigned to the team of another village, through the service.
    with pytest.raises(Exception, match="名册|roll"):
        assignments.assign(by=world.town_office, team=world.team_a, households=[east], member=world.cadre)

    # A membership that has ended.
    membership = world.volunteer.memberships.get(team=world.team_a)
    membership.end_date = TODAY - timedelta(days=1)
    membership.save()
    refused({"households": [assigned.li.pk], "member": world.volunteer.pk}, "member", ["不是", "成员"])
    # Unknown ids, and an empty list.
    refused({"households": [assigned.li.pk], "member": 999999}, "member", ["未知", "成员"])
    refused({"households": [], "member": world.cadre.pk}, "households", ["空", "不能"])


def test_a_repeated_client_id_creates_nothing_and_answers_the_original(api_as, world, assigned):
    api = api_as(world.leader)
    body = {"households": [assigned.li.pk], "member": world.volunteer.pk, "client_id": str(uuid.uuid4())}
    first = api.post(URL, body, format="json")
    assert first.status_code == 201
    again = api.post(URL, body, format="json")
    assert again.status_code == 201 and again.json() == first.json()
    assert Assignment.objects.filter(household=assigned.li).count() == 1
    # Another request (another id) is judged on its own: the household is already the volunteer's.
    answer = api.post(URL, {**body, "client_id": str(uuid.uuid4())}, format="json")
    assert answer.status_code == 400


def test_reassign_all_of_a_members_households(api_as, world, assigned):
    api = zh(api_as(world.leader))
    body = {"team": world.team_a.pk, "from_member": world.cadre.pk, "to_member": world.volunteer.pk}
    answer = api.post(URL + "reassign/", body, format="json")
    assert answer.status_code == 200 and answer.json() == {"count": 2}
    mine = Assignment.objects.active_on(TODAY).filter(membership__user=world.volunteer)
    assert sorted(mine.values_list("household", flat=True)) == sorted([assigned.wang.pk, assigned.zhang.pk])
    # Nothing left to move: a Chinese message.
    answer = api.post(URL + "reassign/", body, format="json")
    assert answer.status_code == 400 and "没有" in str(answer.json())
    assert zh(api_as(world.cadre)).post(URL + "reassign/", body, format="json").status_code == 403
    answer = api_as(world.leader).post(URL + "reassign/", {**body, "team": world.team_c.pk}, format="json")
    assert answer.status_code in (400, 403)


def test_unassign_lists_the_households_as_unassigned(api_as, world, assigned):
    api = api_as(world.leader)
    unassigned = api.get(URL + "unassigned/", {"team": world.team_a.pk}).json()
    assert [row["id"] for row in unassigned["results"]] == [assigned.li.pk]
    answer = api.post(URL + "unassign/", {"households": [assigned.wang.pk]}, format="json")
    assert answer.status_code == 200 and answer.json() == {"count": 1}
    rows = api.get(URL + "unassigned/", {"village": world.village_a.pk}).json()["results"]
    assert sorted(row["id"] for row in rows) == sorted([assigned.wang.pk, assigned.li.pk])
    assert api.get(URL + "unassigned/", {"on": (TODAY - timedelta(days=1)).isoformat(),
                                          "village": world.village_a.pk}).json()["count"] == 4
    # The town office sees its town's; a member, none.
    town = api_as(world.town_office).get(URL + "unassigned/").json()["results"]
    assert {row["village"] for row in town} == {world.village_a.pk, world.village_b.pk}
    assert api_as(world.cadre).get(URL + "unassigned/").json()["count"] == 0
    answer = zh(api_as(world.leader)).post(URL + "unassign/", {"households": [assigned.li.pk]}, format="json")
    assert answer.status_code == 400


def test_distribute_evenly(api_as, world, assigned):
    for n in range(5):
        HouseholdFactory(village=world.village_a, address=f"西区社区新街{n + 1}号")
    api = api_as(world.leader)
    body = {"team": world.team_a.pk, "members": [world.cadre.pk, world.lawyer.pk, world.volunteer.pk]}
    answer = api.post(URL + "distribute/", body, format="json")
    assert answer.status_code == 200, answer.content
    given = {row["member"]: row["count"] for row in answer.json()}
    assert sum(given.values()) == 6
    load = {user: Assignment.objects.active_on(TODAY).filter(membership__user=user).count()
            for user in (world.cadre, world.lawyer, world.volunteer)}
    assert max(load.values()) - min(load.values()) <= 1
    assert api.get(URL + "unassigned/", {"team": world.team_a.pk}).json()["count"] == 0
    assert api_as(world.cadre).post(URL + "distribute/", body, format="json").status_code == 403


def test_the_admin_shows_the_history_read_only(world, assigned, client):
    client.force_login(world.admin)
    page = client.get("/admin/visits/assignment/", {"q": "王秀英", "membership__team__id__exact": world.team_a.pk})
    assert page.status_code == 200
    assert "王秀英" in page.content.decode() and "张国强" not in page.content.decode()
    assert client.get("/admin/visits/assignment/", {"q": "刘伟强"}).status_code == 200
    assert client.get("/admin/visits/assignment/add/").status_code == 403
    row = Assignment.objects.filter(household=assigned.wang).get()
    detail = client.get(f"/admin/visits/assignment/{row.pk}/change/")
    assert detail.status_code == 200 and 'name="start_date"' not in detail.content.decode()
