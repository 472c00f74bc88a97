"""The household roll's pages: add a household, edit it, record that it moved out. The
village's team, its town office and administrators keep the roll; the others get 404 for what
they cannot see and 403 for what they see but may not change; a refused form keeps what was
typed, shows the service's message in Chinese next to the field, and saves nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import browser_login
from teams import scope
from visits import services
from visits.models import Household, HouseholdTag, Visit
from visits.validators import id_check_digit

from .conftest import TODAY

ALL = ["cadre", "leader", "other_cadre", "town_office", "department", "org_department", "admin"]
KEEPS_VILLAGE_A = {"cadre", "leader", "town_office", "admin"}
SEES_VILLAGE_A = KEEPS_VILLAGE_A | {"org_department"}

PHONE_MESSAGE = "请填写11位手机号码（如 13812345678）或带区号的固定电话（如 0769-22123456）。"
ID_MESSAGE = "请填写18位居民身份证号码；该号码格式不对或末位校验码不符。"
VALID_ID = "44132219700315002" + id_check_digit("44132219700315002")
BAD_CHECK_DIGIT = VALID_ID[:17] + ("0" if VALID_ID[17] != "0" else "1")


def expected_status(persona, ok=200):
    if persona in KEEPS_VILLAGE_A:
        return ok
    return 403 if persona in SEES_VILLAGE_A else 404


def new_household(**changes):
    data = {"head_name": "梁伯", "address": "西区社区新村7号", "phone": "138 1234 5678", "id_number": VALID_ID,
            "members_count": "3", "tags": []}
    data.update(changes)
    return data


def edit_data(household, **changes):
    data = {"head_name": household.head_name, "address": household.address, "phone": household.phone,
            "id_number": household.id_number, "members_count": str(household.members_count),
            "tags": [t.pk for t in household.tags.all()]}
    data.update(changes)
    return data


def snapshot(household):
    household.refresh_from_db()
    return (household.head_name, household.address, household.phone, household.id_number, household.members_count,
            household.is_active, household.moved_out_on, sorted(household.tags.values_list("code", flat=True)))


# Adding a household


def test_cadre_adds_a_household_with_tags(world, homes, as_user):
    client = as_user(world.cadre)
    tags = list(HouseholdTag.objects.filter(code__in=["dibao", "elderly-alone"]))
    response = client.post(reverse("household-new", args=[world.village_a.pk]),
                           new_household(tags=[t.pk for t in tags]))
    household = Household.objects.get(head_name="梁伯")
    assert response.status_code == 302 and response.url == reverse("household-detail", args=[household.pk])
    assert (household.village, household.address, household.phone, household.id_number, household.members_count) == (
        world.village_a, "西区社区新村7号", "13812345678", VALID_ID, 3
    )
    assert set(household.tags.all()) == set(tags)
    assert household.is_active
    detail = client.get(response.url).content.decode()
    assert "梁伯户已登记入花名册。" in detail


def test_the_form_offers_every_tag_including_ones_administrators_added(world, homes, as_user):
    HouseholdTag.objects.create(code="veteran", name="退役军人", priority=50)
    page = as_user(world.cadre).get(reverse("household-new", args=[world.village_a.pk]))
    html = page.content.decode()
    assert set(page.context["form"].fields["tags"].queryset) == set(HouseholdTag.objects.all())
    assert "退役军人" in html and "低保" in html
    assert 'type="tel"' in html


@pytest.mark.parametrize(
    "field, value, message",
    [("phone", "1391234567", PHONE_MESSAGE), ("phone", "020-1234", PHONE_MESSAGE),
     ("id_number", BAD_CHECK_DIGIT, ID_MESSAGE), ("id_number", "44132219701315002X", ID_MESSAGE)],
)
def test_malformed_phone_or_id_is_a_field_error_and_nothing_is_saved(world, homes, as_user, field, value, message):
    before = Household.objects.count()
    response = as_user(world.cadre).post(reverse("household-new", args=[world.village_a.pk]),
                                         new_household(**{field: value}))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {field: [message]}
    html = response.content.decode()
    assert "住户信息未保存，请按下方提示修改。" in html
    assert f'value="{value}"' in html and 'value="梁伯"' in html and 'value="西区社区新村7号"' in html
    assert Household.objects.count() == before


def test_missing_fields_are_reported_in_chinese(world, homes, as_user):
    response = as_user(world.cadre).post(reverse("household-new", args=[world.village_a.pk]),
                                         new_household(head_name="", members_count="0"))
    assert response.context["form"].errors["head_name"] == ["该字段是必填项。"]
    assert "members_count" in response.context["form"].errors
    assert not Household.objects.filter(address="西区社区新村7号").exists()


@pytest.mark.parametrize("persona", ALL)
def test_adding_a_household_per_persona(world, homes, as_user, persona):
    client = as_user(getattr(world, persona))
    url = reverse("household-new", args=[world.village_a.pk])
    before = Household.objects.count()
    assert client.get(url).status_code == expected_status(persona)
    assert client.post(url, new_household()).status_code == expected_status(persona, ok=302)
    assert Household.objects.count() == before + (persona in KEEPS_VILLAGE_A)


def test_other_towns_cadre_keeps_their_own_villages_roll(world, homes, as_user):
    client = as_user(world.other_cadre)
    response = client.post(reverse("household-new", args=[world.village_c.pk]),
                           new_household(address="龙溪村三组2号"))
    assert response.status_code == 302
    assert Household.objects.get(address="龙溪村三组2号").village == world.village_c
    assert client.get(reverse("household-new", args=[world.other_village.pk])).status_code == 404


def test_town_office_keeps_every_village_of_its_town(world, homes, as_user):
    client = as_user(world.town_office)
    assert client.post(reverse("household-new", args=[world.village_b.pk]),
                       new_household(address="东区社区东堤路10号")).status_code == 302
    assert client.get(reverse("household-new", args=[world.village_c.pk])).status_code == 404


def test_anonymous_is_sent_to_log_in_and_nothing_changes(world, homes, client):
    before = snapshot(homes.wang)
    for url, data in ((reverse("household-new", args=[world.village_a.pk]), new_household()),
                      (reverse("household-edit", args=[homes.wang.pk]), edit_data(homes.wang, head_name="改")),
                      (reverse("household-move-out", args=[homes.wang.pk]), {"moved_out_on": TODAY.isoformat()})):
        assert client.get(url).status_code == 302
        assert client.post(url, data).status_code == 302
    assert Household.objects.count() == 7
    assert snapshot(homes.wang) == before


# Editing a household


def test_cadre_edits_a_household(world, homes, as_user):
    client = as_user(world.cadre)
    url = reverse("household-edit", args=[homes.wang.pk])
    form = client.get(url).context["form"]
    assert form.initial["phone"] == "13912345678" and form.initial["id_number"] == "441322195001010025"
    elderly = HouseholdTag.objects.get(code="elderly-alone")
    response = client.post(url, edit_data(homes.wang, address="西区社区建设路16号", phone="0752-6123457",
                                          members_count="2", tags=[elderly.pk]))
    assert response.status_code == 302 and response.url == reverse("household-detail", args=[homes.wang.pk])
    assert snapshot(homes.wang) == ("王秀英", "西区社区建设路16号", "0752-6123457", "441322195001010025", 2, True,
                                    None, ["elderly-alone"])


@pytest.mark.parametrize("field, value, message", [("phone", "139123456789", PHONE_MESSAGE),
                                                   ("id_number", BAD_CHECK_DIGIT, ID_MESSAGE)])
def test_a_refused_edit_keeps_what_was_typed_and_changes_nothing(world, homes, as_user, field, value, message):
    before = snapshot(homes.wang)
    response = as_user(world.cadre).post(
        reverse("household-edit", args=[homes.wang.pk]),
        edit_data(homes.wang, address="西区社区建设路99号", tags=[], **{field: value}),
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    html = response.content.decode()
    assert f'value="{value}"' in html and 'value="西区社区建设路99号"' in html
    assert snapshot(homes.wang) == before


@pytest.mark.parametrize("persona", ALL)
def test_editing_a_household_per_persona(world, homes, as_user, persona):
    client = as_user(getattr(world, persona))
    url = reverse("household-edit", args=[homes.wang.pk])
    before = snapshot(homes.wang)
    assert client.get(url).status_code == expected_status(persona)
    response = client.post(url, edit_data(homes.wang, head_name="王秀英（改）"))
    assert response.status_code == expected_status(persona, ok=302)
    assert (snapshot(homes.wang)[0] == "王秀英（改）") is (persona in KEEPS_VILLAGE_A)
    if persona not in KEEPS_VILLAGE_A:
        assert snapshot(homes.wang) == before


def test_town_office_edits_without_seeing_the_full_numbers(world, homes, as_user):
    """The town office keeps the roll but reads phone and ID numbers masked: the form starts
    them empty, and left empty they stay as they were."""
    client = as_user(world.town_office)
    url = reverse("household-edit", args=[homes.wang.pk])
    html = client.get(url).content.decode()
    assert "13912345678" not in html and "441322195001010025" not in html
    assert 'placeholder="139****5678"' in html and "不填则保留原号码。" in html
    response = client.post(url, edit_data(homes.wang, phone="", id_number="", members_count="4"))
    assert response.status_code == 302
    assert snapshot(homes.wang)[2:5] == ("13912345678", "441322195001010025", 4)
    client.post(url, edit_data(homes.wang, phone="13600001111", id_number=""))
    assert snapshot(homes.wang)[2:4] == ("13600001111", "441322195001010025")


# Moving out


def test_cadre_records_that_a_household_moved_out(world, homes, as_user):
    client = as_user(world.cadre)
    response = client.post(reverse("household-move-out", args=[homes.zhang.pk]),
                           {"moved_out_on": (TODAY - timedelta(days=3)).isoformat()})
    assert response.status_code == 302
    assert snapshot(homes.zhang)[5:7] == (False, TODAY - timedelta(days=3))
    detail = client.get(response.url).content.decode()
    assert "已登记该户迁出。" in detail and "已于 2026-11-21 迁出" in detail
    assert 'action="' + reverse("household-move-out", args=[homes.zhang.pk]) not in detail
    listing = client.get(reverse("household-list", args=[world.village_a.pk])).context["page"]
    assert homes.zhang not in list(listing)


def test_moving_out_today_is_allowed_and_tomorrow_is_a_field_error(world, homes, as_user):
    client = as_user(world.cadre)
    url = reverse("household-move-out", args=[homes.chen.pk])
    before = snapshot(homes.chen)
    response = client.post(url, {"moved_out_on": (TODAY + timedelta(days=1)).isoformat()})
    assert response.status_code == 200
    form = response.context["move_out_form"]
    assert form.errors == {"moved_out_on": ["迁出日期不能晚于今天。"]}
    html = response.content.decode()
    assert '<details class="move-out" open>' in html and 'value="2026-11-25"' in html
    assert snapshot(homes.chen) == before
    assert client.post(url, {"moved_out_on": TODAY.isoformat()}).status_code == 302
    assert snapshot(homes.chen)[5:7] == (False, TODAY)


def test_moving_out_needs_a_date(world, homes, as_user):
    response = as_user(world.cadre).post(reverse("household-move-out", args=[homes.chen.pk]), {"moved_out_on": ""})
    assert response.context["move_out_form"].errors == {"moved_out_on": ["该字段是必填项。"]}
    assert snapshot(homes.chen)[5] is True


def test_a_household_moves_out_once(world, homes, as_user):
    client = as_user(world.cadre)
    url = reverse("household-move-out", args=[homes.li.pk])
    client.post(url, {"moved_out_on": (TODAY - timedelta(days=5)).isoformat()})
    response = client.post(url, {"moved_out_on": TODAY.isoformat()}, follow=True)
    assert "该户已迁出。" in response.content.decode()
    assert snapshot(homes.li)[5:7] == (False, TODAY - timedelta(days=5))


def test_moving_out_is_post_only(world, homes, as_user):
    assert as_user(world.cadre).get(reverse("household-move-out", args=[homes.li.pk])).status_code == 405
    assert snapshot(homes.li)[5] is True


@pytest.mark.parametrize("persona", ALL)
def test_moving_out_per_persona(world, homes, as_user, persona):
    response = as_user(getattr(world, persona)).post(reverse("household-move-out", args=[homes.wang.pk]),
                                                     {"moved_out_on": TODAY.isoformat()})
    assert response.status_code == expected_status(persona, ok=302)
    assert snapshot(homes.wang)[5] is (persona not in KEEPS_VILLAGE_A)


# Links


@pytest.mark.parametrize("persona", sorted(SEES_VILLAGE_A))
def test_links_only_for_those_who_keep_the_roll(world, homes, as_user, persona):
    user = getattr(world, persona)
    client = as_user(user)
    keeps = persona in KEEPS_VILLAGE_A
    assert scope.can_change(user, homes.wang) is keeps
    listing = client.get(reverse("household-list", args=[world.village_a.pk])).content.decode()
    assert (reverse("household-new", args=[world.village_a.pk]) in listing) is keeps
    detail = client.get(reverse("household-detail", args=[homes.wang.pk])).content.decode()
    assert (reverse("household-edit", args=[homes.wang.pk]) in detail) is keeps
    assert (reverse("household-move-out", args=[homes.wang.pk]) in detail) is keeps


# Query counts


def test_form_and_detail_pages_query_counts_are_constant(world, homes, as_user, django_assert_max_num_queries):
    for i in range(5):
        HouseholdTag.objects.create(code=f"extra-{i}", name=f"标签{i}", priority=40 + i)
    homes.wang.tags.set(HouseholdTag.objects.all())
    for days_ago in range(4):
        services.log_visit(by=world.cadre, kind=Visit.Kind.HOUSEHOLD, date=TODAY - timedelta(days=days_ago),
                           village=world.village_a, cadres=[world.cadre, world.leader], households=[homes.wang])
    client = as_user(world.cadre)
    # session, user, scope (2), village, tags, the base's notifications
    with django_assert_max_num_queries(7):
        assert client.get(reverse("household-new", args=[world.village_a.pk])).status_code == 200
    # session, user, scope (2), household, can_change, its tags, all tags, the base's notifications
    with django_assert_max_num_queries(9):
        assert client.get(reverse("household-edit", args=[homes.wang.pk])).status_code == 200
    # session, user, scope (2), household, can_change, count and page of visits, the page's cadres, tags,
    # the base's notifications
    with django_assert_max_num_queries(11):
        assert client.get(reverse("household-detail", args=[homes.wang.pk])).status_code == 200


# On a phone


@pytest.mark.browser
def test_cadre_adds_a_household_on_a_phone(tworld, phone_page, screenshot_dir):
    page = phone_page
    # A transactional test may find the migration's tags flushed by an earlier one.
    HouseholdTag.objects.get_or_create(code="dibao", defaults={"name": "低保", "priority": 1})
    browser_login(page, "cadre")
    page.goto(f"{page.base_url}{reverse('household-list', args=[tworld.village_a.pk])}")
    page.click("text=新增住户")
    page.fill("#id_head_name", "梁伯")
    page.fill("#id_address", "西区社区新村7号")
    page.fill("#id_phone", "1381234567")
    page.fill("#id_id_number", BAD_CHECK_DIGIT)
    page.check("label.choice:has-text('低保') input")
    page.screenshot(path=screenshot_dir / "household-1-form.png", full_page=True)
    page.click("button[type=submit].primary")
    page.wait_for_selector(".errorlist")
    page.screenshot(path=screenshot_dir / "household-2-refused.png", full_page=True)
    assert PHONE_MESSAGE in page.inner_text("#household-form") and ID_MESSAGE in page.inner_text("#household-form")
    assert page.input_value("#id_head_name") == "梁伯"
    assert not Household.objects.exists()
    page.fill("#id_phone", "13812345678")
    page.fill("#id_id_number", VALID_ID)
    page.click("button[type=submit].primary")
    page.wait_for_selector(".messages .success")
    page.screenshot(path=screenshot_dir / "household-3-added.png", full_page=True)
    household = Household.objects.get()
    assert [t.code for t in household.tags.all()] == ["dibao"]

    today = timezone.localdate()
    page.click("summary:has-text('登记迁出')")
    page.fill("#id_moved_out_on", (today + timedelta(days=1)).isoformat())
    page.click("text=确认迁出")
    page.wait_for_selector(".move-out .errorlist")
    page.screenshot(path=screenshot_dir / "household-4-move-out-refused.png", full_page=True)
    assert "迁出日期不能晚于今天。" in page.inner_text(".move-out")
    page.fill("#id_moved_out_on", today.isoformat())
    page.click("text=确认迁出")
    page.wait_for_selector(".messages .success")
    household.refresh_from_db()
    assert (household.is_active, household.moved_out_on) == (False, today)
