"""Odd input never gets a 500: digits that are not ASCII ("²", "١"), numbers beyond any id or
page, and NUL bytes in free text are answered 200, 400 or 404."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from teams.models import Membership, Role, User
from visits import services
from visits.models import Household, Visit

from .conftest import TODAY

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
    assert not response.context["page"].has_previous


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



# Free text past its bound, on the pages: the service's message next to the field, as typed.
@pytest.mark.parametrize("field,message", [
    ("head_name", "户主姓名不能超过 40 个字。"), ("address", "住址不能超过 120 个字。"),
])
def test_household_fields_past_their_bound(world, as_user, field, message):
    data = {"head_name": "梁伯", "address": "西区社区新村7号", "members_count": 3, field: "长" * 121}
    response = as_user(world.cadre).post(reverse("household-new", args=[world.village_a.pk]), data)
    assert response.status_code in (200, 400)
    assert response.context["form"].errors[field] == [message]
    assert response.context["form"][field].value() == "长" * 121
    assert not Household.objects.filter(village=world.village_a).exists()


def test_visit_notes_past_their_bound(world, homes, today_day, as_user):
    data = {"kind": "household", "date": "2026-11-24", "village": world.village_a.pk, "households": [homes.wang.pk],
            "cadres": [world.cadre.pk], "notes": "长" * 2001}
    response = as_user(world.cadre).post("/visits/new/", data)
    assert response.status_code in (200, 400)
    assert "走访记录不能超过 2000 个字。" in response.content.decode()
    assert not Visit.objects.exists()
    assert as_user(world.cadre).post("/visits/new/", {**data, "notes": "长" * 2000}).status_code == 302


# Names of people the user may not see are never given back, whatever ids are sent.
@pytest.fixture
def stranger(world):
    user = User.objects.create_user(username="stranger", name="欧阳外县", password="x")
    Membership.objects.create(team=world.other_team, user=user, role=Role.TOWN_CADRE, start_date=date(2025, 1, 1))
    return user


def test_the_visit_api_does_not_name_cadres_of_another_county(world, homes, liaison_tuesday, api_as, stranger):
    api = api_as(world.cadre)
    answers = []
    for cadre in (stranger.pk, 999_999_999):
        body = {"kind": "forum", "date": "2026-11-24", "village": world.village_a.pk, "cadres": [world.cadre.pk, cadre]}
        response = api.post("/api/v1/visits/", body, format="json")
        assert response.status_code == 400
        answers.append(response.content.decode().replace(str(cadre), "ID"))
    assert "欧阳外县" not in answers[0]
    # Someone out of sight and nobody at all get the same answer.
    assert answers[0] == answers[1]
    assert not Visit.objects.exists()


def test_log_visit_names_only_people_the_user_may_see(world, homes, liaison_tuesday, stranger):
    with pytest.raises(ValidationError) as refused:
        services.log_visit(by=world.cadre, kind=Visit.Kind.FORUM, date=TODAY, village=world.village_a,
                           cadres=[world.cadre, stranger, world.other_cadre, world.admin])
    message, = refused.value.message_dict["cadres"]
    assert "欧阳外县" not in message and "刘伟强" not in message and "系统管理员" not in message
    assert all(str(user.pk) in message for user in (stranger, world.other_cadre, world.admin))
    # People the user sees are named.
    world.leader.memberships.update(end_date=date(2025, 6, 30))
    with pytest.raises(ValidationError) as refused:
        services.log_visit(by=world.cadre, kind=Visit.Kind.FORUM, date=TODAY, village=world.village_a,
                           cadres=[world.cadre, world.leader])
    assert "陈建华" in refused.value.message_dict["cadres"][0]


@pytest.mark.parametrize("url, body", [
    ("/api/v1/households/", {"village": 0, "head_name": "王", "address": "一组", "tags": ["dibao\x00"]}),
    ("/api/v1/issues/", {"title": "路灯", "description": "坏了", "category": "road\x00", "source": "visit",
                         "village": 0, "reporter_name": "王", "reporter_phone": "13912345678"}),
])
def test_a_code_with_a_nul_is_a_400_in_chinese_not_a_database_error(world, api_as, url, body):
    body = {**body, "village": world.village_a.pk}
    response = api_as(world.leader).post(url, body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400, response.content
    assert "空字符" in response.content.decode()
