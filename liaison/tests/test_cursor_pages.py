"""The API's long lists are read by cursor (core/pagination.py): following `next` reads every row
once in the list's order, `previous` reads back, `count` is the first page's total on every page,
a row added while a client walks the list neither repeats nor hides another, and page numbers
past 1 or an altered cursor are a 400 saying what to do."""

from datetime import timedelta

import pytest
from django.utils import timezone

from issues import services as issue_services
from issues.models import Issue
from visits import services as visit_services

LISTS = ["/api/v1/steps/", "/api/v1/ratings/", "/api/v1/visits/", "/api/v1/households/",
         "/api/v1/issues/", "/api/v1/liaison-days/"]


@pytest.fixture
def walked(busy_world):
    """The busy county with three households more, each visited and with a rated issue: every list
    has rows enough to turn pages."""
    w = busy_world
    for n in range(3):
        home = visit_services.create_household(by=w.leader, village=w.village_a, head_name=f"住户{n}",
                                               address=f"西区社区新街{n}号")
        visit_services.log_visit(by=w.cadre, kind="household", date=timezone.localdate() - timedelta(days=n),
                                 village=w.village_a, households=[home])
        issue = issue_services.register(
            by=w.cadre, village=w.village_a, category=w.issue_a.category, title=f"问题{n}", description="详情",
            source=Issue.Source.VISIT, reporter_name="王秀英", reporter_phone="13912345678", household=home,
        )
        issue_services.resolve(issue=issue, by=w.leader, result="已修复")
        issue_services.rate(issue=issue, satisfaction="satisfied", comment="")
    return w


def key(row):
    return row.get("id") or row.get("code") or (row["issue"], row.get("opened_at") or row.get("rated_at"))


def walk(api, url, size=2):
    """Every row by following `next`, and the `count` each page said."""
    rows, counts, link = [], set(), f"{url}?page_size={size}"
    while link:
        body = api.get(link).json()
        rows += body["results"]
        counts.add(body["count"])
        link = body["next"]
    return rows, counts


@pytest.mark.parametrize("url", LISTS)
def test_following_next_reads_every_row_once_in_order(walked, api_as, url):
    api = api_as(walked.admin)
    whole = api.get(url, {"page_size": 1000}).json()
    assert whole["next"] is None and whole["previous"] is None
    assert len(whole["results"]) >= 3, url  # a walk of two a page turns at least one page
    rows, counts = walk(api, url)
    assert [key(r) for r in rows] == [key(r) for r in whole["results"]]
    assert counts == {whole["count"]} == {len(whole["results"])}


@pytest.mark.parametrize("url", ["/api/v1/steps/", "/api/v1/visits/", "/api/v1/issues/"])
def test_previous_reads_back_the_page_before(walked, api_as, url):
    api = api_as(walked.admin)
    first = api.get(url, {"page_size": 2}).json()
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    assert first["previous"] is None and second["previous"] and third["previous"]
    assert [key(r) for r in api.get(third["previous"]).json()["results"]] == [key(r) for r in second["results"]]
    back = api.get(second["previous"]).json()
    assert [key(r) for r in back["results"]] == [key(r) for r in first["results"]]
    assert back["previous"] is None and back["next"]


def test_an_issue_registered_while_walking_the_ledger_neither_repeats_nor_hides_another(walked, api_as):
    w = walked
    api = api_as(w.admin)
    before = [r["code"] for r in api.get("/api/v1/issues/", {"page_size": 1000}).json()["results"]]
    page = api.get("/api/v1/issues/", {"page_size": 2}).json()
    seen = [r["code"] for r in page["results"]]
    # Open and due soonest: the ledger puts it on top, before the rows already read. Page numbers
    # would have shown the last row read again.
    issue_services.register(
        by=w.cadre, village=w.village_a, category=w.issue_a.category, title="新问题", description="详情",
        source=Issue.Source.VISIT, reporter_name="王秀英", reporter_phone="13912345678",
    )
    link = page["next"]
    while link:
        page = api.get(link).json()
        seen += [r["code"] for r in page["results"]]
        link = page["next"]
    assert seen == before


def test_page_numbers_past_the_first_and_altered_cursors_are_refused(walked, api_as):
    api = api_as(walked.admin)
    assert api.get("/api/v1/steps/", {"page": 1}).status_code == 200
    refused = api.get("/api/v1/steps/", {"page": 2})
    assert refused.status_code == 400
    assert refused.json() == {"page": ["页码已不再使用：请按列表的 next 与 previous 链接翻页。"]}
    good = api.get("/api/v1/steps/", {"page_size": 1}).json()["next"]
    token = good.split("cursor=")[1].split("&")[0]
    for altered in ("abc", token[:-4], token[::-1], "e30"):  # "e30" is `{}`
        response = api.get("/api/v1/steps/", {"cursor": altered})
        assert response.status_code == 400, altered
        assert "cursor" in response.json()


def test_a_cursor_keeps_the_filters_and_the_page_size(walked, api_as):
    w = walked
    api = api_as(w.admin)
    first = api.get("/api/v1/visits/", {"village": w.village_a.pk, "page_size": 1}).json()
    assert f"village={w.village_a.pk}" in first["next"] and "page_size=1" in first["next"]
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["results"][0]["village"] == w.village_a.pk
