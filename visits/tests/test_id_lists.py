"""Lists of ids a request sends are bounded (core.listing.MAX_IDS), checked before anything is
queried, and a refusal names at most ten of the ids it refuses: an answer never echoes back
what a request stuffed into it (up to 848 KB of refused ids were echoed)."""

import pytest

from core.listing import MAX_IDS, some
from visits.models import Visit

from .conftest import TODAY

MANY = 10**6


def payload(world, **fields):
    return {"kind": "forum", "date": TODAY.isoformat(), "village": world.village_a.pk, **fields}


@pytest.mark.parametrize("field", ["cadres", "households"])
def test_unknown_ids_are_named_ten_at_most(api_as, world, field):
    unknown = list(range(MANY, MANY + MAX_IDS))
    response = api_as(world.cadre).post("/api/v1/visits/", payload(world, **{field: unknown}), format="json")
    assert response.status_code == 400
    message, = response.json()[field]
    assert message.endswith(f"{MANY + 9} 及其他 {MAX_IDS - 10} 个。"), message
    assert str(MANY + 10) not in message and len(response.content) < 500
    assert not Visit.objects.exists()


@pytest.mark.parametrize("items", [list(range(MANY, MANY + MAX_IDS + 1)), ["x"] * 100_000])
def test_a_list_longer_than_the_bound_is_refused_before_any_query(api_as, world, items, django_assert_max_num_queries):
    api = api_as(world.cadre)
    with django_assert_max_num_queries(0):
        response = api.post("/api/v1/visits/", payload(world, cadres=items), format="json")
    assert response.status_code == 400
    assert response.json() == {"cadres": [f"该字段不能超过 {MAX_IDS} 个元素。"]}


def test_an_attendance_sheet_longer_than_the_bound_is_refused_in_one_message(api_as, world, today_day):
    entries = [{"member": MANY + i, "status": "present"} for i in range(MAX_IDS + 1)]
    response = api_as(world.leader).post(f"/api/v1/liaison-days/{today_day.pk}/attendance/", entries, format="json")
    assert response.status_code == 400 and len(response.content) < 500, response.content[:300]


def test_an_attendance_refusal_in_the_bound_names_each_entry_once(api_as, world, today_day):
    entries = [{"member": MANY + i, "status": "present"} for i in range(MAX_IDS)]
    response = api_as(world.leader).post(f"/api/v1/liaison-days/{today_day.pk}/attendance/", entries, format="json")
    assert response.status_code == 400 and len(response.content) < 100 * MAX_IDS


def test_some_names_ten_then_how_many_more():
    assert some(range(3)) == "0、1、2"
    assert some(range(10)) == "0、1、2、3、4、5、6、7、8、9"
    assert some(range(25), ", ") == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 及其他 15 个"
