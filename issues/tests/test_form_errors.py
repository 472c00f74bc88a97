"""Every mistake on the register form shows at once, beside its field: the required fields
with the bounds, the phone and the photos, not one round after another. A cadre of one village
finds it chosen."""

import re
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from issues import services
from issues.models import Issue
from teams.models import Membership, Role


def chosen(html):
    """The values of the village list's selected options."""
    select = re.search(r'<select name="village".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="([^"]*)" selected>', select)


def test_the_register_form_shows_every_error_at_once(world, as_user, category, monday_before):
    response = as_user(world.cadre).post(reverse("issue-register"), {
        "village": world.village_a.pk, "category": category.pk, "source": "phone",
        "title": "", "description": "夜" * (services.DESCRIPTION.chars + 1), "reporter_name": "",
        "reporter_phone": "没有电话", "photos": SimpleUploadedFile("a.exe", b"MZ"),
        "received_at": "2026-12-01T09:00",
    })
    errors = response.context["form"].errors
    assert set(errors) == {"title", "description", "reporter_name", "reporter_phone", "photos", "received_at"}
    assert errors["received_at"] == ["受理时间不能晚于现在。"]
    assert "2000" in errors["description"][0]
    assert "请填写11位手机号码" in errors["reporter_phone"][0]
    assert "a.exe" in errors["photos"][0]
    assert not Issue.objects.exists()


def test_a_spaced_phone_is_taken_as_the_service_takes_it(world, as_user, category, monday_before):
    response = as_user(world.cadre).post(reverse("issue-register"), {
        "village": world.village_a.pk, "category": category.pk, "source": "phone", "title": "噪音扰民",
        "description": "夜间施工", "reporter_name": "张三", "reporter_phone": "139 1234 5678",
    })
    assert response.status_code == 302 and Issue.objects.get().reporter_phone == "13912345678"


def test_the_forms_do_not_stop_at_the_browsers_first_empty_field(world, as_user):
    """The browser's own check would name one empty field at a time: the server names them all."""
    html = as_user(world.cadre).get(reverse("issue-register")).content.decode()
    assert re.search(r'<form method="post"[^>]* novalidate>', html)


def test_a_cadre_of_one_village_finds_it_chosen(world, as_user, monday_before):
    html = as_user(world.cadre).get(reverse("issue-register")).content.decode()
    assert chosen(html) == [str(world.village_a.pk)]
    # A town office's several villages: its choice.
    html = as_user(world.town_office).get(reverse("issue-register")).content.decode()
    assert chosen(html) == [""]
    # A cadre of two teams chooses too.
    Membership.objects.create(team=world.team_b, user=world.cadre, role=Role.TOWN_CADRE, start_date=date(2026, 1, 1))
    html = as_user(world.cadre).get(reverse("issue-register")).content.decode()
    assert chosen(html) == [""]


def test_a_time_received_at_the_calendars_edge_is_refused_with_the_forms_words(world, as_user, category, monday_before):
    response = as_user(world.cadre).post(reverse("issue-register"), {
        "village": world.village_a.pk, "category": category.pk, "source": "phone", "title": "噪音扰民",
        "description": "夜间施工", "reporter_name": "张三", "reporter_phone": "13912345678",
        "received_at": "0001-01-01T00:00",
    })
    assert response.status_code == 200
    assert response.context["form"].errors["received_at"] == ["受理时间不能早于一年前。"]
    assert not Issue.objects.exists()
