"""Odd characters in query strings and URLs (a superscript digit, NUL) get a page or a 404,
never a server error."""

import pytest


@pytest.mark.parametrize("query", ["town=²", "town=٣", "town=99999999999999999999", "q=%00", "q=a%00b&town=1"])
def test_the_village_index_survives_odd_queries(world, client, query):
    response = client.get(f"/public/?{query}")
    assert response.status_code == 200


def test_a_nul_in_the_search_is_dropped(world, client):
    response = client.get("/public/?q=%E8%A5%BF%00%E5%8C%BA")
    assert response.status_code == 200 and response.context["query"] == "西区"


@pytest.mark.parametrize("path", ["/issues/A%00B/", "/issues/A%00B/receipt/", "/issues/%C2%B2/"])
def test_odd_tracking_codes_in_pages_are_not_found(world, as_user, path):
    assert as_user(world.cadre).get(path).status_code == 404


def test_an_odd_tracking_code_in_an_action_is_not_found(world, as_user):
    response = as_user(world.cadre).post("/issues/A%00B/progress/", {"note": "已联系"})
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/issues/A%00B/", "/api/v1/issues/A%00B/progress/"])
def test_odd_tracking_codes_in_the_api_are_not_found(world, api_as, path):
    api = api_as(world.cadre)
    response = api.post(path, {"note": "已联系"}, format="json") if "progress" in path else api.get(path)
    assert response.status_code == 404
