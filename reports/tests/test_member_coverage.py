"""Coverage by member (定点联系), computed with the figures: counted by hand on a world where a
household is kept by a pair, one is handed to another member mid-quarter, a member leaves and a
household moves out; the database's cells equal the Python path's; the API's `member:ID` within
scope; the team's dashboard and records; the organization department's assignment health."""

from datetime import date

import pytest
from django.urls import reverse

from reports.figures import metrics, services
from reports.models import MemberCoverage, PendingChange
from reports.oversight import assessments
from reports.tests.freshness import differences
from teams import services as rosters
from teams.models import Membership
from visits import assignments
from visits import services as rolls

Q3, Q4, YEAR = ("quarter", date(2026, 7, 1)), ("quarter", date(2026, 10, 1)), ("year", date(2026, 1, 1))


@pytest.fixture
def kept(world, liaison_tuesday):
    return keep(world)


def keep(w):
    """Six households of 西区社区 from 1 July: h1 the cadre's; h2 the cadre's and the lawyer's (a
    pair); h3 the cadre's, handed to the lawyer on 15 August; h4 the volunteer's, whose
    membership ends on 31 October; h5 the cadre's, moved out on 30 September (the quarter's last
    day: still on the roll at its end); h6 the cadre's, never visited. Visits: h1 on 10 August and
    20 October, h2 on 2 November, h3 on 20 July (the cadre's then), h4 on 5 September, h5 on 10
    September. Then the nightly refresh (today: Tuesday 24 November 2026)."""
    homes = [rolls.create_household(by=w.admin, village=w.village_a, head_name=f"户主{n}", address=f"西街{n}号",
                                    registered_on=date(2026, 1, 5)) for n in range(1, 7)]
    h1, h2, h3, h4, h5, h6 = homes
    july = date(2026, 7, 1)
    assignments.assign(by=w.leader, team=w.team_a, households=[h1, h2, h3, h5, h6], member=w.cadre, on=july)
    assignments.assign(by=w.leader, team=w.team_a, households=[h2], member=w.lawyer, on=july, pair=True)
    assignments.assign(by=w.leader, team=w.team_a, households=[h4], member=w.volunteer, on=july)
    assignments.assign(by=w.leader, team=w.team_a, households=[h3], member=w.lawyer, on=date(2026, 8, 15))
    rosters.change_membership(by=w.admin, membership=Membership.objects.get(team=w.team_a, user=w.volunteer),
                              end_date=date(2026, 10, 31))
    rolls.move_out(by=w.admin, household=h5, on=date(2026, 9, 30))
    for day, visited in ((date(2026, 8, 10), [h1]), (date(2026, 10, 20), [h1]), (date(2026, 11, 2), [h2]),
                         (date(2026, 7, 20), [h3]), (date(2026, 9, 5), [h4]), (date(2026, 9, 10), [h5])):
        rolls.log_visit(by=w.leader, kind="household", date=day, village=w.village_a, households=visited)
    PendingChange.objects.all().delete()
    w.refresh = services.refresh_in_process(w.county)
    w.homes = homes
    return w


def cells(refresh, team):
    return {(row.member_id, row.period, row.start): (row.coverage_num, row.coverage_den)
            for row in MemberCoverage.objects.filter(refresh=refresh, team_id=team.pk)}


def test_coverage_by_member_counted_by_hand(kept):
    w = kept
    got = cells(w.refresh, w.team_a)
    # The cadre: at 30 September h1, h2 (the pair), h5 (moving out that day) and h6, of which
    # h1 and h5 were visited in the quarter; h3 was the lawyer's by then. Today: h1, h2, h6.
    assert got[(w.cadre.pk, *Q3)] == (2, 4)
    assert got[(w.cadre.pk, *Q4)] == (2, 3)
    assert got[(w.cadre.pk, *YEAR)] == (2, 3)
    # The lawyer: h2 with the cadre, and h3 since 15 August, visited on 20 July while the
    # cadre's: a visit in the period counts for whoever has the household at its end.
    assert got[(w.lawyer.pk, *Q3)] == (1, 2)
    assert got[(w.lawyer.pk, *Q4)] == (1, 2)
    assert got[(w.lawyer.pk, *YEAR)] == (2, 2)
    # The volunteer left on 31 October: h4 theirs at the end of the third quarter only.
    assert got[(w.volunteer.pk, *Q3)] == (1, 1)
    assert got[(w.volunteer.pk, *Q4)] == (0, 0)
    # Nothing before their first assignment, nothing for the leader who has none, no weeks or months.
    assert (w.cadre.pk, "quarter", date(2026, 4, 1)) not in got
    assert not [key for key in got if key[0] == w.leader.pk or key[1] in ("week", "month")]


def test_the_database_counts_as_the_python_path(kept):
    w = kept
    now = w.refresh.computed_at
    first, last = services.window(date(2026, 11, 24))
    expected = {}
    for town in (w.town1, w.town2):
        scope = metrics.Scope([town.pk], first, last, now)
        for (team_id, member_id, period), figures in metrics.member_coverage(
                scope, services.periods_in(first, last)).items():
            expected[(team_id, member_id, period.kind, period.start)] = (figures["coverage_num"],
                                                                          figures["coverage_den"])
    got = {(row.team_id, row.member_id, row.period, row.start): (row.coverage_num, row.coverage_den)
           for row in MemberCoverage.objects.filter(refresh=w.refresh)}
    assert got == expected and got


def test_an_assignment_marks_its_village_and_the_figures_follow(kept):
    w = kept
    h6 = w.homes[5]
    assignments.assign(by=w.leader, team=w.team_a, households=[h6], member=w.lawyer, on=date(2026, 11, 20))
    change = PendingChange.objects.get()
    assert (change.village_id, change.since) == (w.village_a.pk, date(2026, 11, 20))
    assert differences(w.county)  # the cadre's row still counts h6 until the refresh applies it
    services.apply_pending(w.county.pk)
    assert differences(w.county) == []
    got = cells(services.current(w.county.pk), w.team_a)
    assert got[(w.cadre.pk, *Q4)] == (2, 2) and got[(w.lawyer.pk, *Q4)] == (1, 3)
    # The third quarter ended before the change: as it was.
    assert got[(w.cadre.pk, *Q3)] == (2, 4)


def test_a_membership_ending_marks_its_village_and_the_member_loses_their_households(kept):
    w = kept
    membership = Membership.objects.get(team=w.team_a, user=w.lawyer)
    rosters.change_membership(by=w.admin, membership=membership, end_date=date(2026, 11, 1))
    assert PendingChange.objects.filter(village_id=w.village_a.pk).exists()
    services.apply_pending(w.county.pk)
    assert differences(w.county) == []
    got = cells(services.current(w.county.pk), w.team_a)
    assert got[(w.lawyer.pk, *Q4)] == (0, 0) and got[(w.lawyer.pk, *Q3)] == (1, 2)


# The API: `member:ID`, within scope (404 for a member one does not see, as for any unit).


def test_the_api_gives_a_members_coverage(kept, api_as):
    w = kept
    response = api_as(w.cadre).get("/api/v1/metrics/", {"unit": f"member:{w.cadre.pk}", "period": "quarter:2026-Q3"})
    assert response.status_code == 200
    data = response.json()
    assert data["unit"] == f"member:{w.cadre.pk}" and data["period"] == "quarter:2026-Q3"
    assert data["metrics"] == {"coverage": {"numerator": 2, "denominator": 4, "rate": 0.5}}
    assert data["computed_at"]


@pytest.mark.parametrize("persona, member, status", [
    ("cadre", "cadre", 200), ("cadre", "lawyer", 404), ("leader", "cadre", 200), ("leader", "volunteer", 200),
    ("town_office", "lawyer", 200), ("org_department", "cadre", 200), ("admin", "volunteer", 200),
    ("other_leader", "cadre", 404), ("other_cadre", "cadre", 404), ("department", "cadre", 404),
])
def test_each_sees_the_members_they_oversee(kept, api_as, persona, member, status):
    w = kept
    response = api_as(getattr(w, persona)).get(
        "/api/v1/metrics/", {"unit": f"member:{getattr(w, member).pk}", "period": "year:2026"})
    assert response.status_code == status


def test_the_api_refuses_the_anonymous_and_says_what_is_not_kept(kept, api_as):
    w = kept
    params = {"unit": f"member:{w.cadre.pk}", "period": "year:2026"}
    assert api_as(None).get("/api/v1/metrics/", params).status_code in (401, 403)
    for period in ("month:2026-11", "week:2026-W48"):
        response = api_as(w.cadre).get("/api/v1/metrics/", {**params, "period": period})
        assert response.status_code == 404 and "季度" in response.json()["detail"]
    response = api_as(w.admin).get("/api/v1/metrics/", {"unit": "member:99999999", "period": "year:2026"})
    assert response.status_code == 404
    # The leader has no household: nothing computed for them.
    response = api_as(w.admin).get("/api/v1/metrics/", {"unit": f"member:{w.leader.pk}", "period": "year:2026"})
    assert response.status_code == 404
    assert api_as(w.admin).get("/api/v1/metrics/", {"unit": "member:x", "period": "year:2026"}).status_code == 400


# The pages.


def test_the_teams_dashboard_lists_its_members_with_what_is_left_to_visit(kept, as_user,
                                                                         django_assert_max_num_queries):
    w = kept
    client = as_user(w.leader)
    with django_assert_max_num_queries(40):
        page = client.get(f"/reports/team/{w.team_a.pk}/", {"period": "month:2026-11"}).content.decode()
    section = page[page.index('id="members"'):]
    section = section[:section.index("</section>")]
    assert f'data-member="{w.cadre.pk}"' in section and f'data-member="{w.lawyer.pk}"' in section
    # The cadre: 3 households this year, 2 visited, 1 left (h6), linked to the records.
    assert f"period=year:2026&amp;member={w.cadre.pk}" in section
    # h4 left with the volunteer: nobody has it now.
    assert 'data-unassigned="1"' in section


def test_the_dashboard_runs_as_many_queries_with_more_members(kept, as_user, django_assert_max_num_queries):
    w = kept
    client = as_user(w.leader)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get(f"/reports/team/{w.team_a.pk}/", {"period": "month:2026-11"})
    rosters.add_membership(by=w.admin, team=w.team_a, user=w.other_cadre, role="town_cadre",
                           start_date=date(2026, 7, 1))
    assignments.assign(by=w.leader, team=w.team_a, households=[w.homes[5]], member=w.other_cadre,
                       on=date(2026, 11, 1), pair=True)
    services.refresh_in_process(w.county)
    with django_assert_max_num_queries(len(before)):
        client.get(f"/reports/team/{w.team_a.pk}/", {"period": "month:2026-11"})


def test_the_records_of_one_members_households(kept, as_user):
    w = kept
    client = as_user(w.leader)
    page = client.get(f"/reports/team/{w.team_a.pk}/coverage/",
                      {"period": "year:2026", "member": w.cadre.pk}).content.decode()
    h1, h2, _h3, _h4, _h5, h6 = w.homes
    assert f'data-record="{h6.pk}"' in page and f'data-record="{h1.pk}"' not in page
    page = client.get(f"/reports/team/{w.team_a.pk}/coverage/",
                      {"period": "year:2026", "member": w.cadre.pk, "show": "all"}).content.decode()
    assert all(f'data-record="{h.pk}"' in page for h in (h1, h2, h6))
    assert f'data-record="{w.homes[2].pk}"' not in page  # h3: the lawyer's now
    # Someone who was never the team's member: no such list.
    assert client.get(f"/reports/team/{w.team_a.pk}/coverage/",
                      {"period": "year:2026", "member": w.other_cadre.pk}).status_code == 404


@pytest.mark.parametrize("persona, status", [
    ("org_department", 200), ("admin", 200), ("cadre", 404), ("leader", 404), ("town_office", 404),
])
def test_assignment_health_is_the_organization_departments(kept, as_user, persona, status):
    assert as_user(getattr(kept, persona)).get("/reports/assignments/").status_code == status


def test_assignment_health_per_town(kept, as_user, settings, django_assert_max_num_queries):
    w = kept
    settings.ASSIGNMENT_LOAD = 2  # the cadre's 3 are over it; under 1 (50 %): the leader's 0
    client = as_user(w.org_department)
    with django_assert_max_num_queries(12):
        page = client.get("/reports/assignments/").content.decode()
    row = page[page.index(f'data-town="{w.town1.pk}"'):]
    row = row[:row.index("</tr>")]
    # Unassigned: h4 (its member left), and 西区's other villages' roll is empty in this world.
    numbers = [cell.split(">")[-1] for cell in row.split("</td>")[1:-1]]
    assert numbers == ["1", "3", "1", "1", "0"]  # unassigned, members now, over, under, behind
    with django_assert_max_num_queries(14):
        page = client.get("/reports/assignments/", {"town": w.town1.pk}).content.decode()
    assert f'data-member="{w.cadre.pk}"' in page and 'data-flag="over"' in page
    assert client.get("/reports/assignments/", {"town": w.other_town.pk}).status_code == 404


def test_a_teams_assessment_breakdown_by_member(kept, as_user):
    w = kept
    round_ = assessments.create_round(by=w.org_department, county=w.county, period="quarter:2026-Q3")
    page = as_user(w.org_department).get(
        reverse("assessment-unit", args=[round_.pk, "team", w.team_a.pk])).content.decode()
    section = page[page.index('id="by-member"'):]
    section = section[:section.index("</section>")]
    # At the quarter's end: the cadre 2 of 4 visited, the lawyer 1 of 2, the volunteer 1 of 1 (last).
    rows = [row.split('data-member="')[1].split('"')[0] for row in section.split("<tr")[2:]]
    assert set(rows[:2]) == {str(w.cadre.pk), str(w.lawyer.pk)} and rows[2] == str(w.volunteer.pk)
    assert "2</td><td class=\"num\">4</td>" in section
    assert f"member={w.cadre.pk}" in section
