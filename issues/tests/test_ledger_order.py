"""The ledger's order (issues.models.LEDGER_ORDER): open issues first, soonest due on top, then the
finished ones, latest due first, the later registered first among equals; the same on the API, the
ledger page and when walked by cursor either way; and on PostgreSQL a page after a cursor is a
range of the ledger's index, not a scan from its start."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from issues.models import Issue


@pytest.fixture
def ledger(world, register, monday_before):
    """Seven issues in the order the ledger must show them."""
    now = timezone.now()
    wanted = [
        ("open", now - timedelta(days=2)),  # overdue: on top
        ("open", now + timedelta(hours=3)),
        ("open", now + timedelta(days=1)),  # due at the same time as the next: the later registered first
        ("open", now + timedelta(days=1)),
        ("open", now + timedelta(days=5)),
        ("resolved", now - timedelta(days=1)),  # finished: the latest due first
        ("closed", now - timedelta(days=10)),
    ]
    issues = [register(world, title=f"问题{n}") for n in range(len(wanted))]
    for issue, (status, due) in zip(issues, wanted, strict=True):
        Issue.objects.filter(pk=issue.pk).update(status=status, due_at=due)
    issues[2], issues[3] = issues[3], issues[2]
    return [issue.display_code for issue in issues]


def walk(api, link, direction):
    codes = []
    while link:
        body = api.get(link).json()
        codes += [row["code"] for row in body["results"]]
        link = body[direction]
    return codes


def test_open_issues_come_first_soonest_due_then_the_finished_latest_due(world, ledger, api_as, as_user):
    api = api_as(world.admin)
    assert [row["code"] for row in api.get("/api/v1/issues/").json()["results"]] == ledger
    page = as_user(world.admin).get(reverse("issue-list"))
    assert [issue.display_code for issue in page.context["page"]] == ledger


def test_walking_the_ledger_by_cursor_reads_that_order_both_ways(world, ledger, api_as):
    api = api_as(world.org_department)
    assert walk(api, "/api/v1/issues/?page_size=2", "next") == ledger
    last = api.get("/api/v1/issues/?page_size=2").json()
    while last["next"]:
        last = api.get(last["next"]).json()
    # Back from the last page by `previous`: each page in the ledger's order, the pages in reverse.
    pages = [[row["code"] for row in last["results"]]]
    while last["previous"]:
        last = api.get(last["previous"]).json()
        pages.insert(0, [row["code"] for row in last["results"]])
    assert [code for page in pages for code in page] == ledger


def page_plan(api, link, rows):
    """The plan of the query reading the page's rows at `link`, as for a county's ledger (a few
    rows are read whole however they are indexed)."""
    with CaptureQueriesContext(connection) as captured:
        assert api.get(link).status_code == 200
    page_query = next(q["sql"] for q in captured.captured_queries if q["sql"].endswith(f"LIMIT {rows + 1}"))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + page_query)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_page_after_a_cursor_is_a_range_of_the_ledgers_index(world, ledger, api_as):
    api = api_as(world.admin)
    plan = page_plan(api, api.get("/api/v1/issues/?page_size=3").json()["next"], 3)
    assert "Index Scan using issue_ledger_key" in plan and "Sort" not in plan, plan
    # The cursor bounds the scan (an index condition), it does not filter rows read from the start.
    assert "Index Cond: (ROW(COALESCE(" in plan, plan


def test_the_open_and_overdue_lists_read_only_the_open_issues(world, ledger, api_as):
    api = api_as(world.org_department)
    for query in ("status=open", "overdue=true"):
        plan = page_plan(api, f"/api/v1/issues/?{query}&page_size=2", 2)
        assert "Index Scan using issue_ledger_open" in plan and "Sort" not in plan, (query, plan)
