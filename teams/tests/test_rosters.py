"""Rosters: memberships with dates, the two-team limit for leaders, nothing ever deleted."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from teams import services
from teams.models import Membership, Role, Schedule, Team, Village


def test_a_membership_ending_before_it_starts_is_refused_and_not_saved(world):
    with pytest.raises(ValidationError) as error:
        services.add_membership(
            by=world.admin, team=world.team_b, user=world.cadre, role=Role.TOWN_CADRE,
            start_date=date(2026, 5, 1), end_date=date(2026, 4, 1),
        )
    assert error.value.message_dict == {"end_date": ["成员的结束日期不能早于开始日期。"]}
    assert not Membership.objects.filter(team=world.team_b, user=world.cadre).exists()


def test_the_database_refuses_it_too(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            team=world.team_b, user=world.cadre, role=Role.TOWN_CADRE,
            start_date=date(2026, 5, 1), end_date=date(2026, 4, 1),
        )


def test_a_leader_leads_at_most_two_teams(world):
    services.add_membership(
        by=world.town_office, team=world.team_b, user=world.leader, role=Role.LEADER, start_date=date(2026, 1, 1)
    )
    with pytest.raises(ValidationError) as error:
        services.add_membership(
            by=world.admin, team=world.team_c, user=world.leader, role=Role.LEADER, start_date=date(2026, 1, 1)
        )
    assert "user" in error.value.message_dict
    assert Membership.objects.filter(user=world.leader, role=Role.LEADER).count() == 2


def test_a_past_leadership_does_not_count_against_the_limit(world):
    services.add_membership(
        by=world.town_office, team=world.team_b, user=world.leader, role=Role.LEADER,
        start_date=date(2025, 1, 1), end_date=date(2025, 12, 31),
    )
    services.add_membership(
        by=world.admin, team=world.team_c, user=world.leader, role=Role.LEADER, start_date=date(2026, 1, 1)
    )
    assert Membership.objects.filter(user=world.leader, role=Role.LEADER).count() == 3


def test_a_schedule_needs_a_place(world):
    village = Village.objects.create(town=world.town1, name="新村")
    team = Team.objects.create(village=village, name="新村驻点团队")
    schedule = Schedule(team=team, place="   ")
    with pytest.raises(ValidationError) as error:
        schedule.full_clean()
    assert "place" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Schedule.objects.create(team=team, place="")


def test_users_and_teams_are_never_deleted(world):
    with pytest.raises(ValidationError):
        world.cadre.delete()
    with pytest.raises(ValidationError):
        world.team_a.delete()
    assert Team.objects.filter(pk=world.team_a.pk).exists()


def test_only_the_town_office_of_the_team_or_an_administrator_changes_a_roster(world):
    for persona in ("leader", "cadre", "other_cadre", "department", "org_department"):
        with pytest.raises(PermissionDenied):
            services.add_membership(
                by=getattr(world, persona), team=world.team_a, user=world.other_leader, role=Role.JUDGE,
                start_date=date(2026, 1, 1),
            )
    with pytest.raises(PermissionDenied):
        services.add_membership(
            by=world.town_office, team=world.team_c, user=world.cadre, role=Role.TOWN_CADRE,
            start_date=date(2026, 1, 1),
        )
    assert not Membership.objects.filter(user=world.other_leader, team=world.team_a).exists()
    assert not Membership.objects.filter(user=world.cadre, team=world.team_c).exists()
    membership = Membership.objects.get(user=world.lawyer)
    with pytest.raises(PermissionDenied):
        services.change_membership(by=world.leader, membership=membership, end_date=date(2026, 12, 31))
    membership.refresh_from_db()
    assert membership.end_date is None
