"""Words a town cadre and a resident read: 办结 only once the resident has been answered, the
levels named as levels, 来访接待 (not 信访's 接访), and a phone that may be a landline."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from issues.models import Issue
from issues.tests.conftest import at

WORDING = {
    "Mark resolved": "标记为已解决",
    "The issue was marked resolved.": "已标记为已解决，请及时向群众回音。",
    "Village level": "村（社区）级",
    "Town level": "镇街级",
    "County level": "县级（县直部门）",
    "Enter the last four digits of the phone number you gave.": "请输入您登记时留下的联系电话的后四位数字。",
    "Last four digits of your phone": "联系电话后四位",
}


@pytest.mark.parametrize("msgid,expected", WORDING.items())
def test_the_catalogue_says_it_this_way(msgid, expected):
    with translation.override("zh-hans"):
        assert gettext(msgid) == expected


def test_the_issue_source_reception_is_not_the_visit_kind():
    with translation.override("zh-hans"):
        assert str(Issue.Source.RECEPTION.label) == "来访接待"


def test_nothing_is_called_closed_before_the_resident_is_answered(world, register, as_user, monday_before):
    issue = register(world)
    client = as_user(world.cadre)
    page = client.get(reverse("issue-detail", args=[issue.code])).content.decode()
    assert "标记为已解决" in page and "办结" not in page
    response = client.post(reverse("issue-action", args=[issue.code, "resolve"]), {"result": "已更换灯泡"}, follow=True)
    assert "已标记为已解决，请及时向群众回音。" in response.content.decode()


def test_an_overdue_issue_shows_its_original_deadline(world, register, as_user, monday_before):
    issue = register(world)
    monday_before.move_to(at(2026, 12, 1, 9, 0))
    page = as_user(world.cadre).get(reverse("issue-list")).content.decode()
    due = issue.due_at.astimezone(at(2026, 1, 1).tzinfo).strftime("%Y-%m-%d %H:%M")
    assert f"已超期（原定时限 {due}）" in page
