"""Each position's work, as issue 14 asked: the home shows its queue in figures (open, overdue,
due within a working day, reopened), each opening the filtered list; lists flag those issues;
the town keeps sight of what it escalated; nobody is offered a button that leads to a 403."""

import re

import pytest
from django.urls import reverse

from issues import services
from issues.tests.conftest import at, reload


@pytest.fixture
def queue(world, register, monday_before):
    """Team A's village on Monday 16 November 2026, 09:00: one issue of each kind."""
    q = type("Queue", (), {})()
    q.overdue = register(world, title="逾期的", received_at=at(2026, 11, 6, 9, 0))
    q.due_soon = register(world, title="快到期的", received_at=at(2026, 11, 9, 10, 0))
    q.reopened = register(world, title="重新办理的")
    services.resolve(issue=q.reopened, by=world.cadre, result="已处理")
    services.rate(issue=reload(q.reopened), satisfaction="dissatisfied")
    q.fresh = register(world, title="新登记的")
    q.at_town = register(world, title="上报镇街的")
    services.escalate(issue=q.at_town, by=world.leader, reason="村里无法解决")
    q.at_county = register(world, title="吹哨报到的")
    services.escalate(issue=q.at_county, by=world.leader, reason="村里无法解决")
    services.escalate(issue=reload(q.at_county), by=world.town_office, reason="需县级部门", department=world.dept1)
    return q


def figures(html, queue_kind):
    section = re.search(rf'data-queue="{queue_kind}".*?</section>', html, re.S).group(0)
    return {
        key: (int(n), url.replace("&amp;", "&"))
        for url, key, n in re.findall(r'<a href="([^"]+)" data-figure="(\w+)"[^>]*><b>(\d+)</b>', section)
    }


def titles(client, url):
    return {issue.title for issue in client.get(url).context["page"]}


def test_a_cadres_home_counts_the_teams_queue_and_each_figure_opens_its_list(world, queue, as_user,
                                                                               django_assert_max_num_queries):
    client = as_user(world.cadre)
    # session, user, scope x2, notices, teams, next days, the holiday calendar, the team's figures,
    # the member's round and visit plan (定点联系)
    with django_assert_max_num_queries(12):
        html = client.get("/").content.decode()
    shown = figures(html, "team")
    assert {key: n for key, (n, _url) in shown.items()} == {"open": 4, "overdue": 1, "due_soon": 1, "reopened": 1}
    assert titles(client, shown["open"][1]) == {"逾期的", "快到期的", "重新办理的", "新登记的"}
    assert titles(client, shown["overdue"][1]) == {"逾期的"}
    assert titles(client, shown["due_soon"][1]) == {"快到期的"}
    assert titles(client, shown["reopened"][1]) == {"重新办理的"}


def test_the_town_office_and_the_department_see_their_own_queues(world, queue, as_user):
    town = as_user(world.town_office)
    html = town.get("/").content.decode()
    assert figures(html, "town")["open"][0] == 1 and "data-queue=\"team\"" not in html
    assert titles(town, figures(html, "town")["open"][1]) == {"上报镇街的"}
    dept = as_user(world.department)
    html = dept.get("/").content.decode()
    assert figures(html, "department")["open"] == (1, reverse("issue-department-queue"))
    assert titles(dept, reverse("issue-department-queue")) == {"吹哨报到的"}
    html = as_user(world.org_department).get("/").content.decode()
    assert figures(html, "county")["open"][0] == 6 and figures(html, "county")["overdue"][0] == 1


def test_lists_flag_overdue_due_soon_and_reopened_issues(world, queue, as_user):
    html = as_user(world.cadre).get(reverse("issue-list")).content.decode()
    rows = dict(re.findall(r'data-code="(\w+)">(.*?)</li>', html, re.S))
    assert 'data-flag="overdue"' in rows[queue.overdue.code] and "is-overdue" in html
    assert 'data-flag="due-soon"' in rows[queue.due_soon.code]
    assert 'data-flag="reopened"' in rows[queue.reopened.code]
    assert "data-flag" not in rows[queue.fresh.code]


def test_the_town_keeps_sight_of_what_it_escalated(world, queue, as_user):
    town = as_user(world.town_office)
    assert titles(town, reverse("issue-town-escalated")) == {"吹哨报到的"}
    services.resolve(issue=reload(queue.at_county), by=world.department, result="已协调解决")
    page = town.get(reverse("issue-town-escalated"))
    assert [i.title for i in page.context["page"]] == ["吹哨报到的"]
    assert "已解决" in page.content.decode() and "信访局" in page.content.decode()
    # Not the town's queue any more, but still its own to follow.
    assert titles(town, reverse("issue-town-queue")) == {"上报镇街的"}


@pytest.mark.parametrize("persona,offered", [
    ("cadre", True), ("town_office", True), ("department", False), ("org_department", False),
])
def test_register_is_offered_only_to_those_who_may_register(world, as_user, persona, offered):
    client = as_user(getattr(world, persona))
    register_link = f'href="{reverse("issue-register")}"'
    assert (register_link in client.get(reverse("issue-list")).content.decode()) is offered
    assert (register_link in client.get("/").content.decode()) is (persona == "cadre")
    assert (client.get(reverse("issue-register")).status_code == 200) is offered


def test_the_due_soon_and_reopened_filters_answer_in_the_api_too(world, queue, api_as):
    api = api_as(world.cadre)
    codes = lambda **q: {i["code"] for i in api.get("/api/v1/issues/", q).json()["results"]}  # noqa: E731
    assert codes(due_soon="true") == {queue.due_soon.display_code}
    assert codes(reopened="true") == {queue.reopened.display_code}
    assert api.get("/api/v1/issues/", {"reopened": "maybe"}).status_code == 400


def test_registering_from_a_visit_starts_from_its_notes(world, visit, as_user):
    page = as_user(world.cadre).get(reverse("issue-register") + f"?visit={visit.pk}")
    assert page.context["form"].initial["description"] == "王阿姨反映巷口路灯不亮。"
    assert "王阿姨反映巷口路灯不亮。</textarea>" in page.content.decode()


def test_texts_residents_read_say_so_and_warn_against_personal_data(world, register, as_user, monday_before):
    issue = register(world)
    html = as_user(world.cadre).get(reverse("issue-detail", args=[issue.code])).content.decode()
    for action, label in (("resolve", "办理结果（群众可见）"), ("explain", "解释说明（群众可见）"),
                          ("escalate", "上报理由（群众可见）"), ("progress", "办理进展（群众可见）")):
        form = re.search(rf'data-action="{action}".*?</details>', html, re.S).group(0)
        assert label in form and "请勿填写群众的姓名、电话或住址" in form, action
    services.resolve(issue=issue, by=world.cadre, result="已修复")
    html = as_user(world.cadre).get(reverse("issue-detail", args=[issue.code])).content.decode()
    form = re.search(r'data-action="feedback".*?</details>', html, re.S).group(0)
    assert "回音内容（群众可见）" in form and "请勿填写群众的姓名、电话或住址" in form
