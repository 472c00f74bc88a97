"""The raw facts behind the figures, as lists: memberships with their history, every handling
step, every rating ever given — each within the user's scope, in pages of up to 1,000."""

import pytest

from issues import services


@pytest.fixture
def ledger(world, register, monday_before):
    """An issue escalated to the town and resolved there, rated dissatisfied (reopened), and one
    of another town's team."""
    issue = register(world)
    services.escalate(issue=issue, by=world.leader, reason="需镇街协调")
    services.resolve(issue=issue, by=world.town_office, result="已修复")
    services.rate(issue=issue, satisfaction="dissatisfied", comment="还是不亮")
    other = register(world, by=world.other_cadre, village=world.village_c)
    return issue, other


def test_every_step_with_its_due_end_and_outcome(world, api_as, ledger):
    issue, other = ledger
    rows = api_as(world.town_office).get("/api/v1/steps/", {"page_size": 1000}).json()["results"]
    assert [(r["issue"], r["level"], r["outcome"]) for r in rows] == [
        (issue.display_code, "village", "escalated"), (issue.display_code, "town", "resolved"),
        (issue.display_code, "town", ""),
    ]
    assert rows[0]["on_time"] is True and rows[0]["due_at"] and rows[0]["ended_at"]
    town_steps = api_as(world.org_department).get("/api/v1/steps/", {"level": "town", "town": world.town1.pk}).json()
    assert town_steps["count"] == 2
    assert api_as(world.other_cadre).get("/api/v1/steps/").json()["count"] == 1


def test_every_rating_even_the_one_that_reopened_its_issue(world, api_as, ledger):
    issue, _other = ledger
    rows = api_as(world.cadre).get("/api/v1/ratings/").json()["results"]
    assert [(r["issue"], r["village"], r["satisfaction"]) for r in rows] == [
        (issue.display_code, world.village_a.pk, "dissatisfied")
    ]
    issue.refresh_from_db()
    assert issue.status == "open" and not issue.satisfaction
    assert api_as(world.other_cadre).get("/api/v1/ratings/").json()["count"] == 0
    assert api_as(world.cadre).get("/api/v1/ratings/", {"rated_before": "2020-01-01"}).json()["count"] == 0


def test_memberships_with_their_history_and_required_flag(world, api_as, monday_before):
    from teams.models import Membership

    Membership.objects.filter(user=world.lawyer).update(end_date="2026-06-30")
    rows = api_as(world.leader).get("/api/v1/memberships/", {"team": world.team_a.pk}).json()["results"]
    by_user = {r["user"]: r for r in rows}
    assert by_user[world.lawyer.pk]["end_date"] == "2026-06-30" and by_user[world.lawyer.pk]["required"]
    assert by_user[world.volunteer.pk]["required"] is False
    active = api_as(world.leader).get("/api/v1/memberships/", {"team": world.team_a.pk, "active_on": "2026-11-24"})
    assert world.lawyer.pk not in {r["user"] for r in active.json()["results"]}
    assert api_as(world.department).get("/api/v1/memberships/").json()["count"] == 0


def test_pages_of_up_to_a_thousand(world, api_as, monday_before):
    response = api_as(world.admin).get("/api/v1/memberships/", {"page_size": 5000})
    assert response.status_code == 200 and len(response.json()["results"]) == response.json()["count"]
