"""factory_boy factories for the objects the tests' worlds create over and over: places, teams
with their schedule, users with a membership or a position, households. Every field a test reads
is given where the world is built; the defaults only fill what no test looks at."""

from datetime import date

import factory
from factory.django import DjangoModelFactory

from teams.models import County, Membership, Position, Role, Schedule, Team, Town, User, Village
from visits.models import Household, HouseholdTag

# Every test user's password (conftest's browser sign-in uses it too).
PASSWORD = "liaison-test-pw"
MEMBER_SINCE = date(2025, 1, 1)


class CountyFactory(DjangoModelFactory):
    class Meta:
        model = County

    name = factory.Sequence(lambda n: f"测试县{n}")


class TownFactory(DjangoModelFactory):
    class Meta:
        model = Town

    county = factory.SubFactory(CountyFactory)
    name = factory.Sequence(lambda n: f"测试镇{n}")


class VillageFactory(DjangoModelFactory):
    class Meta:
        model = Village

    town = factory.SubFactory(TownFactory)
    name = factory.Sequence(lambda n: f"测试村{n}")


class TeamFactory(DjangoModelFactory):
    """A team, its village, and its weekly schedule (`schedule=None`: none; `schedule__place=…`)."""

    class Meta:
        model = Team
        skip_postgeneration_save = True

    village = factory.SubFactory(VillageFactory)
    name = factory.LazyAttribute(lambda team: f"{team.village.name}驻点团队")
    schedule = factory.RelatedFactory(
        "factories.ScheduleFactory", factory_related_name="team",
        place=factory.LazyAttribute(lambda schedule: f"{schedule.team.village.name}村委会"),
    )


class ScheduleFactory(DjangoModelFactory):
    class Meta:
        model = Schedule

    team = factory.SubFactory(TeamFactory, schedule=None)
    starts_on = date(2026, 1, 5)


class UserFactory(DjangoModelFactory):
    """A user through create_user, signing in with PASSWORD (`password=None`: no password)."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"用户{n}")
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.create_user(*args, **kwargs)


class MembershipFactory(DjangoModelFactory):
    """A member of a team: a town cadre since MEMBER_SINCE unless told otherwise."""

    class Meta:
        model = Membership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.TOWN_CADRE
    start_date = MEMBER_SINCE


class PositionFactory(DjangoModelFactory):
    class Meta:
        model = Position

    user = factory.SubFactory(UserFactory)


class HouseholdFactory(DjangoModelFactory):
    class Meta:
        model = Household
        skip_postgeneration_save = True

    village = factory.SubFactory(VillageFactory)
    head_name = factory.Sequence(lambda n: f"户主{n}")
    address = factory.Sequence(lambda n: f"{n}号")

    @factory.post_generation
    def tags(household, create, codes, **kwargs):
        """HouseholdFactory(tags=["dibao", …]): its tags, by code."""
        if codes:
            household.tags.set([HouseholdTag.objects.get(code=code) for code in codes])
