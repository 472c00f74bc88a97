"""Odd input never gets a 500: digits that are not ASCII ("²", "١"), numbers beyond any id or
page, and NUL bytes in free text are answered 200, 400 or 404."""

import pytest

ODD_NUMBERS = ["²", "١٢", "１２", "99999999999999999999", "-1", "1e9", ""]


def _ok(response):
    assert response.status_code in (200, 302, 400, 404), (response.request, response.status_code)


@pytest.mark.parametrize("persona", ["cadre", "town_office", "org_department", "admin"])
@pytest.mark.parametrize("value", ODD_NUMBERS)
def test_odd_numbers_in_page_query_strings(world, homes, as_user, persona, value):
    client = as_user(getattr(world, persona))
    for path, name in (
        ("/visits/diary/", "team"), ("/visits/diary/", "village"), ("/visits/diary/", "page"),
        ("/visits/households/search/", "village"), ("/visits/new/", "village"), ("/visits/new/", "household"),
        (f"/visits/villages/{world.village_a.pk}/households/", "page"),
        (f"/visits/households/{homes.wang.pk}/", "page"),
        (f"/visits/villages/{world.village_a.pk}/coverage/", "page"),
    ):
        _ok(client.get(path, {name: value, "q": "a"}))


@pytest.mark.parametrize("value", ODD_NUMBERS)
def test_odd_numbers_in_posted_forms(world, homes, today_day, as_user, value):
    client = as_user(world.cadre)
    _ok(client.post("/days/check-in/", {"team": value}))
    _ok(client.post("/visits/new/", {"village": value, "households": [value], "kind": "household"}))
    _ok(client.post("/visits/new/", {"village": value, "find": "1", "find_text": "王"}))
    _ok(client.post("/visits/new/", {"village": world.village_a.pk, "households": [value, homes.wang.pk],
                                     "find": "1", "find_text": "王"}))


@pytest.mark.parametrize("text", ["\x00", "王\x00", "\x005678", "%00"])
def test_nul_bytes_in_search_text(world, homes, as_user, api_as, text):
    client = as_user(world.cadre)
    village = world.village_a.pk
    _ok(client.get("/visits/households/search/", {"village": village, "q": text}))
    _ok(client.get(f"/visits/villages/{village}/households/", {"q": text}))
    _ok(client.post("/visits/new/", {"village": village, "find": "1", "find_text": text}))
    _ok(api_as(world.cadre).get("/api/v1/households/", {"q": text}))


def test_nul_bytes_are_ignored_by_the_picker(world, homes, as_user):
    results = as_user(world.cadre).get(
        "/visits/households/search/", {"village": world.village_a.pk, "q": "王秀\x00英"}
    ).json()["results"]
    assert [h["id"] for h in results] == [homes.wang.pk]


@pytest.mark.parametrize("value", ODD_NUMBERS + ["\x00"])
def test_odd_values_in_api_filters(world, homes, api_as, value):
    api = api_as(world.cadre)
    for path, names in (
        ("/api/v1/households/", ("village", "tag", "page", "is_active", "not_visited")),
        ("/api/v1/liaison-days/", ("team", "page", "date_after")),
        ("/api/v1/visits/", ("village", "team", "cadre", "household", "page", "date_before")),
    ):
        for name in names:
            _ok(api.get(path, {name: value}))


def test_an_absurd_page_number_shows_the_first_page(world, as_user):
    response = as_user(world.cadre).get("/visits/diary/", {"page": "99999999999999999999"})
    assert response.status_code == 200
    assert response.context["page"].number == 1


@pytest.mark.parametrize("huge", [2**63, 10**30])
def test_huge_ids_in_api_writes(world, homes, today_day, api_as, huge):
    api = api_as(world.cadre)
    visit = {"kind": "household", "date": "2026-11-24", "village": world.village_a.pk, "households": [homes.wang.pk]}
    for body in ({**visit, "village": huge}, {**visit, "households": [huge]}, {**visit, "cadres": [huge]}):
        assert api.post("/api/v1/visits/", body, format="json").status_code == 400
    household = {"village": huge, "head_name": "梁伯", "address": "新村7号"}
    assert api.post("/api/v1/households/", household, format="json").status_code == 400
    attendance = [{"member": huge, "status": "present"}]
    assert api.post(f"/api/v1/liaison-days/{today_day.pk}/attendance/", attendance, format="json").status_code == 400
