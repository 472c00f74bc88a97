"""Bad input never gets a 500: every write endpoint and every list filter, for every persona,
answered with garbage, answers 4xx and writes nothing."""

import pytest
from django.core.cache import cache

from issues import services as issue_services
from issues.models import Category, Event, Issue
from teams import services as team_services
from teams.models import Attendance, LiaisonDay
from visits.models import Household, Visit

GARBAGE = [
    {},
    [],
    "not json at all",
    {"kind": 12, "date": "2026-13-45", "village": "x", "households": "all", "cadres": [None], "notes": {"a": 1}},
    {"village": 999999999, "category": "nope", "source": "?", "received_at": "yesterday", "title": ["t"]},
    {"title": "x" * 5000, "description": None, "reporter_phone": 12345, "household": -1, "visit": 3.5},
    {"phone": "abc", "id_number": "123", "members_count": -5, "tags": ["ghost"], "head_name": ""},
    [{"member": "me", "status": "maybe"}, {"member": 999999999, "status": "present"}, 7],
    {"reason": "", "department": "everyone", "result": None, "explanation": [0], "note": [], "satisfaction": "wow"},
    {"code": "'; DROP TABLE issues_issue; --", "phone_last4": "abcd"},
]
FILTERS = {
    "town": "abc", "village": "-1", "county": "1e9", "team": "x", "status": "weird", "level": "moon",
    "overdue": "maybe", "category": "none", "tag": "??", "kind": "party", "date_after": "2026-02-30",
    "date_before": "later", "received_after": "x", "received_before": "y", "page": "last-but-one",
}


def _issue(world):
    return issue_services.register(
        by=world.cadre, village=world.village_a, category=Category.objects.get(code="livelihood"),
        title="路灯不亮", description="三巷路灯坏了", source=Issue.Source.RECEPTION,
        reporter_name="王秀英", reporter_phone="13912345678",
    )


def _counts():
    return (Household.objects.count(), Visit.objects.count(), Issue.objects.count(), Event.objects.count(),
            list(Attendance.objects.order_by("pk").values_list("status", flat=True)))


@pytest.mark.parametrize("persona", ["cadre", "leader", "other_cadre", "town_office", "department",
                                     "org_department", "admin", "anonymous"])
def test_garbage_gets_a_4xx_and_writes_nothing(world, api_as, persona):
    team_services.generate_liaison_days(weeks=1)
    issue = _issue(world)
    day = LiaisonDay.objects.filter(team=world.team_a).first()
    api = api_as(getattr(world, persona))
    paths = ["/api/v1/households/", "/api/v1/visits/", "/api/v1/issues/",
             f"/api/v1/liaison-days/{day.pk}/attendance/", "/api/v1/public/issue-status/"]
    paths += [f"/api/v1/issues/{issue.code}/{action}/" for action in
              ("progress", "escalate", "resolve", "explain", "feedback", "rate", "handover", "fly")]
    before = _counts()
    for path in paths:
        for payload in GARBAGE:
            cache.delete_many(cache.keys("*public-lookup*")) if hasattr(cache, "keys") else None
            response = api.post(path, payload, format="json")
            assert 400 <= response.status_code < 500, (path, payload, response.status_code, response.content[:300])
            body = response.json()
            assert body, (path, payload)
    assert _counts() == before


@pytest.mark.parametrize("persona", ["cadre", "town_office", "department", "org_department", "admin"])
def test_garbage_filters_never_500(world, api_as, persona):
    api = api_as(getattr(world, persona))
    for path in ("/api/v1/towns/", "/api/v1/villages/", "/api/v1/departments/", "/api/v1/teams/",
                 "/api/v1/households/", "/api/v1/liaison-days/", "/api/v1/visits/", "/api/v1/issues/",
                 "/api/v1/categories/"):
        for name, value in FILTERS.items():
            response = api.get(path, {name: value})
            assert response.status_code in (200, 400, 404), (path, name, value, response.status_code)


@pytest.mark.parametrize("persona", ["cadre", "town_office", "department", "org_department", "admin"])
def test_garbage_query_strings_on_pages_never_500(world, as_user, persona):
    client = as_user(getattr(world, persona))
    for path in ("/", "/issues/", "/visits/diary/", "/visits/coverage/", "/public/",
                 f"/visits/villages/{world.village_a.pk}/households/"):
        for name, value in FILTERS.items():
            response = client.get(path, {name: value, "q": "%' OR 1=1 --"})
            assert response.status_code in (200, 302, 400, 403, 404), (path, name, value, response.status_code)


@pytest.mark.parametrize("value", ["99999999999999999999", "²", "１２", "-1", "0"])
def test_odd_numbers_in_the_public_query_string_never_500(world, client, value):
    for name in ("town", "page", "village"):
        assert client.get("/public/", {name: value}).status_code in (200, 400, 404), (name, value)
