"""Issue 14's words: a way in for staff on the residents' pages, a 404 in residents' words,
full-width colons in labels, the project's wording for Django's stock messages, the admin as this
product, the contact card's fixed schedule and the public statistics explained."""

import re

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_image_file_extension
from django.urls import reverse
from django.utils import translation

from issues import public, services
from issues.models import Category


def an_issue(w):
    return services.register(
        by=w.cadre, village=w.village_a, category=Category.objects.get(code="livelihood"), title="路灯不亮",
        description="西区三巷路灯坏了。", source="reception", reporter_name="王秀英", reporter_phone="13912345678",
    )


@pytest.mark.parametrize("path", ["/public/", "/public/lookup/", "/public/statistics/"])
def test_the_residents_pages_have_a_discreet_way_in_for_staff(world, client, path):
    assert f'<a class="staff-login" href="{reverse("login")}">工作人员登录</a>' in client.get(path).content.decode()
    client.force_login(world.cadre)
    assert "工作人员登录" not in client.get(path).content.decode()


def test_the_status_and_village_pages_have_it_too(world, client, liaison_tuesday):
    issue = an_issue(world)
    for path in (reverse("public-status", args=[public.status_token(issue.code)]),
                 reverse("public-village", args=[world.village_a.pk])):
        assert "工作人员登录" in client.get(path).content.decode(), path


def test_a_resident_gets_a_404_in_residents_words(world, client):
    response = client.get("/public/villages/999999/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "岗位" not in body and "没有找到这个页面" in body and 'href="/public/"' in body
    client.force_login(world.cadre)
    assert "不在您岗位的查看范围内" in client.get("/teams/999999/").content.decode()


def test_labels_end_with_a_full_width_colon(world, as_user):
    html = as_user(world.cadre).get(reverse("issue-register")).content.decode()
    assert '<label for="id_village">村：</label>' in html
    assert '<label for="id_category">类别：</label>' in html


class Note(forms.Form):
    note = forms.CharField(max_length=10)
    when = forms.DateField()


def test_djangos_stock_messages_read_as_the_projects_own():
    with translation.override("zh-hans"):
        form = Note({"note": "字" * 12, "when": "明天"})
        assert not form.is_valid()
        assert form.errors["note"] == ["最多只能填写 10 个字，现在有 12 个，请精简后再提交。"]
        assert form.errors["when"] == ["请填写正确的日期。"]
        with pytest.raises(ValidationError) as refused:
            validate_image_file_extension(SimpleUploadedFile("动图.gif.exe", b"x"))
        assert refused.value.messages[0].startswith("不能上传“exe”格式的文件，只能上传以下格式：")


def test_the_admin_reads_as_this_product(world, client, liaison_tuesday):
    an_issue(world)
    client.force_login(world.admin)
    html = client.get("/admin/").content.decode()
    assert "<title>维护名册、节假日日历、住户和问题类别 | 驻点联系群众工作平台</title>" in html
    assert "Django" not in re.sub(r"<(script|link)[^>]*>", "", html)
    captions = [re.sub("<.*?>", "", c).strip() for c in re.findall(r"<caption>.*?</caption>", html, re.S)]
    assert captions[:3] == ["驻点团队与驻点日", "走访", "问题台账"] and captions[-1] == "登录记录"
    issues = client.get("/admin/issues/issue/").content.decode()
    columns = re.findall(r'<th scope="col"[^>]*class="[^"]*column-.*?</th>', issues, re.S)
    headers = [re.sub(r"<.*?>|\s|\d", "", h) for h in columns]
    assert headers[:2] == ["查询码", "标题"] and "职务" not in headers
    assert "<title>问题列表 | 驻点联系群众工作平台</title>" in issues


def test_the_contact_card_prints_the_fixed_schedule_not_a_date(world, client):
    from teams import services

    services.generate_liaison_days(weeks=3)
    body = client.get(f"/public/villages/{world.village_a.pk}/card/").content.decode()
    assert "<b data-schedule>每星期二上午，西区社区党群服务中心</b>" in body
    assert not re.search(r"20\d\d-\d\d-\d\d", body), "a date on a card goes stale"


def test_the_public_statistics_explain_each_rate_in_plain_words(world, client):
    body = client.get("/public/statistics/").content.decode()
    explained = re.search(r'id="what-the-rates-mean".*?</section>', body, re.S).group(0)
    for rate in ("解决率", "回音率", "满意率"):
        assert f"<dt>{rate}</dt>" in explained
    assert "已经把结果告诉反映人" in explained and "“满意”和“基本满意”" in explained
