"""/api/v1/households/ and /api/v1/visits/."""

from datetime import timedelta

import pytest

from visits import services
from visits.models import Household, Visit

from .conftest import TODAY

SEES_VILLAGE_A = {"cadre", "leader", "town_office", "org_department", "admin"}
ALL = ["cadre", "leader", "other_cadre", "town_office", "department", "org_department", "admin"]


def visit(world, homes, days_ago=0):
    return services.log_visit(by=world.cadre, kind=Visit.Kind.HOUSEHOLD, date=TODAY - timedelta(days=days_ago),
                              village=world.village_a, households=[homes.wang, homes.zhang])


def test_anonymous_gets_401(api_as, world):
    for url in ("/api/v1/households/", "/api/v1/visits/", "/api/v1/liaison-days/"):
        assert api_as(None).get(url).status_code == 401


@pytest.mark.parametrize("persona", ALL)
def test_household_and_visit_scope(api_as, world, homes, persona):
    v = visit(world, homes)
    api = api_as(getattr(world, persona))
    expected = 200 if persona in SEES_VILLAGE_A else 404
    assert api.get(f"/api/v1/households/{homes.wang.pk}/").status_code == expected
    assert api.get(f"/api/v1/visits/{v.pk}/").status_code == expected
    listed = {h["id"] for h in api.get("/api/v1/households/").json()["results"]}
    assert (homes.wang.pk in listed) is (persona in SEES_VILLAGE_A)
    assert (homes.longxi1.pk in listed) is (persona in {"other_cadre", "org_department", "admin"})


def test_household_list_is_masked_filtered_and_constant(api_as, world, homes, django_assert_max_num_queries):
    visit(world, homes)
    api = api_as(world.cadre)
    # scope (2), count, page, tags
    with django_assert_max_num_queries(5):
        data = api.get("/api/v1/households/", {"village": world.village_a.pk}).json()
    assert data["count"] == 4
    wang = next(h for h in data["results"] if h["id"] == homes.wang.pk)
    assert (wang["phone"], wang["id_number"], wang["tags"]) == ("139****5678", "441***********0025", ["dibao"])
    assert wang["last_visit"] == TODAY.isoformat()
    assert [h["id"] for h in api.get("/api/v1/households/", {"tag": "elderly-alone"}).json()["results"]] == [
        homes.chen.pk]
    not_visited = api.get("/api/v1/households/", {"village": world.village_a.pk, "not_visited": "true"}).json()
    assert {h["id"] for h in not_visited["results"]} == {homes.chen.pk, homes.li.pk}


@pytest.mark.parametrize("persona, full", [("cadre", True), ("admin", True), ("town_office", False)])
def test_household_detail_full_only_for_own_team(api_as, world, homes, persona, full):
    data = api_as(getattr(world, persona)).get(f"/api/v1/households/{homes.wang.pk}/").json()
    assert (data["phone"] == "13912345678") is full
    assert (data["id_number"] == "441322195001010025") is full


def test_create_household(api_as, world, liaison_tuesday):
    response = api_as(world.cadre).post("/api/v1/households/", {
        "village": world.village_a.pk, "head_name": "梁伯", "address": "西区社区新村7号", "phone": "13912340000",
        "tags": ["dibao", "disabled"],
    }, format="json")
    assert response.status_code == 201, response.json()
    assert sorted(response.json()["tags"]) == ["dibao", "disabled"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"phone": "12345"}, "phone"),
        ({"id_number": "441322195001010026"}, "id_number"),
        ({"tags": ["no-such-tag"]}, "tags"),
    ],
)
def test_create_household_bad_input_is_400(api_as, world, liaison_tuesday, body, field):
    payload = {"village": world.village_a.pk, "head_name": "梁伯", "address": "新村7号", **body}
    response = api_as(world.cadre).post("/api/v1/households/", payload, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Household.objects.exists()


def test_create_household_outside_scope_is_403(api_as, world, liaison_tuesday):
    response = api_as(world.other_cadre).post("/api/v1/households/", {
        "village": world.village_a.pk, "head_name": "梁伯", "address": "新村7号"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "只有本村驻点团队或镇街驻点办可以维护住户花名册。"}
    assert not Household.objects.exists()


def test_visit_post_and_list(api_as, world, homes, django_assert_max_num_queries):
    api = api_as(world.cadre)
    response = api.post("/api/v1/visits/", {
        "kind": "household", "date": TODAY.isoformat(), "village": world.village_a.pk,
        "cadres": [world.cadre.pk, world.lawyer.pk], "households": [homes.wang.pk, homes.chen.pk], "notes": "走访",
    }, format="json")
    assert response.status_code == 201, response.json()
    assert sorted(response.json()["households"]) == sorted([homes.wang.pk, homes.chen.pk])
    for i in range(5):
        visit(world, homes, days_ago=i)
    # scope (2), count, page, cadres, households
    with django_assert_max_num_queries(6):
        data = api.get("/api/v1/visits/", {"village": world.village_a.pk, "kind": "household"}).json()
    assert data["count"] == 6
    assert api.get("/api/v1/visits/", {"cadre": world.lawyer.pk}).json()["count"] == 1
    assert api.get("/api/v1/visits/", {"date_before": (TODAY - timedelta(days=3)).isoformat()}).json()["count"] == 2


@pytest.mark.parametrize(
    "persona, body, field",
    [
        ("cadre", {"households": ["east"]}, "households"),
        ("cadre", {"households": ["longxi1"]}, "households"),
        ("cadre", {"date": (TODAY + timedelta(days=1)).isoformat()}, "date"),
        ("cadre", {"cadres": ["other_cadre"]}, "cadres"),
        ("cadre", {"kind": "party"}, "kind"),
    ],
)
def test_visit_bad_input_is_400_and_saves_nothing(api_as, world, homes, persona, body, field):
    payload = {"kind": "household", "date": TODAY.isoformat(), "village": world.village_a.pk,
               "households": [homes.wang.pk]}
    payload.update(body)
    if "households" in body:
        payload["households"] = [homes.wang.pk] + [getattr(homes, name).pk for name in body["households"]]
    if "cadres" in body:
        payload["cadres"] = [getattr(world, name).pk for name in body["cadres"]]
    response = api_as(getattr(world, persona)).post("/api/v1/visits/", payload, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Visit.objects.exists()


@pytest.mark.parametrize("persona", ["other_cadre", "town_office", "org_department"])
def test_visit_outside_the_users_teams_is_403_and_saves_nothing(api_as, world, homes, persona):
    payload = {"kind": "household", "date": TODAY.isoformat(), "village": world.village_a.pk,
               "households": [homes.wang.pk]}
    response = api_as(getattr(world, persona)).post("/api/v1/visits/", payload, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "只能登记您所在驻点团队联系的村（社区）的走访。"}
    assert not Visit.objects.exists()
