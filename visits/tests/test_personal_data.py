"""A household's full phone and ID number reach only the village's own team and administrators:
searching by the phone's digits cannot recover a number the user sees masked, and the admin
shows it masked to other staff."""

import pytest
from django.contrib.auth.models import Permission

from visits.models import Household

FULL = {"cadre", "admin"}
MASKED = ["town_office", "org_department"]


def _search_hits(world, as_user, persona, text):
    """The household ids each of the three searches finds in 西区社区 for `text`."""
    client = as_user(getattr(world, persona))
    village = world.village_a.pk
    picker = client.get("/visits/households/search/", {"village": village, "q": text}).json()["results"]
    page = client.get(f"/visits/villages/{village}/households/", {"q": text}).context["page"]
    api = client.get("/api/v1/households/", {"village": village, "q": text}).json()["results"]
    return {h["id"] for h in picker}, {h.pk for h in page}, {h["id"] for h in api}


@pytest.mark.parametrize("persona", MASKED + sorted(FULL))
@pytest.mark.parametrize("text", ["45678", "345678", "12345678", "13912345678"])
def test_a_longer_phone_suffix_matches_only_for_who_sees_the_number(world, homes, as_user, persona, text):
    expected = {homes.wang.pk} if persona in FULL else set()
    assert _search_hits(world, as_user, persona, text) == (expected, expected, expected)


@pytest.mark.parametrize("persona", MASKED + sorted(FULL))
def test_the_four_digits_the_mask_shows_match_for_everyone(world, homes, as_user, persona):
    assert _search_hits(world, as_user, persona, "5678") == ({homes.wang.pk},) * 3


def test_the_masked_number_cannot_be_recovered_digit_by_digit(world, homes, as_user):
    client = as_user(world.town_office)
    for digit in "0123456789":
        results = client.get("/visits/households/search/", {"village": world.village_a.pk, "q": f"{digit}5678"})
        assert results.json()["results"] == []


def test_search_across_villages_keeps_each_villages_rule(world, homes, api_as):
    """The API lists the town office's two villages at once: the last four digits match in
    both, a longer suffix in neither; administrators match any suffix anywhere."""
    town = api_as(world.town_office)
    assert {h["id"] for h in town.get("/api/v1/households/", {"q": "2222"}).json()["results"]} == {homes.east.pk}
    assert town.get("/api/v1/households/", {"q": "12222"}).json()["count"] == 0
    admin = api_as(world.admin)
    assert {h["id"] for h in admin.get("/api/v1/households/", {"q": "12222"}).json()["results"]} == {homes.east.pk}


def _staff(user, *codenames):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="visits", codename__in=codenames))
    return user


@pytest.mark.parametrize("codenames", [("view_household",), ("view_household", "change_household")])
@pytest.mark.parametrize("persona", ["town_office", "org_department"])
def test_admin_masks_phone_and_id_for_staff_outside_the_team(world, homes, as_user, persona, codenames):
    client = as_user(_staff(getattr(world, persona), *codenames))
    response = client.get(f"/admin/visits/household/{homes.wang.pk}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "13912345678" not in html and "441322195001010025" not in html
    assert homes.wang.masked_phone in html and homes.wang.masked_id_number in html
    assert 'name="phone"' not in html and 'name="id_number"' not in html


def test_admin_town_office_saves_without_touching_the_hidden_numbers(world, homes, as_user):
    client = as_user(_staff(world.town_office, "view_household", "change_household"))
    response = client.post(f"/admin/visits/household/{homes.wang.pk}/change/", {
        "village": world.village_a.pk, "head_name": "王秀英", "address": "西区社区建设路16号", "members_count": 2,
        "tags": [t.pk for t in homes.wang.tags.all()],
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    homes.wang.refresh_from_db()
    assert (homes.wang.address, homes.wang.phone, homes.wang.id_number) == (
        "西区社区建设路16号", "13912345678", "441322195001010025")


@pytest.mark.parametrize("persona", ["admin", "cadre"])
def test_admin_shows_the_full_numbers_to_the_team_and_administrators(world, homes, as_user, persona):
    user = getattr(world, persona)
    client = as_user(_staff(user, "view_household", "change_household") if persona == "cadre" else user)
    html = client.get(f"/admin/visits/household/{homes.wang.pk}/change/").content.decode()
    assert 'name="phone"' in html and 'value="13912345678"' in html
    assert 'value="441322195001010025"' in html


def test_admin_list_shows_masked_phones(world, homes, as_user):
    html = as_user(_staff(world.town_office, "view_household")).get("/admin/visits/household/").content.decode()
    assert homes.wang.masked_phone in html and "13912345678" not in html


def test_admin_refuses_a_household_outside_the_town_office_with_403(world, homes, as_user):
    before = Household.objects.count()
    client = as_user(_staff(world.town_office, "view_household", "add_household"))
    response = client.post("/admin/visits/household/add/", {
        "village": world.village_c.pk, "head_name": "梁伯", "address": "龙溪村三组1号", "phone": "",
        "id_number": "", "members_count": 1,
    })
    assert response.status_code == 403
    assert Household.objects.count() == before
    assert client.get("/admin/visits/household/add/").status_code == 200
