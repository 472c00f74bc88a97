"""The dashboard's trend ends on today's period, which is not over: its figures are marked
截至今日 in the chart's data (drawn apart: test_dashboard_browser.py) and in the table, and the
page says why they do not compare with a finished period's."""

import json
import re

import pytest
from django.urls import reverse

from .test_metrics import at, november  # noqa: F401  (the hand-counted November)
from .test_pages import clock  # noqa: F401  (the afternoon it was computed)

pytestmark = pytest.mark.usefixtures("november", "clock")


def trend_of(html):
    chart = json.loads(re.search(r'<script id="trend-data" type="application/json">(.*?)</script>', html).group(1))
    rows = re.findall(r"<tr( class=\"to-date\")?><td><a href=\"\?period=([^\"]+)\">[^<]*</a>(.*?)</td>", html)
    return chart, rows


@pytest.mark.parametrize("trend, current", [("month", "month:2026-11"), ("week", "week:2026-W48")])
def test_todays_period_is_marked_to_date_in_the_chart_and_the_table(world, as_user, trend, current):
    html = as_user(world.org_department).get(
        reverse("dashboard", args=["county", world.county.pk]) + f"?period=month:2026-10&trend={trend}"
    ).content.decode()
    chart, rows = trend_of(html)
    assert len(chart["labels"]) == 12 and chart["current"] == 11 and chart["current_label"] == "截至今日"
    # The table is newest first: today's period alone carries the mark.
    marked = [(key, "截至今日" in rest) for to_date, key, rest in rows if to_date]
    assert marked == [(current, True)]
    assert all("截至今日" not in rest for to_date, _key, rest in rows if not to_date)
    assert rows[0][1] == current and len(rows) == 12
    note = "本月尚未结束" if trend == "month" else "本周尚未结束"
    assert note in html and "不能与已结束的" in html
