"""seed_demo: the demo county with the demo accounts, deterministic and idempotent."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory

from teams import scope
from teams.models import Attendance, County, Membership, Role, Team, Village
from teams.seed import make_rng, seed_tree


@pytest.fixture
def seeded(db):
    call_command("seed_demo", seed=7)


def test_demo_accounts_log_in_with_the_demo_password_and_hold_their_positions(seeded):
    positions = {}
    for username in ("admin", "cadre", "leader", "town", "dept", "orgdept"):
        # A sign-in always comes with its request: django-axes counts failures by address.
        user = authenticate(RequestFactory().post("/accounts/login/"), username=username, password="liaison-demo")
        assert user is not None, username
        positions[username] = scope.scope_for(user)
    assert positions["admin"].is_admin
    assert positions["cadre"].member_team_ids and not positions["cadre"].leader_team_ids
    assert positions["leader"].leader_team_ids >= positions["cadre"].member_team_ids
    assert positions["town"].office_town_ids and positions["dept"].department_ids
    assert positions["orgdept"].org_county_ids


def test_realistic_teams_with_auxiliary_members_and_attendance_near_98_percent(seeded):
    county = County.objects.get(name="博罗县")
    assert Team.objects.filter(village__town__county=county).count() == Village.objects.filter(
        town__county=county
    ).count()
    roles = set(Membership.objects.values_list("role", flat=True))
    assert {Role.LEADER, Role.TOWN_CADRE, Role.LAWYER, Role.VOLUNTEER} <= roles
    rows = Attendance.objects.exclude(status=Attendance.Status.PENDING)
    present = rows.filter(status=Attendance.Status.PRESENT).count()
    counted = rows.exclude(status=Attendance.Status.LEAVE).count()
    assert 0.96 < present / counted < 0.995


def test_running_it_again_changes_nothing(seeded):
    before = (Team.objects.count(), Membership.objects.count(), Attendance.objects.count())
    call_command("seed_demo", seed=7)
    assert (Team.objects.count(), Membership.objects.count(), Attendance.objects.count()) == before


def test_the_same_seed_gives_the_same_county(db):
    def snapshot(seed):
        with transaction.atomic():
            seed_tree(preset_name="demo", rng=make_rng(seed))
            result = (
                list(Village.objects.order_by("pk").values_list("name", flat=True)),
                list(Membership.objects.order_by("pk").values_list("user__name", "role")),
            )
            transaction.set_rollback(True)
        return result

    assert snapshot(11) == snapshot(11)
    assert snapshot(11) != snapshot(12)


def test_a_year_of_inspections_and_a_published_quarter_round(seeded):
    from reports.models import AssessmentResult, AssessmentRound, Inspection

    county = County.objects.get(name="博罗县")
    inspections = Inspection.objects.filter(team__village__town__county=county)
    # A few a month in each of the four towns, most finding nothing wrong, a couple criticised.
    assert 4 * 12 * 2 <= inspections.count() <= 4 * 13 * 4
    assert 0 < inspections.filter(deduction__gt=0).count() < inspections.count() / 2
    assert 1 <= inspections.exclude(criticism="").count() <= 3
    round_ = AssessmentRound.objects.get(county=county)
    assert round_.is_published and round_.period == "quarter"
    assert AssessmentResult.objects.filter(round=round_, unit="town", rank=1).exists()
    before = (inspections.count(), AssessmentRound.objects.count())
    call_command("seed_demo", seed=7)
    assert (inspections.count(), AssessmentRound.objects.count()) == before

