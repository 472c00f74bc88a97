"""定点联系 pages: a member's own households, assigning from the household roll, the team's
assignments (distribute evenly, hand all of one member's to another), the unassigned list and
the homes' cards. Scope per persona (404 for a village they do not see, 403 for one they see but
do not assign), refusals shown in Chinese with nothing written, a race between two leaders,
constant query counts, and the demo data."""

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db.models import F
from django.urls import reverse

from conftest import run_together
from core.web import Conflict
from factories import HouseholdFactory
from teams import seed as team_seed
from teams.models import Membership, User
from visits import assignments, seed, services
from visits.models import Assignment, Household, Visit
from visits.selectors import unassigned

from .conftest import TODAY

ALL = ["cadre", "leader", "other_cadre", "town_office", "department", "org_department", "admin"]
ASSIGNS_A = {"leader", "town_office", "admin"}
SEES_VILLAGE_A = ASSIGNS_A | {"cadre", "org_department"}


def give(world, homes_, member, by=None):
    return assignments.assign(by=by or world.leader, team=world.team_a, households=homes_, member=member)


def active(day=TODAY):
    return sorted((a.household.head_name, a.membership.user.username)
                  for a in Assignment.objects.active_on(day).select_related("household", "membership__user"))


def history():
    return list(Assignment.objects.order_by("pk").values_list("pk", "end_date"))


def change(client, world, action, **data):
    return client.post(reverse("assignment-change", args=[world.village_a.pk]), {"action": action, **data},
                       follow=True)


def seen(household, *members):
    return f"{household.pk}:" + ".".join(str(m.pk) for m in members)


def texts(response):
    return [str(m) for m in response.context["messages"]]


# My households


def test_my_households_never_visited_first_with_the_round_and_one_tap_to_log(world, homes, as_user,
                                                                                 django_assert_max_num_queries):
    give(world, [homes.wang, homes.zhang, homes.chen, homes.li], world.cadre)
    services.log_visit(by=world.cadre, kind=Visit.Kind.HOUSEHOLD, date=TODAY - timedelta(days=3),
                       village=world.village_a, households=[homes.zhang])
    services.log_visit(by=world.cadre, kind=Visit.Kind.HOUSEHOLD, date=date(TODAY.year, 2, 1),
                       village=world.village_a, households=[homes.chen])
    client = as_user(world.cadre)
    # session, user, scope, the round, count, page (with last visits), its tags, the base's notifications
    with django_assert_max_num_queries(9):
        page = client.get(reverse("my-households"))
    rows = [h.head_name for h in page.context["page"]]
    assert rows == ["王秀英", "李志明", "陈桂兰", "张国强"]
    assert page.context["progress"] == {"total": 4, "visited": 2, "behind": 2, "priority_behind": 2}
    html = page.content.decode()
    assert "已走访" in html and "<strong>2</strong> / 4 户" in html
    assert f'{reverse("visit-new")}?village={world.village_a.pk}&amp;household={homes.wang.pk}' in html
    assert "13912345678" in html  # the member's own team reads the phone in full (Scope.handles)
    assert "低保" in html and "独居老人" in html
    ticked = client.get(f'{reverse("visit-new")}?village={world.village_a.pk}&household={homes.wang.pk}')
    assert [h.pk for h in ticked.context["chosen"]] == [homes.wang.pk]

    def names(show):
        return [h.head_name for h in client.get(reverse("my-households"), {"show": show}).context["page"]]

    assert names("not_visited") == ["王秀英", "李志明"]
    # 陈桂兰 (独居老人) was visited in February, not this quarter; 王秀英 (低保) never.
    assert names("priority") == ["王秀英", "陈桂兰"]
    assert names("nonsense") == rows


def test_my_households_query_count_does_not_grow_with_the_list(world, homes, as_user,
                                                              django_assert_max_num_queries):
    many = [HouseholdFactory(village=world.village_a, registered_on=date(2020, 1, 1), tags=["dibao"])
            for _ in range(25)]
    give(world, many, world.cadre)
    for household in many[:10]:
        services.log_visit(by=world.cadre, kind=Visit.Kind.HOUSEHOLD, date=TODAY, village=world.village_a,
                           households=[household])
    client = as_user(world.cadre)
    with django_assert_max_num_queries(9):
        page = client.get(reverse("my-households"))
    assert page.context["page"].count == 25


def test_my_households_lists_only_the_members_own_and_ends_with_the_membership(world, homes, as_user):
    give(world, [homes.wang], world.cadre)
    give(world, [homes.zhang], world.lawyer)
    client = as_user(world.cadre)
    assert [h.head_name for h in client.get(reverse("my-households")).context["page"]] == ["王秀英"]
    Membership.objects.filter(user=world.cadre).update(end_date=TODAY - timedelta(days=1))
    world.cadre.refresh_from_db()
    assert client.get(reverse("my-households")).status_code == 403


@pytest.mark.parametrize("persona, expected", [("cadre", 200), ("leader", 200), ("other_cadre", 200),
                                               ("town_office", 403), ("department", 403), ("org_department", 403),
                                               ("admin", 403)])
def test_my_households_is_a_members_page(world, homes, as_user, persona, expected):
    assert as_user(getattr(world, persona)).get(reverse("my-households")).status_code == expected


def test_the_homes_cards(world, homes, as_user, django_assert_max_num_queries):
    give(world, [homes.wang, homes.zhang], world.cadre)
    cadre_home = as_user(world.cadre).get("/").content.decode()
    assert 'id="my-households-card"' in cadre_home and "<b>0 / 2</b>" in cadre_home
    assert 'id="unassigned-card"' not in cadre_home
    for persona, count in (("leader", 2), ("town_office", 3)):  # the town office's has 东区社区's too
        home = as_user(getattr(world, persona)).get("/").content.decode()
        assert "未分配联系人的住户" in home and f"<b>{count}</b>户未分配" in home, persona
    for persona in ("department", "org_department", "admin"):
        assert 'id="unassigned-card"' not in as_user(getattr(world, persona)).get("/").content.decode()


# Assigning from the roll


@pytest.mark.parametrize("persona", ALL)
def test_the_roll_shows_members_to_those_who_see_them_and_ticks_to_those_who_assign(world, homes, as_user, persona):
    give(world, [homes.wang], world.cadre)
    give(world, [homes.zhang], world.lawyer)
    response = as_user(getattr(world, persona)).get(reverse("household-list", args=[world.village_a.pk]))
    if persona not in SEES_VILLAGE_A:
        assert response.status_code == 404
        return
    html = response.content.decode()
    members = {h.head_name: [name for _pk, name in h.members] for h in response.context["page"]}
    if persona == "cadre":  # a member sees their own only
        assert members == {"王秀英": ["李丽芳"], "张国强": [], "陈桂兰": [], "李志明": []}
    else:
        assert members == {"王秀英": ["李丽芳"], "张国强": ["黄志明"], "陈桂兰": [], "李志明": []}
    assert ('id="assign-form"' in html) is (persona in ASSIGNS_A)
    assert ('name="member"' in html) is (persona != "cadre")


def test_the_roll_filters_by_member_unassigned_tag_and_address(world, homes, as_user,
                                                               django_assert_max_num_queries):
    give(world, [homes.wang, homes.chen], world.cadre)
    give(world, [homes.zhang], world.lawyer)
    client = as_user(world.leader)
    url = reverse("household-list", args=[world.village_a.pk])

    def names(**query):
        return sorted(h.head_name for h in client.get(url, query).context["page"])

    assert names(member="none") == ["李志明"]
    assert names(member=world.cadre.pk) == ["王秀英", "陈桂兰"]
    assert names(member=world.cadre.pk, tag="elderly-alone") == ["陈桂兰"]
    assert names(member=world.cadre.pk, q="建设路") == ["王秀英"]
    assert names(member="garbage") == ["张国强", "李志明", "王秀英", "陈桂兰"]
    # session, user, scope, village, count, tag filter, page (with its members), its tags, the team's
    # members with their loads (the assign form offers them), the base's notifications
    with django_assert_max_num_queries(10):
        client.get(url)
    for _ in range(20):
        give(world, [HouseholdFactory(village=world.village_a, registered_on=date(2020, 1, 1))], world.volunteer)
    with django_assert_max_num_queries(10):
        assert client.get(url).context["page"].count == 24


def test_a_leader_assigns_the_households_ticked_and_is_told_what_changed(world, homes, as_user):
    client = as_user(world.leader)
    back = reverse("household-list", args=[world.village_a.pk]) + "?member=none"
    response = change(client, world, "assign", households=[seen(homes.wang), seen(homes.zhang)],
                      member=world.cadre.pk, next=back)
    assert response.redirect_chain[-1][0] == back
    assert texts(response) == ["已将 2 户分配给李丽芳。"]
    assert active() == [("张国强", "cadre"), ("王秀英", "cadre")]
    # As a pair: the cadre stays beside the lawyer.
    response = change(client, world, "assign", households=[seen(homes.wang, world.cadre)], member=world.lawyer.pk,
                      pair="on")
    assert texts(response) == ["已为 1 户加配联系人黄志明（两人结对）。"]
    assert active() == [("张国强", "cadre"), ("王秀英", "cadre"), ("王秀英", "lawyer")]
    # Unassigned: they join the list at once.
    response = change(client, world, "unassign", households=[seen(homes.zhang, world.cadre)])
    assert texts(response) == ["已取消 1 户的联系人（结束 1 条分配），列入未分配名单。"]
    assert set(unassigned(Household.objects.filter(village=world.village_a))) == {homes.zhang, homes.chen, homes.li}


@pytest.mark.parametrize("case, message", [
    ("no household", "请至少勾选一户。"),
    ("no member", "请选择要分配给哪位成员。"),
    ("not a member", "请选择本团队的成员。"),
    ("other village", "不在西区社区的住户名册上"),
    ("same member", "已由李丽芳联系：张国强"),
    ("garbage", "所勾选的住户有误"),
    ("no action", "请选择要对所选住户做的操作。"),
])
def test_bad_input_is_refused_in_chinese_and_writes_nothing(world, homes, as_user, case, message):
    give(world, [homes.zhang], world.cadre)
    before = history()
    data = {"households": [seen(homes.wang)], "member": world.cadre.pk}
    action = "assign"
    if case == "no household":
        data["households"] = []
    elif case == "no member":
        data["member"] = ""
    elif case == "not a member":
        data["member"] = world.other_cadre.pk
    elif case == "other village":
        data["households"] = [seen(homes.wang), seen(homes.longxi1)]
    elif case == "same member":
        data["households"] = [seen(homes.zhang, world.cadre)]
    elif case == "garbage":
        data["households"] = ["x:1", "12:abc"]
    elif case == "no action":
        action = "explode"
    response = change(as_user(world.leader), world, action, **data)
    assert response.status_code == 200
    assert any(message in text for text in texts(response)), texts(response)
    assert history() == before


def test_two_leaders_at_once_one_succeeds_and_the_other_is_told(world, homes, as_user):
    """Both saw 王秀英 unassigned; the town office's assignment lands first."""
    page_showed = [seen(homes.wang)]
    give(world, [homes.wang], world.lawyer, by=world.town_office)
    before = history()
    response = change(as_user(world.leader), world, "assign", households=page_showed, member=world.cadre.pk)
    assert any("刚刚有其他人改动了以下住户的联系人" in text and "王秀英" in text for text in texts(response))
    assert history() == before and active() == [("王秀英", "lawyer")]


@pytest.mark.parametrize("persona, expected", [("cadre", 403), ("org_department", 403), ("other_cadre", 404),
                                               ("department", 404)])
def test_only_those_who_assign_change_anything(world, homes, as_user, persona, expected):
    client = as_user(getattr(world, persona))
    give(world, [homes.zhang], world.cadre)
    before = history()
    for action, data in (("assign", {"households": [seen(homes.wang)], "member": world.cadre.pk}),
                         ("distribute", {"members": [world.cadre.pk]}),
                         ("reassign", {"from_member": world.cadre.pk, "to_member": world.lawyer.pk})):
        response = client.post(reverse("assignment-change", args=[world.village_a.pk]), {"action": action, **data})
        assert response.status_code == expected
    assert client.get(reverse("village-assignments", args=[world.village_a.pk])).status_code == expected
    assert history() == before


def test_changes_are_posted_with_csrf(world, homes, client):
    client.handler.enforce_csrf_checks = True
    client.force_login(world.leader)
    response = client.post(reverse("assignment-change", args=[world.village_a.pk]),
                           {"action": "assign", "households": [seen(homes.wang)], "member": world.cadre.pk})
    assert response.status_code == 403 and not Assignment.objects.exists()


# The team's assignments: distribute evenly, hand all of one member's to another


def test_distribute_evenly_and_hand_over_all(world, homes, as_user, django_assert_max_num_queries):
    client = as_user(world.leader)
    url = reverse("village-assignments", args=[world.village_a.pk])
    # session, user, scope, village, members with their loads (the forms offer them), unassigned,
    # the base's notifications
    with django_assert_max_num_queries(7):
        page = client.get(url)
    assert {u.username: n for u, n in page.context["loads"]} == {
        "leader": 0, "cadre": 0, "lawyer": 0, "volunteer": 0}
    assert page.context["unassigned"] == 4
    assert "分给全部成员：每人约 1 户" in page.content.decode()
    response = change(client, world, "distribute", members=[world.cadre.pk, world.lawyer.pk], next=url)
    assert response.redirect_chain[-1][0] == url
    assert texts(response) == ["已平均分配 4 户：李丽芳 2 户、黄志明 2 户。"]
    response = change(client, world, "distribute", members=[world.cadre.pk])
    assert texts(response) == ["西区社区的每一户都已有联系人。"]
    response = change(client, world, "reassign", from_member=world.cadre.pk, to_member=world.volunteer.pk)
    assert texts(response) == ["已将李丽芳的 2 户全部转给张小燕。"]
    assert {u.username: n for u, n in client.get(url).context["loads"]} == {
        "leader": 0, "cadre": 0, "lawyer": 2, "volunteer": 2}
    before = history()
    response = change(client, world, "reassign", from_member=world.cadre.pk, to_member=world.volunteer.pk)
    assert any("没有联系户" in text for text in texts(response)) and history() == before
    response = change(client, world, "reassign", from_member=world.lawyer.pk, to_member=world.lawyer.pk)
    assert texts(response) == ["请选择另一名成员来接手这些住户。"] and history() == before


# The unassigned


@pytest.mark.parametrize("persona, expected", [("leader", 200), ("town_office", 200), ("admin", 200), ("cadre", 403),
                                               ("department", 403), ("org_department", 403)])
def test_the_unassigned_list_is_for_those_who_assign(world, homes, as_user, persona, expected):
    assert as_user(getattr(world, persona)).get(reverse("unassigned-households")).status_code == expected


def test_a_member_leaving_puts_their_households_on_the_unassigned_list(world, homes, as_user,
                                                                      django_assert_max_num_queries):
    give(world, [homes.wang, homes.zhang, homes.chen, homes.li], world.lawyer)
    client = as_user(world.town_office)
    assert client.get(reverse("unassigned-households")).context["total"] == 1  # 东区社区's one
    Membership.objects.filter(user=world.lawyer).update(end_date=TODAY - timedelta(days=1))
    # session, user, scope, counts by village, villages, count, page, its tags, the base's notifications
    with django_assert_max_num_queries(10):
        page = client.get(reverse("unassigned-households"))
    assert page.context["total"] == 5
    assert [(v.name, n) for v, n in page.context["villages"]] == [("东区社区", 1), ("西区社区", 4)]
    only_a = client.get(reverse("unassigned-households"), {"village": world.village_a.pk}).context["page"]
    assert sorted(h.head_name for h in only_a) == ["张国强", "李志明", "王秀英", "陈桂兰"]
    # The town office's home counts them; team C's leader sees only team C's.
    assert "<b>5</b>户未分配" in client.get("/").content.decode()
    other = as_user(world.other_leader).get(reverse("unassigned-households"))
    assert sorted(h.head_name for h in other.context["page"]) == ["何丽萍", "刘德华"]


# The demo data


def test_the_demo_seed_assigns_every_household_and_can_be_added_later(db, liaison_tuesday):
    rng = team_seed.make_rng(11)
    county, _ = team_seed.seed_tree(preset_name="demo", rng=rng)
    team_seed.seed_liaison_days(county=county, rng=rng)
    seed.seed_visits(county=county, preset_name="demo", rng=rng)
    made = seed.seed_assignments(county=county, rng=seed.assignments_rng(11))
    assert made == Assignment.objects.count() > 1500
    assert seed.seed_assignments(county=county, rng=seed.assignments_rng(11)) == 0  # idempotent
    on_roll = Household.objects.filter(village__town__county=county)
    left = unassigned(on_roll)
    # Only the households of members who left in the last weeks wait for someone.
    recent = Membership.objects.filter(end_date__gte=TODAY - timedelta(days=seed.LEFT_RECENTLY_DAYS),
                                       end_date__lt=TODAY)
    assert set(left.values_list("pk", flat=True)) <= set(
        Assignment.objects.filter(membership__in=recent).values_list("household_id", flat=True))
    assert left.count() < on_roll.count() * 0.05
    # Every assignment is in force from when both were there, to a member of the village's team.
    assert not Assignment.objects.exclude(membership__team__village=F("household__village")).exists()
    assert not Assignment.objects.filter(start_date__lt=F("household__registered_on")).exists()
    assert not Assignment.objects.filter(start_date__lt=F("membership__start_date")).exists()
    # The cadre demo account has its share of its team's households.
    cadre = User.objects.get(username="cadre")
    team = Membership.objects.get(user=cadre).team
    members = Membership.objects.active_on(TODAY).filter(team=team).values("user").distinct().count()
    share = Assignment.objects.active_on(TODAY).filter(membership__user=cadre).count()
    households = Household.objects.filter(village=team.village, is_active=True).count()
    assert households / members * 0.3 <= share <= households / members * 3
    # A database seeded before assignments existed gets the same ones.
    rows = sorted(Assignment.objects.values_list("household_id", "membership_id", "start_date", "end_date"))
    Assignment.objects.all().delete()
    seed.seed_assignments(county=county, rng=seed.assignments_rng(11))
    assert sorted(Assignment.objects.values_list("household_id", "membership_id", "start_date", "end_date")) == rows


def test_seed_demo_assignments_only_adds_them_to_a_seeded_database(db, liaison_tuesday):
    rng = team_seed.county_rng(5, 0)
    county, _ = team_seed.seed_tree(preset_name="demo", rng=rng)
    team_seed.seed_liaison_days(county=county, rng=rng)
    seed.seed_visits(county=county, preset_name="demo", rng=rng)
    assert not Assignment.objects.exists()
    call_command("seed_demo", "--seed", "5", "--assignments-only", stdout=io.StringIO())
    made = Assignment.objects.count()
    assert made > 1500
    call_command("seed_demo", "--seed", "5", "--assignments-only", stdout=io.StringIO())
    assert Assignment.objects.count() == made


def test_two_leaders_on_two_connections_at_once(tworld):
    """The leader and the town office both saw 王秀英 unassigned and pick different members at the
    same instant, each on its own PostgreSQL connection: one assignment, one Conflict."""
    home = HouseholdFactory(village=tworld.village_a, head_name="王秀英", registered_on=date(2020, 1, 1))

    def pick(by, member):
        return lambda: assignments.as_seen(assignments.assign, seen={home.pk: frozenset()}, by=by,
                                           team=tworld.team_a, households=[home], member=member)

    results = run_together(pick(tworld.leader, tworld.cadre), pick(tworld.town_office, tworld.lawyer))
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, Conflict) and "王秀英" in error.message
    assert Assignment.objects.filter(household=home).count() == 1
