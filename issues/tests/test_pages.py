"""The ledger's pages: register (from a visit or on its own), receipt, list, detail, actions,
queues, notifications; with pinned query counts."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from issues import services
from issues.models import Issue, Notification
from issues.tests.conftest import image_bytes, reload


def test_register_from_a_visit_prefills_and_clears_follow_up(world, visit, as_user, category, monday_before):
    client = as_user(world.cadre)
    page = client.get(reverse("issue-register") + f"?visit={visit.pk}")
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["reporter_name"] == "王秀英" and form.initial["source"] == "visit"
    assert form.initial["village"] == world.village_a.pk and form.initial["reporter_phone"] == "13912345678"
    response = client.post(reverse("issue-register") + f"?visit={visit.pk}", {
        "village": world.village_a.pk, "category": category.pk, "source": "visit", "title": "巷口路灯不亮",
        "description": "王阿姨反映巷口路灯坏了两周。", "reporter_name": "王秀英", "reporter_phone": "13912345678",
        "visit": visit.pk,
    })
    issue = Issue.objects.get()
    assert response.status_code == 302 and response.url == reverse("issue-receipt", args=[issue.code])
    assert (issue.visit_id, issue.household.head_name, issue.first_responder_id) == (visit.pk, "王秀英", world.cadre.pk)
    visit.refresh_from_db()
    assert visit.needs_follow_up is False
    receipt = client.get(response.url)
    assert issue.display_code in receipt.content.decode()


def test_register_refuses_future_and_bad_input_without_writing(world, as_user, category, monday_before):
    client = as_user(world.cadre)
    response = client.post(reverse("issue-register"), {
        "village": world.village_a.pk, "category": category.pk, "source": "phone", "title": "噪音扰民",
        "description": "夜间施工", "reporter_name": "张三", "reporter_phone": "13900000000",
        "received_at": "2026-11-17T09:00",
    })
    assert response.status_code == 200
    assert response.context["form"].errors["received_at"] == ["受理时间不能晚于现在。"]
    assert not Issue.objects.exists()


@pytest.mark.parametrize("field,value,message", [
    ("received_at", "1900-01-01T09:00", "受理时间不能早于一年前。"),
    ("reporter_phone", "没有电话", "请填写11位手机号码"),
])
def test_register_refuses_old_dates_and_malformed_phones(
        world, as_user, category, monday_before, field, value, message):
    data = {
        "village": world.village_a.pk, "category": category.pk, "source": "phone", "title": "噪音扰民",
        "description": "夜间施工", "reporter_name": "张三", "reporter_phone": "13900000000",
    }
    response = as_user(world.cadre).post(reverse("issue-register"), {**data, field: value})
    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assert not Issue.objects.exists()


def test_register_for_an_outside_village_is_not_offered(world, as_user, category, monday_before):
    client = as_user(world.cadre)
    response = client.post(reverse("issue-register"), {
        "village": world.village_c.pk, "category": category.pk, "source": "phone", "title": "噪音扰民",
        "description": "夜间施工", "reporter_name": "张三", "reporter_phone": "13900000000",
    })
    assert response.status_code == 200 and "village" in response.context["form"].errors
    assert not Issue.objects.exists()


def test_an_administrator_finds_the_village_under_its_town_and_keeps_it_on_a_refusal(
        world, as_user, category, monday_before):
    client = as_user(world.admin)
    html = client.get(reverse("issue-register")).content.decode()
    groups = dict(re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', html, re.S))
    assert world.village_a.name in groups[world.town1.name] and world.village_c.name in groups[world.town2.name]
    assert world.village_c.name not in groups[world.town1.name]
    response = client.post(reverse("issue-register"), {
        "village": world.village_c.pk, "category": category.pk, "source": "phone", "title": "噪音扰民",
        "description": "夜间施工", "reporter_name": "张三", "reporter_phone": "没有电话",
    })
    assert "reporter_phone" in response.context["form"].errors and not Issue.objects.exists()
    assert f'<option value="{world.village_c.pk}" selected>{world.village_c.name}</option>' in response.content.decode()
    # A cadre's villages, all in one town, are a plain list.
    assert "<optgroup" not in as_user(world.cadre).get(reverse("issue-register")).content.decode()


@pytest.mark.parametrize("persona", ["department", "org_department"])
def test_register_page_is_for_cadres_and_town_offices(world, as_user, persona):
    assert as_user(getattr(world, persona)).get(reverse("issue-register")).status_code == 403


def test_ledger_lists_filters_and_marks_overdue(world, register, as_user, monday_before, django_assert_max_num_queries):
    mine = register(world, title="我登记的")
    register(world, by=world.leader, title="组长登记的")
    register(world, by=world.other_cadre, village=world.village_c, title="龙溪村的")
    monday_before.shift(10 * 24 * 3600)
    client = as_user(world.cadre)
    # session, user, scope (memberships, positions), count, notices, categories, villages, page,
    # the holiday calendar (due within a working day), the page's reopened issues, the page's current
    # steps with their handlers
    with django_assert_max_num_queries(12):
        page = client.get(reverse("issue-list"))
    html = page.content.decode()
    assert "我登记的" in html and "组长登记的" in html and "龙溪村的" not in html
    assert html.count("is-overdue") == 2
    with django_assert_max_num_queries(12):
        page = client.get(reverse("issue-list"), {"mine": "true"})
    assert [i.pk for i in page.context["page"]] == [mine.pk]
    page = client.get(reverse("issue-list"), {"status": "resolved"})
    assert list(page.context["page"]) == []


def test_ledger_query_count_does_not_grow(world, register, as_user, monday_before, django_assert_max_num_queries):
    for n in range(30):
        register(world, title=f"问题{n}")
    client = as_user(world.town_office)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("issue-list"), {"town": world.town1.pk, "overdue": "false"})
    assert page.context["page"].count == 30


def test_detail_shows_only_the_actions_the_user_may_take(world, register, as_user, monday_before,
                                                         django_assert_max_num_queries):
    issue = register(world)
    client = as_user(world.cadre)
    # session+user, scope x2, issue, steps, events, photos, notices, departments, members
    with django_assert_max_num_queries(12):
        page = client.get(reverse("issue-detail", args=[issue.code]))
    assert list(page.context["action_forms"]) == ["progress", "escalate", "resolve", "explain", "handover"]
    page = as_user(world.lawyer).get(reverse("issue-detail", args=[issue.code]))
    assert list(page.context["action_forms"]) == ["progress", "resolve", "explain"]
    page = as_user(world.town_office).get(reverse("issue-detail", args=[issue.code]))
    assert list(page.context["action_forms"]) == ["handover"]
    page = as_user(world.org_department).get(reverse("issue-detail", args=[issue.code]))
    assert page.status_code == 200 and list(page.context["action_forms"]) == []


def test_escalate_without_reason_is_refused_in_the_users_language(world, register, as_user, monday_before):
    issue = register(world)
    response = as_user(world.cadre).post(reverse("issue-action", args=[issue.code, "escalate"]), {"reason": " "})
    assert response.status_code == 400
    assert "请填写上报理由" in response.content.decode()
    assert reload(issue).level == "village" and issue.events.count() == 1


def test_the_escalate_form_says_the_reason_is_public_and_keeps_an_internal_note(
        world, register, as_user, monday_before):
    issue = register(world)
    client = as_user(world.leader)
    form = client.get(reverse("issue-detail", args=[issue.code])).context["action_forms"]["escalate"]
    assert str(form["reason"].label) == "上报理由（群众可见）" and str(form["internal_note"].label) == "内部备注"
    response = client.post(reverse("issue-action", args=[issue.code, "escalate"]), {
        "reason": "需镇街协调照明维修", "internal_note": "村委会已垫付部分费用",
    })
    assert response.status_code == 302
    event = issue.events.get(kind="escalated_town")
    assert (event.public_note, event.internal_note) == ("需镇街协调照明维修", "村委会已垫付部分费用")


def test_action_of_another_level_is_forbidden(world, at_town, as_user):
    # The team's lawyer never could escalate it, at the village or at the town.
    response = as_user(world.lawyer).post(
        reverse("issue-action", args=[at_town.code, "escalate"]), {"reason": "需住建局", "department": world.dept2.pk}
    )
    assert response.status_code == 403
    # The cadre could, before it went up: the issue moved on, which is what the cadre is told.
    response = as_user(world.cadre).post(
        reverse("issue-action", args=[at_town.code, "resolve"]), {"result": "好了"}, follow=True
    )
    assert "该问题在您打开后已被他人处理，现由罗阳街道办理，请刷新后查看。" in response.content.decode()
    assert reload(at_town).status == "open"


def test_town_office_calls_in_a_department_from_its_queue(world, at_town, as_user, django_assert_max_num_queries):
    client = as_user(world.town_office)
    # session, user, scope x2, notices, count, page, the holiday calendar, the page's reopened issues,
    # the page's current steps
    with django_assert_max_num_queries(11):
        queue = client.get(reverse("issue-town-queue"))
    assert [i.pk for i in queue.context["page"]] == [at_town.pk]
    response = client.post(reverse("issue-action", args=[at_town.code, "escalate"]), {"reason": "需住建局"})
    assert response.status_code == 400 and "department" in response.context["action_forms"]["escalate"].errors
    url = reverse("issue-action", args=[at_town.code, "escalate"])
    response = client.post(url, {"reason": "需信访局协调", "department": world.dept1.pk})
    assert response.status_code == 302
    client = as_user(world.department)
    # session, user, scope x2, notices, count, page, the holiday calendar, the page's reopened issues,
    # the page's current steps
    with django_assert_max_num_queries(10):
        queue = client.get(reverse("issue-department-queue"))
    assert [i.pk for i in queue.context["page"]] == [at_town.pk]


@pytest.mark.parametrize("persona,page", [
    ("cadre", "issue-town-queue"), ("cadre", "issue-department-queue"), ("town_office", "issue-department-queue"),
])
def test_queues_are_for_their_offices(world, as_user, persona, page):
    assert as_user(getattr(world, persona)).get(reverse(page)).status_code == 403


def test_notifications_in_the_header_and_opening_marks_read(world, at_county, as_user, django_assert_max_num_queries):
    services.resolve(issue=at_county, by=world.department, result="已修复")
    client = as_user(world.cadre)
    home = client.get(reverse("home"))
    html = home.content.decode()
    unread = Notification.objects.filter(user=world.cadre, read_at=None)
    assert f'data-unread="{unread.count()}"' in html
    # session, user, scope x2, notices, count, page
    with django_assert_max_num_queries(7):
        listing = client.get(reverse("notification-list"))
    assert len(listing.context["page"]) == unread.count() == 3
    notice = unread.first()
    response = client.post(reverse("notification-open", args=[notice.pk]))
    assert response.url == reverse("issue-detail", args=[at_county.code])
    notice.refresh_from_db()
    assert notice.read_at is not None
    client.post(reverse("notifications-read"))
    assert not Notification.objects.filter(user=world.cadre, read_at=None).exists()


def test_someone_elses_notification_is_not_found(world, at_town, as_user):
    notice = Notification.objects.filter(user=world.cadre).first()
    assert as_user(world.leader).post(reverse("notification-open", args=[notice.pk])).status_code == 404


def test_anonymous_is_sent_to_log_in(world, register, client, monday_before):
    issue = register(world)
    for url in (reverse("issue-list"), reverse("issue-detail", args=[issue.code]), reverse("issue-register")):
        assert client.get(url).status_code == 302


def test_register_with_photos_keeps_them_and_refuses_other_files(
        world, as_user, category, monday_before, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    fields = {
        "village": world.village_a.pk, "category": category.pk, "source": "reception", "title": "排水沟堵塞",
        "description": "下雨时污水漫进民房。", "reporter_name": "张国强", "reporter_phone": "13987654321",
    }
    client = as_user(world.cadre)
    refused = client.post(reverse("issue-register"), {**fields, "photos": SimpleUploadedFile("a.exe", b"MZ")})
    assert refused.status_code == 200 and "photos" in refused.context["form"].errors
    assert not Issue.objects.exists()
    photo = SimpleUploadedFile("ditch.png", image_bytes("PNG"), content_type="image/png")
    response = client.post(reverse("issue-register"), {**fields, "photos": [photo]})
    assert response.status_code == 302
    assert Issue.objects.get().photos.count() == 1


def test_admin_shows_the_ledger_read_only(world, at_county, as_user):
    client = as_user(world.admin)
    assert client.get(reverse("admin:issues_issue_changelist")).status_code == 200
    page = client.get(reverse("admin:issues_issue_change", args=[at_county.pk]))
    assert page.status_code == 200 and "吹哨报到" in page.content.decode()
    assert client.get(reverse("admin:issues_category_changelist")).status_code == 200
    assert as_user(world.cadre).get(reverse("admin:issues_issue_changelist")).status_code == 302


def test_the_town_office_registering_from_a_visit_does_not_get_the_full_phone(world, visit, as_user, monday_before):
    page = as_user(world.town_office).get(reverse("issue-register") + f"?visit={visit.pk}")
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["reporter_name"] == "王秀英" and "reporter_phone" not in form.initial
    assert "13912345678" not in page.content.decode()


PNG = image_bytes("PNG")


def test_photos_are_served_only_to_those_who_see_the_issue(world, register, as_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    issue = register(world, photos=[SimpleUploadedFile("路灯.PNG", PNG)])
    photo, = issue.photos.all()
    assert re.fullmatch(r"issues/\d{4}/\d{2}/[\w-]{24}\.png", photo.image.name), photo.image.name
    url = reverse("issue-photo", args=[issue.code, photo.pk])
    assert url in as_user(world.cadre).get(reverse("issue-detail", args=[issue.code])).content.decode()
    response = as_user(world.cadre).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png" and response["Cache-Control"].startswith("private")
    assert as_user(world.other_cadre).get(url).status_code == 404
    assert as_user(world.cadre).get(reverse("issue-photo", args=[issue.code, photo.pk + 1])).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    photo.image.storage.delete(photo.image.name)
    assert as_user(world.cadre).get(url).status_code == 404
