"""log_visit and the household roll: every refusal leaves nothing saved."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from visits import services
from visits.models import Household, HouseholdTag, Visit

from .conftest import TODAY


def test_log_visit_defaults_the_cadres_to_the_user(world, homes):
    visit = services.log_visit(
        by=world.cadre, kind=Visit.Kind.HOUSEHOLD, date=TODAY, village=world.village_a,
        households=[homes.wang, homes.zhang], notes="  了解低保续办情况 ",
    )
    assert visit.team == world.team_a
    assert list(visit.cadres.all()) == [world.cadre]
    assert set(visit.households.all()) == {homes.wang, homes.zhang}
    assert (visit.notes, visit.recorded_by) == ("了解低保续办情况", world.cadre)


def test_log_visit_takes_the_teams_members_as_cadres(world, homes):
    visit = services.log_visit(
        by=world.cadre, kind=Visit.Kind.FORUM, date=TODAY, village=world.village_a,
        cadres=[world.cadre, world.leader, world.volunteer],
    )
    assert set(visit.cadres.all()) == {world.cadre, world.leader, world.volunteer}


@pytest.mark.parametrize(
    "change, field",
    [
        ({"date": TODAY + timedelta(days=1)}, "date"),
        ({"households": "east"}, "households"),
        ({"cadres": "other_cadre"}, "cadres"),
        ({"households": None}, "households"),
    ],
)
def test_log_visit_refuses_bad_input_and_saves_nothing(world, homes, change, field):
    kwargs = dict(by=world.cadre, kind=Visit.Kind.HOUSEHOLD, date=TODAY, village=world.village_a,
                  households=[homes.wang])
    if "households" in change:
        kwargs["households"] = [homes.wang, getattr(homes, change["households"])] if change["households"] else []
    if "cadres" in change:
        kwargs["cadres"] = [world.cadre, getattr(world, change["cadres"])]
    if "date" in change:
        kwargs["date"] = change["date"]
    with pytest.raises(ValidationError) as error:
        services.log_visit(**kwargs)
    assert field in error.value.message_dict
    assert not Visit.objects.exists()


@pytest.mark.parametrize("persona", ["other_cadre", "town_office", "org_department", "department"])
def test_only_the_villages_team_logs_its_visits(world, homes, persona):
    with pytest.raises(PermissionDenied) as error:
        services.log_visit(by=getattr(world, persona), kind=Visit.Kind.RECEPTION, date=TODAY, village=world.village_a)
    assert str(error.value) == "只能登记您所在驻点团队联系的村（社区）的走访。"
    assert not Visit.objects.exists()


def test_moved_out_household_cannot_be_visited_after_it_left(world, homes):
    services.move_out(by=world.cadre, household=homes.li, on=TODAY - timedelta(days=10))
    with pytest.raises(ValidationError, match="已迁出"):
        services.log_visit(by=world.cadre, kind=Visit.Kind.HOUSEHOLD, date=TODAY, village=world.village_a,
                           households=[homes.li])
    visit = services.log_visit(by=world.cadre, kind=Visit.Kind.HOUSEHOLD, date=TODAY - timedelta(days=20),
                               village=world.village_a, households=[homes.li])
    assert visit.pk


def test_create_household_normalises_and_validates(world, liaison_tuesday):
    household = services.create_household(
        by=world.cadre, village=world.village_a, head_name=" 梁伯 ", address="西区社区新村7号",
        phone="139 1234 5678", id_number="11010519491231002x", tags=[HouseholdTag.objects.get(code="disabled")],
    )
    assert (household.head_name, household.phone, household.id_number) == ("梁伯", "13912345678", "11010519491231002X")
    assert [t.code for t in household.tags.all()] == ["disabled"]


@pytest.mark.parametrize("field, value", [("phone", "1391234567"), ("id_number", "110105194912310021")])
def test_create_household_refuses_malformed_personal_data(world, liaison_tuesday, field, value):
    with pytest.raises(ValidationError) as error:
        services.create_household(by=world.cadre, village=world.village_a, head_name="梁伯", address="新村7号",
                                  **{field: value})
    assert field in error.value.message_dict
    assert not Household.objects.exists()


def test_household_roll_is_kept_by_the_team_and_the_town_office(world, liaison_tuesday):
    services.create_household(by=world.town_office, village=world.village_b, head_name="甲", address="东区1号")
    for persona in ("other_cadre", "org_department", "department"):
        with pytest.raises(PermissionDenied, match="只有本村驻点团队或镇街驻点办可以维护住户花名册"):
            services.create_household(by=getattr(world, persona), village=world.village_a, head_name="乙",
                                      address="西区2号")
    assert Household.objects.count() == 1
