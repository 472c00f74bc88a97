"""定点联系: assigning households to named members, with history, scope and the figures marked."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import LIAISON_TUESDAY, frozen_at
from factories import HouseholdFactory, MembershipFactory
from teams import changes, scope
from teams.models import Role
from visits import assignments
from visits.models import Assignment, Household
from visits.selectors import unassigned

from .conftest import TODAY

pytestmark = pytest.mark.django_db
LATER = LIAISON_TUESDAY + timedelta(days=7)


def members_of(household, day=TODAY):
    return sorted(a.membership.user.username for a in Assignment.objects.active_on(day).filter(household=household))


def test_leader_assigns_and_reassigning_keeps_history(world, homes):
    assignments.assign(by=world.leader, team=world.team_a, households=[homes.wang, homes.zhang], member=world.cadre)
    assert members_of(homes.wang) == ["cadre"]
    assert unassigned(Household.objects.filter(village=world.village_a)).count() == 2

    later = LATER.date()
    with frozen_at(LATER):
        assignments.assign(by=world.town_office, team=world.team_a, households=[homes.wang], member=world.lawyer)
    rows = list(Assignment.objects.filter(household=homes.wang).order_by("start_date").select_related("membership"))
    assert [(a.membership.user.username, a.start_date, a.end_date) for a in rows] == [
        ("cadre", TODAY, later - timedelta(days=1)), ("lawyer", later, None)]
    assert rows[0].ended_by == world.town_office
    assert members_of(homes.wang, TODAY) == ["cadre"]
    assert members_of(homes.wang, later) == ["lawyer"]


def test_a_pair_and_never_three(world, homes):
    assignments.assign(by=world.leader, team=world.team_a, households=[homes.chen], member=world.cadre)
    assignments.assign(by=world.leader, team=world.team_a, households=[homes.chen], member=world.lawyer, pair=True)
    assert members_of(homes.chen) == ["cadre", "lawyer"]
    with pytest.raises(ValidationError, match="至多|at most two"):
        assignments.assign(by=world.leader, team=world.team_a, households=[homes.chen], member=world.volunteer,
                           pair=True)
    assert members_of(homes.chen) == ["cadre", "lawyer"]


def test_a_member_leaving_leaves_their_households_unassigned_at_once(world, homes):
    assignments.assign(by=world.leader, team=world.team_a, households=[homes.wang, homes.li], member=world.cadre)
    village = Household.objects.filter(village=world.village_a)
    assert set(unassigned(village)) == {homes.zhang, homes.chen}
    membership = world.cadre.memberships.get(team=world.team_a)
    membership.end_date = TODAY - timedelta(days=1)
    membership.save()
    assert set(unassigned(village)) == {homes.wang, homes.zhang, homes.chen, homes.li}
    # History kept: the rows are there, ending with the membership.
    assert {a.ends_on for a in Assignment.objects.filter(membership=membership)} == {TODAY - timedelta(days=1)}


@pytest.mark.parametrize("persona", ["cadre", "other_cadre", "department", "org_department", "other_leader"])
def test_only_the_leader_the_town_office_and_administrators_assign(world, homes, persona):
    with pytest.raises(PermissionDenied):
        assignments.assign(by=getattr(world, persona), team=world.team_a, households=[homes.wang],
                           member=world.cadre)
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("case", ["other village", "not a member", "ended membership", "same member", "future",
                                  "moved out", "before a later change"])
def test_bad_assignments_are_refused_and_write_nothing(world, homes, case):
    assignments.assign(by=world.leader, team=world.team_a, households=[homes.zhang], member=world.cadre)
    before = list(Assignment.objects.values_list("pk", "end_date"))
    kwargs = {"by": world.leader, "team": world.team_a, "households": [homes.wang], "member": world.lawyer}
    if case == "other village":
        kwargs["households"] = [homes.wang, homes.longxi1]
    elif case == "not a member":
        kwargs["member"] = world.other_cadre
    elif case == "ended membership":
        MembershipFactory(team=world.team_a, user=world.other_cadre, role=Role.TOWN_CADRE,
                          start_date=date(2025, 1, 1), end_date=TODAY - timedelta(days=3))
        kwargs["member"] = world.other_cadre
    elif case == "same member":
        kwargs.update(households=[homes.wang, homes.zhang], member=world.cadre)
    elif case == "future":
        kwargs["on"] = TODAY + timedelta(days=1)
    elif case == "moved out":
        gone = HouseholdFactory(village=world.village_a, registered_on=date(2020, 1, 1), is_active=False,
                                moved_out_on=TODAY - timedelta(days=10))
        kwargs["households"] = [homes.wang, gone]
    elif case == "before a later change":
        kwargs.update(households=[homes.zhang], on=TODAY - timedelta(days=5))
    with pytest.raises(ValidationError) as refused:
        assignments.assign(**kwargs)
    assert refused.value.message_dict
    assert list(Assignment.objects.values_list("pk", "end_date")) == before


def test_reassign_all_of_a_member_in_one_step(world, homes):
    assignments.assign(by=world.leader, team=world.team_a, households=[homes.wang, homes.zhang, homes.chen],
                       member=world.cadre)
    assignments.assign(by=world.leader, team=world.team_a, households=[homes.chen], member=world.lawyer, pair=True)
    moved = assignments.reassign_all(by=world.leader, team=world.team_a, from_member=world.cadre,
                                     to_member=world.lawyer)
    assert moved == 3
    for household in (homes.wang, homes.zhang, homes.chen):
        assert members_of(household) == ["lawyer"]
    with pytest.raises(ValidationError):
        assignments.reassign_all(by=world.leader, team=world.team_a, from_member=world.cadre,
                                 to_member=world.lawyer)


def test_distribute_evenly_keeps_neighbours_together(world):
    streets = [f"西区社区建设路{n}号" for n in range(1, 13)] + [f"西区社区人民路{n}号" for n in range(1, 10)]
    for address in reversed(streets):
        HouseholdFactory(village=world.village_a, address=address, registered_on=date(2020, 1, 1))
    given = assignments.distribute_evenly(by=world.leader, team=world.team_a,
                                          members=[world.cadre, world.lawyer, world.leader])
    walk = sorted(streets, key=assignments.address_key)
    assert walk[:3] == ["西区社区人民路1号", "西区社区人民路2号", "西区社区人民路3号"]
    assert sorted(given.values()) == [7, 7, 7]
    for user in (world.cadre, world.lawyer, world.leader):
        mine = sorted(Assignment.objects.filter(membership__user=user).values_list("household__address", flat=True),
                      key=assignments.address_key)
        positions = sorted(walk.index(a) for a in mine)
        assert positions == list(range(positions[0], positions[0] + 7)), mine


def test_distribute_evenly_tops_up_the_lighter_members(world, homes):
    assignments.assign(by=world.leader, team=world.team_a, households=[homes.wang, homes.zhang, homes.chen],
                       member=world.cadre)
    for n in range(5):
        HouseholdFactory(village=world.village_a, address=f"西区社区新村{n}号", registered_on=date(2020, 1, 1))
    given = assignments.distribute_evenly(by=world.leader, team=world.team_a, members=[world.cadre, world.lawyer])
    # Nine households between two members, three of them already the cadre's: four and five.
    assert sum(given.values()) == 6
    assert sorted([3 + given.get(world.cadre.pk, 0), given[world.lawyer.pk]]) == [4, 5]
    assert not unassigned(Household.objects.filter(village=world.village_a)).exists()


def test_every_change_marks_the_village_figures_from_its_day(world, homes):
    marked = []

    def note(town_id, since, village_id, **kwargs):
        marked.append((town_id, village_id, since))

    changes.figures_changed.connect(note, weak=False)
    try:
        assignments.assign(by=world.leader, team=world.team_a, households=[homes.wang], member=world.cadre,
                           on=TODAY - timedelta(days=20))
        assignments.reassign_all(by=world.leader, team=world.team_a, from_member=world.cadre,
                                 to_member=world.lawyer, on=TODAY - timedelta(days=10))
        assignments.unassign(by=world.leader, team=world.team_a, households=[homes.wang])
    finally:
        changes.figures_changed.disconnect(note)
    town, village = world.town1.pk, world.village_a.pk
    assert marked == [(town, village, TODAY - timedelta(days=20)), (town, village, TODAY - timedelta(days=10)),
                      (town, village, TODAY)]


def test_who_sees_which_assignments(world, homes):
    assignments.assign(by=world.leader, team=world.team_a, households=[homes.wang], member=world.cadre)
    assignments.assign(by=world.leader, team=world.team_a, households=[homes.zhang], member=world.lawyer)
    seen = {persona: set(scope.visible(getattr(world, persona), Assignment)
                         .values_list("household__head_name", flat=True))
            for persona in ("cadre", "lawyer", "leader", "town_office", "org_department", "other_cadre",
                            "department")}
    assert seen == {"cadre": {"王秀英"}, "lawyer": {"张国强"}, "leader": {"王秀英", "张国强"},
                    "town_office": {"王秀英", "张国强"}, "org_department": {"王秀英", "张国强"},
                    "other_cadre": set(), "department": set()}
