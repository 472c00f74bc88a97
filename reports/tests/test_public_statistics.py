"""/public/statistics/: per town, this year's issues received and the rates residents care
about — resolution, feedback, satisfaction — read from the figures; no resident's data."""

import re

import time_machine
from django.urls import reverse

from reports.figures import services

from .test_metrics import at, november  # noqa: F401  (the hand-counted November)


def rows(html):
    """{town: [cells]} of the statistics table."""
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    result = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [re.sub(r"<[^>]+>", "", cell).split() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        result[cells[0][0]] = [" ".join(cell) for cell in cells[1:]]
    return result


def test_each_towns_year_from_the_figures(world, november, client, django_assert_max_num_queries):  # noqa: F811
    # The figures of the year, and the towns: two queries.
    with time_machine.travel(at(25, 14), tick=False), django_assert_max_num_queries(2):
        response = client.get(reverse("public-statistics"))
    html = response.content.decode()
    assert response.status_code == 200 and "2026年问题办理情况" in html
    assert rows(html) == {
        # received; resolution, feedback, satisfaction (numerator/denominator beside the rate)
        "罗阳街道": ["4", "25.0% 1/4", "100.0% 1/1", "50.0% 1/2"],
        "龙溪街道": ["2", "50.0% 1/2", "100.0% 1/1", "100.0% 1/1"],
        "龙城街道": ["—", "—", "—", "—"],  # the other county: never computed
    }
    assert "数据更新于 2026-11-25 12:00" in html
    # No resident's data: the reporter's name and phone, the households' heads, the titles.
    for private in ("王秀英", "13912345678", "5678", "张国强", "路灯不亮", "巷口路灯坏了"):
        assert private not in html


def test_no_figures_yet_reads_as_dashes(world, client):
    html = client.get(reverse("public-statistics")).content.decode()
    assert rows(html)["罗阳街道"] == ["—", "—", "—", "—"] and "数据尚未计算" in html


def test_a_town_with_nothing_to_count_has_no_rate(world, client):
    with time_machine.travel(at(25, 14), tick=False):
        services.refresh_in_process(world.county)
        html = client.get(reverse("public-statistics")).content.decode()
    assert rows(html)["罗阳街道"] == ["0", "—", "—", "—"]
