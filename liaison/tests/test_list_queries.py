"""Every list behind the figures costs the same number of queries however many rows it shows, for
every persona: the ledger and its queues, the visit diary, a village's households, the visit
form, the records behind a coverage figure, the API's lists (first and a later page) and the
admin's big changelists. Each list is asked once on the small county, then again after sixty
households, visits and issues more (two pages' worth): not one query more."""

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from issues import services as issue_services
from issues.models import Issue
from reports import periods as P
from visits import services as visit_services
from visits.models import HouseholdTag

PERSONAS = ["cadre", "leader", "town_office", "department", "org_department", "admin"]
MORE = 60
# A list page's and API list's most queries (the admin's changelists keep their own count).
BUDGET = 10


def lists(w):
    month = P.of("month", timezone.localdate()).key
    return [
        reverse("issue-list"),
        reverse("issue-list") + "?status=open",
        (reverse("issue-list"), "next"),
        reverse("issue-town-queue"),
        reverse("issue-department-queue"),
        reverse("visit-diary"),
        reverse("visit-diary") + f"?team={w.team_a.pk}",
        reverse("visit-new") + f"?village={w.village_a.pk}",
        reverse("household-list", args=[w.village_a.pk]),
        (reverse("household-list", args=[w.village_a.pk]), "next"),
        reverse("dashboard-records", args=["county", w.county.pk, "coverage"]) + f"?period={month}",
        reverse("dashboard-records", args=["team", w.team_a.pk, "coverage"]) + f"?period={month}&show=all",
        reverse("api:issue-list"),
        (reverse("api:issue-list") + "?page_size=2", "next"),
        reverse("api:api-visit-list"),
        (reverse("api:api-visit-list") + "?page_size=2", "next"),
        reverse("api:api-household-list"),
        (reverse("api:api-household-list") + "?page_size=2", "next"),
        reverse("api:step-list"),
        (reverse("api:step-list") + "?page_size=2", "next"),
        reverse("api:rating-list"),
        reverse("api:api-liaison-day-list"),
        (reverse("api:api-liaison-day-list") + "?page_size=2", "next"),
        reverse("api:membership-list"),
        reverse("admin:visits_household_changelist"),
        reverse("admin:visits_visit_changelist"),
        reverse("admin:issues_issue_changelist"),
        reverse("admin:teams_attendance_changelist"),
    ]


def add_rows(w):
    """Sixty households more in team A's village, each visited, and sixty issues, some of them
    escalated to the town."""
    tag, _created = HouseholdTag.objects.get_or_create(code="elderly", defaults={"name": "独居老人", "priority": 2})
    today = timezone.localdate()
    for n in range(MORE):
        home = visit_services.create_household(
            by=w.leader, village=w.village_a, head_name=f"住户{n}", address=f"西区社区新街{n}号", tags=[tag],
        )
        visit_services.log_visit(by=w.cadre, kind="household", date=today - timedelta(days=n % 20),
                                 village=w.village_a, households=[home])
        issue = issue_services.register(
            by=w.cadre, village=w.village_a, category=w.issue_a.category, title=f"问题{n}", description="详情",
            source=Issue.Source.VISIT, reporter_name="王秀英", reporter_phone="13912345678", household=home,
        )
        if n % 3 == 0:
            issue_services.escalate(issue=issue, by=w.leader, reason="需镇街协调")


def deeper(client, url):
    """The page after `url`'s first: the API's `next`, or a page's rel="next" link (the first page
    itself when there is no second)."""
    response = client.get(url)
    if response.get("Content-Type", "").startswith("application/json"):
        return response.json()["next"] or url
    found = re.search(r'rel="next" href="\?([^"]+)"', response.content.decode())
    return f"{url.split('?')[0]}?{html.unescape(found.group(1))}" if found else url


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return response.status_code, len(captured)


@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_cost_the_same_queries_however_many_rows(busy_world, client, persona, django_assert_max_num_queries):
    w = busy_world
    client.force_login(getattr(w, persona))
    urls = [deeper(client, url[0]) if isinstance(url, tuple) else url for url in lists(w)]
    before = {url: queries(client, url) for url in urls}
    add_rows(w)
    opened = 0
    for url, (status, count) in before.items():
        if status != 200:
            continue
        opened += 1
        budget = count if url.startswith("/admin/") else min(count, BUDGET)
        with django_assert_max_num_queries(budget, info=url):
            assert client.get(url).status_code == 200, url
    assert opened >= 8
