"""The resolution rate's records say plainly that an explanation is not a solution: an issue
explained, answered or not, is listed under 未解决 as 已解释说明（未解决）, never as a done
"已回音办结"; a solved one says so."""

import re

import time_machine
from django.urls import reverse

from issues import services
from issues.models import Issue
from issues.tests.conftest import at, category, register  # noqa: F401  (the issue fixtures)


def statuses(html):
    """{title: the status shown} of the records listed."""
    return dict(re.findall(r'<span class="title">([^<]*)</span>.*?<span class="tag">([^<]*)</span>', html, re.S))


def test_explained_issues_read_as_not_resolved(world, register, as_user):  # noqa: F811
    with time_machine.travel(at(2026, 11, 24, 10, 0), tick=False) as clock:
        explained_answered = register(world, title="宅基地纠纷")
        services.explain(issue=explained_answered, by=world.cadre, explanation="属历史遗留问题，已告知走司法途径。")
        services.record_feedback(issue=explained_answered, by=world.cadre, note="已电话告知")
        explained = register(world, title="要求修建篮球场")
        services.explain(issue=explained, by=world.cadre, explanation="村内暂无空地，列入明年规划。")
        solved = register(world, title="路灯不亮")
        services.resolve(issue=solved, by=world.cadre, result="已更换路灯。")
        services.record_feedback(issue=solved, by=world.cadre, note="已上门告知")
        register(world, title="垃圾清运不及时")
        assert Issue.objects.get(pk=explained_answered.pk).status == Issue.Status.CLOSED

        clock.move_to(at(2026, 11, 24, 11, 0))  # the records run up to now
        url = reverse("dashboard-records", args=["team", world.team_a.pk, "resolution"]) + "?period=month:2026-11"
        client = as_user(world.org_department)
        short = statuses(client.get(url).content.decode())
        assert short == {"宅基地纠纷": "已解释说明（未解决），已回音", "要求修建篮球场": "已解释说明（未解决）",
                         "垃圾清运不及时": "办理中"}
        every = client.get(url + "&show=all").content.decode()
        assert statuses(every) == {**short, "路灯不亮": "已解决，已回音"}
        assert "已回音办结" not in every
