"""The assessment pages and API over the hand-computed quarter: the ranking, the breakdown
that says why (and how a unit with a 0/0 metric is scored), the printable view, each persona's
scope, the refusals, and constant query counts."""

import pytest
from django.urls import reverse

from reports.models import AssessmentRound, Unit
from reports.oversight import assessments

from .assessment_world import Q3, add_team, build_quarter


@pytest.fixture
def q3(world, now):
    return build_quarter(world)


@pytest.fixture
def published(q3):
    round_ = assessments.create_round(by=q3.org_department, county=q3.county, period=Q3)
    return assessments.publish(round_=round_, by=q3.org_department)


def rows_of(body):
    """(unit:id, rank, score) of each row of the pages' results tables."""
    import re

    return re.findall(r'data-unit="(\w+:\d+)"><td class="num rank">([^<]*)</td>.*?<td class="num score"><strong>'
                      r'([^<]*)</strong>', body, re.S)


def test_the_ranking_page_shows_the_scores_and_the_chart(q3, published, as_user):
    body = as_user(q3.org_department).get(reverse("assessment-detail", args=[published.pk])).content.decode()
    assert rows_of(body) == [(f"town:{q3.town1.pk}", "1", "73.50"), (f"town:{q3.town2.pk}", "—", "—")]
    assert 'id="score-data"' in body and "73.5" in body
    assert "红黑榜" in body and "新围村驻点团队" in body  # team D tops the red list
    assert "评分方法" in body and "0/0" in body


def test_the_breakdown_says_why_and_how_a_0_0_metric_is_scored(q3, published, as_user):
    url = reverse("assessment-unit", args=[published.pk, Unit.TEAM, q3.team_b.pk])
    body = as_user(q3.org_department).get(url).content.decode()
    assert "70.58" in body and "26.47" in body and "23.53" in body and "11.76" in body and "8.82" in body
    assert "不计分" in body  # satisfaction, 0/0
    assert "100 ÷ 85" in body
    records = reverse("dashboard-records", args=[Unit.TEAM, q3.team_b.pk, "attendance"]) + "?period=quarter:2026-Q3"
    assert records in body
    town = as_user(q3.org_department).get(reverse("assessment-unit", args=[published.pk, Unit.TOWN, q3.town1.pk]))
    text = town.content.decode()
    assert "73.50" in text and "−1.5" in text and reverse("inspection-detail", args=[q3.inspection.pk]) in text
    # The town's teams ranked, ties shared: 1, 2, 2, 4.
    assert [rank for _unit, rank, _score in rows_of(text)] == ["1", "2", "2", "4"]


def test_the_printable_view(q3, published, as_user):
    body = as_user(q3.org_department).get(reverse("assessment-print", args=[published.pk])).content.decode()
    assert "print.css" in body and published.title in body and "博罗县" in body and "2026年第3季度" in body
    assert "塘尾村驻点团队" in body


def test_a_town_office_sees_its_own_town_and_teams_only(q3, published, as_user):
    client = as_user(q3.town_office)
    body = client.get(reverse("assessment-detail", args=[published.pk])).content.decode()
    units = [unit for unit, _rank, _score in rows_of(body)]
    assert f"town:{q3.town1.pk}" in units and f"town:{q3.town2.pk}" not in units
    assert f"team:{q3.team_a.pk}" in units and f"team:{q3.team_c.pk}" not in units
    assert client.get(reverse("assessment-unit", args=[published.pk, Unit.TOWN, q3.town1.pk])).status_code == 200
    assert client.get(reverse("assessment-unit", args=[published.pk, Unit.TOWN, q3.town2.pk])).status_code == 404
    assert "发布" not in body.split('id="manage"')[-1] or 'id="manage"' not in body


def test_a_town_office_does_not_see_a_draft(q3, as_user):
    round_ = assessments.create_round(by=q3.org_department, county=q3.county, period=Q3)
    assert as_user(q3.town_office).get(reverse("assessment-detail", args=[round_.pk])).status_code == 404


@pytest.mark.parametrize("persona, status", [
    ("org_department", 200), ("admin", 200), ("town_office", 200), ("leader", 404), ("cadre", 404),
    ("department", 404), ("other_cadre", 404),
])
def test_who_opens_a_published_round(q3, published, as_user, api_as, persona, status):
    user = getattr(q3, persona)
    assert as_user(user).get(reverse("assessment-detail", args=[published.pk])).status_code == status
    assert api_as(user).get(f"/api/v1/assessments/{published.pk}/").status_code == status


def test_the_ranking_page_takes_a_constant_number_of_queries(q3, published, as_user, django_assert_max_num_queries):
    client = as_user(q3.org_department)
    url = reverse("assessment-detail", args=[published.pk])
    # session, user, scope (2), the round, the towns' results, the red and black lists, the events, the header's
    # unread notifications
    with django_assert_max_num_queries(10):
        assert client.get(url).status_code == 200
    for number in range(8):
        add_team(q3, f"新村{number}驻点团队", f"新村{number}")
    assessments.withdraw(round_=published, by=q3.admin, reason="补充新团队")
    assessments.publish(round_=published, by=q3.org_department)
    with django_assert_max_num_queries(10):
        assert client.get(url).status_code == 200
    # The town's breakdown: also the town (its kind, 镇 or 街道) and its teams' places in the county.
    with django_assert_max_num_queries(11):
        assert client.get(reverse("assessment-unit", args=[published.pk, Unit.TOWN, q3.town1.pk])).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("assessment-print", args=[published.pk])).status_code == 200


def test_creating_publishing_and_refusals_through_the_pages(q3, as_user):
    client = as_user(q3.org_department)
    weights = {"weight_attendance": "30", "weight_timely": "25", "weight_coverage": "20",
               "weight_satisfaction": "15", "weight_feedback": "15"}
    response = client.post(reverse("assessment-new"), {"period": Q3, **weights})
    assert response.status_code == 400 and "权重之和须为 100，现为 105。" in response.content.decode()
    assert not AssessmentRound.objects.exists()
    response = client.post(reverse("assessment-new"), {"period": Q3, **weights, "weight_attendance": "25"})
    round_ = AssessmentRound.objects.get()
    assert response.status_code == 302
    response = client.post(reverse("assessment-action", args=[round_.pk, "publish"]), follow=True)
    assert "考核已发布" in response.content.decode()
    response = client.post(reverse("assessment-action", args=[round_.pk, "edit"]),
                           {"title": "改", **weights, "weight_attendance": "25"}, follow=True)
    assert "本次考核已发布，结果已固定" in response.content.decode()
    round_.refresh_from_db()
    assert round_.title != "改"
    assert client.post(reverse("assessment-action", args=[round_.pk, "withdraw"]),
                       {"reason": "重算"}).status_code == 403  # only administrators withdraw
    round_.refresh_from_db()
    assert round_.is_published


def test_the_api_gives_scores_breakdowns_and_ranks(q3, published, api_as):
    api = api_as(q3.org_department)
    listed = api.get("/api/v1/assessments/").json()
    assert listed["count"] == 1 and listed["results"][0]["period"] == Q3
    data = api.get(f"/api/v1/assessments/{published.pk}/").json()
    assert data["status"] == "published" and data["weights"]["attendance"] == 25
    by_unit = {(r["unit"], r["unit_id"]): r for r in data["results"]}
    b = by_unit[("team", q3.team_b.pk)]
    assert (b["score"], b["rank"]) == (70.58, 2)
    assert b["metrics"]["satisfaction"] == {"numerator": 0, "denominator": 0, "rate": None, "weight": 15,
                                            "points": None}
    assert b["metrics"]["attendance"]["points"] == 26.47
    a = by_unit[("team", q3.team_a.pk)]
    assert (a["deduction"], a["inspections"]) == (1.5, [q3.inspection.pk])
    town_view = api_as(q3.town_office).get(f"/api/v1/assessments/{published.pk}/").json()
    assert {r["town"] for r in town_view["results"]} == {q3.town1.pk}


@pytest.mark.parametrize("persona", ["org_department", "town_office"])
def test_every_link_of_a_round_opens_for_whoever_reads_it(q3, published, as_user, persona):
    """A town office reads the county's 红黑榜 but opens only its own town's and teams' breakdowns:
    the page links nothing else (a walkthrough found 16 links that answered 404)."""
    import re

    client = as_user(getattr(q3, persona))
    pages = [reverse("assessment-detail", args=[published.pk])]
    pages += [reverse("assessment-unit", args=[published.pk, unit, obj.pk])
              for unit, obj in ((Unit.TOWN, q3.town1), (Unit.TEAM, q3.team_a))]
    for page in pages:
        body = client.get(page).content.decode()
        for link in set(re.findall(r'href="(/reports/assessments/[^"?#]*)"', body)):
            assert client.get(link).status_code == 200, (page, link)
