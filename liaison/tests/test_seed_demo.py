"""seed_demo: the demo county with the demo accounts, deterministic and idempotent; and several
counties at once, each whole and none pointing at another."""

import io

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import connection, transaction
from django.test import RequestFactory

from teams import scope
from teams.models import Attendance, County, Membership, Role, Team, User, Village
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



# The county of every person (by team or office), village and team, for the checks below.
COUNTIES = """
WITH village_county AS (
    SELECT v.id, t.county_id FROM teams_village v JOIN teams_town t ON t.id = v.town_id
), team_county AS (
    SELECT t.id, vc.county_id FROM teams_team t JOIN village_county vc ON vc.id = t.village_id
), person_county AS (
    SELECT m.user_id, tc.county_id FROM teams_membership m JOIN team_county tc ON tc.id = m.team_id
    UNION
    SELECT p.user_id, COALESCE(p.county_id, t.county_id, d.county_id) FROM teams_position p
    LEFT JOIN teams_town t ON t.id = p.town_id LEFT JOIN teams_department d ON d.id = p.department_id
    WHERE p.kind <> 'admin'
)
"""
# Each counts the rows of one county that point at another county's rows.
CROSSINGS = {
    "a person in two counties": """
        SELECT count(*) FROM (SELECT user_id FROM person_county GROUP BY 1 HAVING count(DISTINCT county_id) > 1) x""",
    "a visit's team and village": """
        SELECT count(*) FROM visits_visit v JOIN village_county vc ON vc.id = v.village_id
        JOIN team_county tc ON tc.id = v.team_id WHERE vc.county_id <> tc.county_id""",
    "a visit's cadres": """
        SELECT count(*) FROM visits_visit_cadres c JOIN visits_visit v ON v.id = c.visit_id
        JOIN team_county tc ON tc.id = v.team_id
        WHERE NOT EXISTS (SELECT 1 FROM person_county p WHERE p.user_id = c.user_id AND p.county_id = tc.county_id)""",
    "a visit's households": """
        SELECT count(*) FROM visits_visit_households x JOIN visits_visit v ON v.id = x.visit_id
        JOIN visits_household h ON h.id = x.household_id JOIN village_county a ON a.id = v.village_id
        JOIN village_county b ON b.id = h.village_id WHERE a.county_id <> b.county_id""",
    "an issue's household": """
        SELECT count(*) FROM issues_issue i JOIN visits_household h ON h.id = i.household_id
        JOIN village_county a ON a.id = i.village_id JOIN village_county b ON b.id = h.village_id
        WHERE a.county_id <> b.county_id""",
    "an issue's first responder": """
        SELECT count(*) FROM issues_issue i JOIN village_county vc ON vc.id = i.village_id WHERE NOT EXISTS (
            SELECT 1 FROM person_county p WHERE p.user_id = i.first_responder_id AND p.county_id = vc.county_id)""",
    "a step's handler": """
        SELECT count(*) FROM issues_step s JOIN issues_issue i ON i.id = s.issue_id
        JOIN village_county vc ON vc.id = i.village_id LEFT JOIN team_county tc ON tc.id = s.team_id
        LEFT JOIN teams_town t ON t.id = s.town_id LEFT JOIN teams_department d ON d.id = s.department_id
        WHERE COALESCE(tc.county_id, t.county_id, d.county_id) <> vc.county_id""",
    "an event's actor": """
        SELECT count(*) FROM issues_event e JOIN issues_issue i ON i.id = e.issue_id
        JOIN village_county vc ON vc.id = i.village_id WHERE e.actor_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM person_county p WHERE p.user_id = e.actor_id AND p.county_id = vc.county_id)""",
    "a notification's reader": """
        SELECT count(*) FROM issues_notification n JOIN issues_issue i ON i.id = n.issue_id
        JOIN village_county vc ON vc.id = i.village_id WHERE NOT EXISTS (
            SELECT 1 FROM person_county p WHERE p.user_id = n.user_id AND p.county_id = vc.county_id)""",
    "an attendance's member": """
        SELECT count(*) FROM teams_attendance a JOIN teams_liaisonday d ON d.id = a.liaison_day_id
        JOIN team_county tc ON tc.id = d.team_id WHERE NOT EXISTS (
            SELECT 1 FROM person_county p WHERE p.user_id = a.member_id AND p.county_id = tc.county_id)""",
    "an inspection's liaison day and inspector": """
        SELECT count(*) FROM reports_inspection x JOIN teams_liaisonday d ON d.id = x.liaison_day_id
        JOIN team_county tc ON tc.id = x.team_id WHERE d.team_id <> x.team_id OR NOT EXISTS (
            SELECT 1 FROM person_county p WHERE p.user_id = x.recorded_by_id AND p.county_id = tc.county_id)""",
    "a figure's unit": """
        SELECT count(*) FROM reports_snapshot s JOIN reports_refresh r ON r.id = s.refresh_id
        LEFT JOIN team_county tc ON s.unit = 'team' AND tc.id = s.unit_id
        LEFT JOIN teams_town t ON s.unit = 'town' AND t.id = s.unit_id
        LEFT JOIN teams_department d ON s.unit = 'department' AND d.id = s.unit_id
        WHERE COALESCE(tc.county_id, t.county_id, d.county_id, CASE WHEN s.unit = 'county' THEN s.unit_id END)
              IS DISTINCT FROM r.county_id""",
}


def _all_rows():
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


def test_two_counties_each_whole_and_apart_and_a_second_run_changes_nothing(db):
    from issues.models import Issue
    from reports.figures import services as figures
    from reports.models import AssessmentRound, Inspection
    from visits.models import Household, Visit

    call_command("seed_demo", seed=7, counties=2, stdout=io.StringIO())

    first, second = County.objects.get(name="博罗县"), County.objects.get(name="龙门县")
    for county in (first, second):
        assert Team.objects.filter(village__town__county=county).count() == 24
        assert Membership.objects.filter(team__village__town__county=county).count() > 200
        assert Household.objects.filter(village__town__county=county).count() > 1000
        assert Visit.objects.filter(team__village__town__county=county).count() > 2000
        assert Issue.objects.filter(village__town__county=county).count() > 800
        assert Inspection.objects.filter(team__village__town__county=county).count() > 50
        assert AssessmentRound.objects.get(county=county).is_published
        assert figures.current(county.pk) is not None
    # The demo accounts belong to the first county; the second has its own organization department.
    assert scope.scope_for(User.objects.get(username="orgdept")).org_county_ids == {first.pk}
    assert scope.scope_for(User.objects.get(username="c2orgdept")).org_county_ids == {second.pk}
    with connection.cursor() as cursor:
        for crossing, sql in CROSSINGS.items():
            cursor.execute(COUNTIES + sql)
            assert cursor.fetchone()[0] == 0, crossing

    before = _all_rows()
    call_command("seed_demo", seed=7, counties=2, stdout=io.StringIO())
    assert _all_rows() == before
