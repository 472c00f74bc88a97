"""Each persona sees and changes only what their position covers."""

import pytest

from teams import scope
from teams.models import Attendance, County, LiaisonDay, Membership, Team, Town, Village
from teams.scope import may_mark_sheet
from teams.services import generate_liaison_days


def names(queryset):
    return sorted(str(o) for o in queryset)


@pytest.mark.parametrize(
    "persona, teams",
    [
        ("cadre", ["西区社区驻点团队"]),
        ("leader", ["西区社区驻点团队"]),
        ("other_cadre", ["龙溪村驻点团队"]),
        ("town_office", ["东区社区驻点团队", "西区社区驻点团队"]),
        ("department", []),
        ("org_department", ["东区社区驻点团队", "西区社区驻点团队", "龙溪村驻点团队"]),
        ("admin", ["东区社区驻点团队", "城东社区驻点团队", "西区社区驻点团队", "龙溪村驻点团队"]),
        ("anonymous", []),
    ],
)
def test_visible_teams(world, persona, teams):
    assert names(scope.visible(getattr(world, persona), Team)) == teams


@pytest.mark.parametrize("persona", ["cadre", "other_cadre", "town_office", "department", "org_department"])
def test_the_reference_tree_is_the_users_own_county(world, persona):
    user = getattr(world, persona)
    assert names(scope.visible(user, County)) == ["博罗县"]
    assert "龙城街道" not in names(scope.visible(user, Town))
    assert "城东社区" not in names(scope.visible(user, Village))


def test_anonymous_sees_nothing(world):
    for model in (County, Town, Village, Team, Membership, LiaisonDay):
        assert not scope.visible(None, model).exists()


def test_only_the_town_office_and_administrators_change_rosters(world):
    assert names(scope.changeable(world.town_office, Team)) == ["东区社区驻点团队", "西区社区驻点团队"]
    for persona in ("cadre", "leader", "other_cadre", "department", "org_department"):
        assert not scope.changeable(getattr(world, persona), Team).exists(), persona
        assert not scope.changeable(getattr(world, persona), Membership).exists(), persona


def test_liaison_days_are_changed_by_the_leader_and_the_town_office_only(world):
    generate_liaison_days(weeks=1)
    day_a = LiaisonDay.objects.filter(team=world.team_a).earliest("date")
    assert scope.can_change(world.leader, day_a)
    assert scope.can_change(world.town_office, day_a)
    for persona in ("cadre", "other_cadre", "department", "org_department", "anonymous"):
        assert not scope.can_change(getattr(world, persona), day_a), persona
    assert scope.can_see(world.cadre, day_a)
    assert not scope.can_see(world.other_cadre, day_a)


def test_the_leader_marks_the_sheet_and_a_member_only_their_own_row(world):
    generate_liaison_days(weeks=1)
    day_a = LiaisonDay.objects.filter(team=world.team_a).earliest("date")
    assert may_mark_sheet(world.leader, day_a) and may_mark_sheet(world.admin, day_a)
    for persona in ("cadre", "other_leader", "town_office", "org_department", "anonymous"):
        assert not may_mark_sheet(getattr(world, persona), day_a), persona
    # The rows themselves change only through the service, never directly.
    assert not scope.changeable(world.leader, Attendance).exists()


def test_a_former_member_loses_the_team(world):
    from datetime import date

    Membership.objects.filter(user=world.cadre).update(end_date=date(2026, 1, 31))
    assert not scope.visible(world.cadre, Team).exists()


def test_a_deactivated_account_has_no_scope(world):
    world.cadre.is_active = False
    world.cadre.save()
    assert not scope.visible(world.cadre, Team).exists()
