"""Who sees which issue, for every persona; outsiders get 404 on pages and the API."""

from datetime import date

import pytest
from django.urls import reverse

from issues import selectors, services
from teams.models import Membership, Role

EXPECTED = {
    "cadre": {"a", "escalated"},
    "leader": {"a", "escalated"},
    "other_cadre": {"c"},
    "town_office": {"a", "escalated"},
    "department": {"escalated"},
    "org_department": {"a", "c", "escalated"},
    "admin": {"a", "c", "escalated", "elsewhere"},
}


@pytest.fixture
def issues(world, register, monday_before):
    outsider = world.other_team
    far_cadre = type(world.cadre).objects.create_user(username="far", password="x", name="远方干部")
    Membership.objects.create(team=outsider, user=far_cadre, role=Role.TOWN_CADRE, start_date=date(2025, 1, 1))
    escalated = register(world, title="escalated")
    services.escalate(issue=escalated, by=world.leader, reason="需协调")
    services.escalate(issue=escalated, by=world.town_office, reason="吹哨", department=world.dept1)
    return {
        "a": register(world, title="a"),
        "c": register(world, by=world.other_cadre, village=world.village_c, title="c"),
        "escalated": escalated,
        "elsewhere": register(world, by=far_cadre, village=world.other_village, title="elsewhere"),
    }


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_ledger_and_detail_per_persona(world, issues, persona, as_user, api_as):
    user = getattr(world, persona)
    assert {i.title for i in selectors.ledger(user)} == EXPECTED[persona]
    api_titles = {i["title"] for i in api_as(user).get("/api/v1/issues/").json()["results"]}
    assert api_titles == EXPECTED[persona]
    client = as_user(user)
    for name, issue in issues.items():
        expected = 200 if name in EXPECTED[persona] else 404
        assert client.get(reverse("issue-detail", args=[issue.code])).status_code == expected, name
        assert api_as(user).get(f"/api/v1/issues/{issue.code}/").status_code == expected, name


def test_anonymous_sees_nothing(world, issues, client, api_as):
    assert selectors.ledger(None).count() == 0
    assert client.get(reverse("issue-detail", args=[issues["a"].code])).status_code == 302
    assert api_as(None).get(f"/api/v1/issues/{issues['a'].code}/").status_code in (401, 403)


def test_first_responder_keeps_seeing_after_leaving_the_team(world, issues, monday_before):
    Membership.objects.filter(user=world.cadre).update(end_date=date(2026, 11, 1))
    world.cadre = type(world.cadre).objects.get(pk=world.cadre.pk)
    assert {i.title for i in selectors.ledger(world.cadre)} == {"a", "escalated"}
    assert services.allowed_actions(world.cadre, issues["a"]) == ["progress", "handover"]
