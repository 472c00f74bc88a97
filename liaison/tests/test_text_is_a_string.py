"""A text the API reads comes as a JSON string, as the schema says: DRF took a number as its
digits (`"explanation": 0.5` became "0.5"), which Schemathesis had to be told to let pass."""

import pytest

from issues.models import Category, Issue


@pytest.fixture
def category(db):
    return Category.objects.get(code="livelihood")


@pytest.mark.parametrize("value", [12, 0.5, 13912345678])
def test_a_number_sent_for_a_text_is_a_400(world, api_as, category, liaison_tuesday, value):
    body = {"title": "自来水浑浊", "description": "二巷自来水发黄已三天。", "category": category.code,
            "source": "phone", "village": world.village_a.pk, "reporter_name": "张国强",
            "reporter_phone": "13987654321"}
    api = api_as(world.cadre)
    for field in ("title", "reporter_phone"):
        response = api.post("/api/v1/issues/", {**body, field: value}, format="json")
        assert response.status_code == 400, response.content[:300]
        assert response.json() == {field: ["不是有效的字符串。"]}
    assert not Issue.objects.exists()
    assert api.post("/api/v1/issues/", body, format="json").status_code == 201


def test_a_form_still_sends_its_numbers_as_text(world, as_user, category, liaison_tuesday):
    from django.urls import reverse

    response = as_user(world.cadre).post(reverse("issue-register"), {
        "village": world.village_a.pk, "category": category.pk, "source": "phone", "title": 110,
        "description": 2026, "reporter_name": "张三", "reporter_phone": 13912345678,
    })
    assert response.status_code == 302 and Issue.objects.get().title == "110"
