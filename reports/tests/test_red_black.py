"""The red and black lists (红黑榜) of a county whose towns rank their teams differently from the
county: every team of the county ranked by its frozen score, ties sharing a place (1, 2, 2, 4),
the same lists and order on the round's page, its print and its Excel export; the weights a 0/0
metric rescaled, and points with two decimals.

Each team is scored on attendance alone (the other metrics 0/0), so its score is its attendance
in 100: the scores below are the points, by hand."""

import io
import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from conftest import NOW, browser_login
from reports.models import AssessmentResult, Refresh, Unit
from reports.oversight import assessments
from teams.models import Team, Town, Village

from .assessment_world import A_FIGURES, B_FIGURES, Q3, snapshot

# Each town's teams, by score: the town's own ranking is not the county's.
SCORES = {
    "town1": [99, 98, 97, 60, 59, 58, 57, 56],
    "town2": [96, 95, 90, 90, 50, 49, 48, 40],
    "town3": [94, 93, 92, 91, 89, 30, 10, 10],
}
TOWN_SCORES = {"town1": 80, "town2": 85, "town3": 80}


def attendance(score):
    return {"attendance": (score, 100), "timely": (0, 0), "coverage": (0, 0), "satisfaction": (0, 0),
            "feedback": (0, 0)}


def build_county(w):
    """Three towns of eight scored teams each, and team A and B of the hand-computed quarter (for
    the breakdown); the world's other teams have no figures."""
    w.town3 = Town.objects.create(county=w.county, name="石湾镇", kind=Town.Kind.TOWN)
    computed = datetime(2026, 11, 24, 3, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    w.refresh = Refresh.objects.create(county=w.county, status=Refresh.Status.DONE, computed_at=computed,
                                       finished_at=computed)
    w.scores = {}
    for town_name, scores in SCORES.items():
        town = getattr(w, town_name)
        for index, score in enumerate(scores):
            village = Village.objects.create(town=town, name=f"{town.name[:2]}{index + 1}村")
            team = Team.objects.create(village=village, name=f"{village.name}驻点团队")
            snapshot(w.refresh, Unit.TEAM, team, attendance(score))
            w.scores[team.name] = score
        snapshot(w.refresh, Unit.TOWN, town, attendance(TOWN_SCORES[town_name]))
    return w


@pytest.fixture
def county(world, now):
    return build_county(world)


@pytest.fixture
def published(county):
    round_ = assessments.create_round(by=county.org_department, county=county.county, period=Q3)
    return assessments.publish(round_=round_, by=county.org_department)


def by_hand(w):
    """(name, place) of every scored team of the county, best first, equal places by name."""
    ordered = sorted(w.scores.items(), key=lambda item: (-item[1], item[0]))
    return [(name, 1 + sum(1 for other in w.scores.values() if other > score)) for name, score in ordered]


def expected_lists(w):
    ranked = by_hand(w)
    # The 10th best scores 90, as the 11th does: both are red. The 10th worst scores 58.
    red = [(name, place) for name, place in ranked if w.scores[name] >= 90]
    black = sorted(((name, place) for name, place in ranked if w.scores[name] <= 58),
                   key=lambda item: (-item[1], item[0]))
    return red, black


def test_the_lists_rank_every_team_of_the_county_by_score(county, published):
    red, black = expected_lists(county)
    assert [place for _name, place in red] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10]
    assert [place for _name, place in black] == [23, 23, 22, 21, 20, 19, 18, 17, 16, 15]
    teams = assessments.standings(published)[Unit.TEAM]
    assert [(row.name, row.place) for row in teams.red] == red
    assert [(row.name, row.place) for row in teams.black] == black
    assert [row.tied for row in teams.red][-2:] == [True, True] and not teams.red[0].tied
    # Every team ranked: the scored by place, then the world's teams without figures.
    assert [(row.name, row.place) for row in teams.ranked if row.place] == by_hand(county)
    assert all(row.place is None for row in teams.ranked[len(county.scores):])
    # The stored rank stays the team's rank in its own town, as in the rounds already published.
    top_of_town3 = AssessmentResult.objects.get(round=published, unit=Unit.TEAM, name="石湾1村驻点团队")
    assert (top_of_town3.rank, next(r.place for r in teams.ranked if r.pk == top_of_town3.pk)) == (1, 6)


def test_the_towns_lists_rank_the_towns_with_ties(county, published):
    towns = assessments.standings(published)[Unit.TOWN]
    # Three towns scored: one on each list; the two at 80 share the second place, both black.
    assert [(row.name, row.place) for row in towns.red] == [("龙溪街道", 1)]
    assert [(row.name, row.place, row.tied) for row in towns.black] == sorted(
        [("罗阳街道", 2, True), ("石湾镇", 2, True)])


def listed(body, which):
    """(unit name, place) of a list on a page: its items' names and places, in order."""
    block = re.search(rf'data-list="{which}">(.*?)</(?:div|table)>', body, re.S).group(1)
    return [(name, int(place)) for place, name in re.findall(
        r'<li value="(\d+)".*?(?:<a [^>]*>)?([^<>]+驻点团队)', block, re.S)] or [
        (name, int(place)) for place, name in re.findall(r"<tr [^>]*><td>(\d+)[^<]*</td><td>([^<]+)", block)]


def test_the_page_the_print_and_the_export_show_the_same_lists_in_the_same_order(county, published, as_user):
    red, black = expected_lists(county)
    client = as_user(county.org_department)
    page = client.get(reverse("assessment-detail", args=[published.pk])).content.decode()
    assert listed(page, "red-team") == red and listed(page, "black-team") == black
    assert "得分相同者名次并列" in page and "1、2、2、4" in page
    printed = client.get(reverse("assessment-print", args=[published.pk])).content.decode()
    assert listed(printed, "red-team") == red and listed(printed, "black-team") == black
    assert "得分相同者名次并列" in printed
    # The print's teams: the county's ranking, as the lists take it.
    table = printed.split("全县驻点团队排名")[1]
    names = re.findall(r'<tr data-unit="team:\d+"><td>[^<]*</td><td>([^<]+)</td>', table)
    assert names[:len(county.scores)] == [name for name, _place in by_hand(county)]

    response = client.post("/reports/exports/assessment/", {"round": published.pk})
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    rows = [row for row in ws.iter_rows(min_row=3, values_only=True) if row[1] == "驻点团队" and row[0]]
    assert [(row[2], row[0]) for row in rows] == by_hand(county)
    assert [(row[2], row[0]) for row in rows[:len(red)]] == red
    assert [(row[2], row[0]) for row in rows[-len(black):]] == sorted(black, key=lambda item: (item[1], item[0]))


def test_a_town_office_reads_its_teams_places_in_the_county(county, published, as_user):
    body = as_user(county.town_office).get(reverse("assessment-detail", args=[published.pk])).content.decode()
    # The county's lists, other towns' teams unlinked (their pages are not the town office's).
    assert listed(body, "red-team") == expected_lists(county)[0]
    other = AssessmentResult.objects.get(round=published, name="龙溪1村驻点团队")
    assert reverse("assessment-unit", args=[published.pk, Unit.TEAM, other.unit_id]) not in body
    # Its teams: the rank in the town, then the place in the county.
    rows = re.findall(r'<td class="num rank">(\d+)</td><td class="num place">(\d+)</td>\s*<td><a [^>]*>([^<]+)',
                      body)
    assert rows[:4] == [("1", "1", "罗阳1村驻点团队"), ("2", "2", "罗阳2村驻点团队"), ("3", "3", "罗阳3村驻点团队"),
                        ("4", "13", "罗阳4村驻点团队")]


def test_the_api_gives_each_result_its_place_in_the_county(county, published, api_as):
    data = api_as(county.org_department).get(f"/api/v1/assessments/{published.pk}/").json()
    teams = {r["name"]: (r["rank"], r["place"]) for r in data["results"] if r["unit"] == "team"}
    assert teams["石湾1村驻点团队"] == (1, 6) and teams["石湾7村驻点团队"] == (7, 23)
    assert [r["place"] for r in data["results"] if r["unit"] == "town"] == [1, 2, 2]


@pytest.fixture
def quarter(world, now):
    """Team A scored on every metric, team B with satisfaction 0/0 (assessment_world's figures)."""
    computed = datetime(2026, 11, 24, 3, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    refresh = Refresh.objects.create(county=world.county, status=Refresh.Status.DONE, computed_at=computed,
                                     finished_at=computed)
    snapshot(refresh, Unit.TEAM, world.team_a, A_FIGURES)
    snapshot(refresh, Unit.TEAM, world.team_b, B_FIGURES)
    round_ = assessments.create_round(by=world.org_department, county=world.county, period=Q3)
    AssessmentResult.objects.filter(round=round_, unit_id=world.team_a.pk, unit=Unit.TEAM).update(
        deduction=Decimal("1.5"))
    return world, round_


def test_the_weight_column_shows_the_weights_a_0_0_metric_rescaled(quarter, as_user):
    w, round_ = quarter
    assert assessments.applied_weights(dict(B_FIGURES), assessments.DEFAULT_WEIGHTS) == {
        "attendance": Decimal("29.41"), "timely": Decimal("29.41"), "coverage": Decimal("23.53"),
        "satisfaction": None, "feedback": Decimal("17.65")}
    body = as_user(w.org_department).get(
        reverse("assessment-unit", args=[round_.pk, Unit.TEAM, w.team_b.pk])).content.decode()
    weights = dict(re.findall(r'data-metric="(\w+)">.*?</td>\s*<td class="num">[^<]*</td>\s*<td class="num">.*?</td>'
                              r'\s*<td class="num">(.*?)</td>', body, re.S))
    assert weights["attendance"].startswith("29.41") and "原定 25" in weights["attendance"]
    assert weights["coverage"].startswith("23.53") and weights["feedback"].startswith("17.65")
    assert "原定 15" in weights["satisfaction"] and "—" in weights["satisfaction"]
    # Team A had every metric to count: its weights are those set.
    body = as_user(w.org_department).get(
        reverse("assessment-unit", args=[round_.pk, Unit.TEAM, w.team_a.pk])).content.decode()
    assert "原定" not in body and ">25.00<" in body and ">20.00<" in body


def test_points_read_with_two_decimals_on_the_page_and_in_the_export(quarter, as_user):
    w, round_ = quarter
    client = as_user(w.org_department)
    body = client.get(reverse("assessment-unit", args=[round_.pk, Unit.TEAM, w.team_a.pk])).content.decode()
    # 22.50 + 20.00 + 10.00 + 11.25 + 7.50 = 71.25, − 1.50 = 69.75
    for points in ("22.50", "20.00", "10.00", "11.25", "7.50", "71.25", "−1.50"):
        assert f">{points}<" in body, points
    response = client.post("/reports/exports/assessment/", {"round": round_.pk})
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    row = next(r for r in ws.iter_rows(min_row=3) if r[2].value == w.team_a.name)
    headers = [c.value for c in ws[2]]
    for index, header in enumerate(headers):
        if header.endswith(("权重", "得分")) or header in ("督查扣分", "总分"):
            assert row[index].number_format == "0.00", header
    team_b = next(r for r in ws.iter_rows(min_row=3, values_only=True) if r[2] == w.team_b.name)
    assert [team_b[headers.index(f"{label} · 权重")] for label in ("出勤率", "走访覆盖率", "满意率")] == [
        29.41, 23.53, None]


@pytest.fixture
def tcounty(tworld):
    with time_machine.travel(NOW, tick=False):
        return build_county(tworld)


@pytest.mark.browser
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_lists_read_on_a_phone_and_a_desktop(tcounty, request, device, screenshot_dir):
    page = request.getfixturevalue(f"{device}_page")
    with time_machine.travel(NOW, tick=True):
        round_ = assessments.publish(round_=assessments.create_round(
            by=tcounty.org_department, county=tcounty.county, period=Q3), by=tcounty.org_department)
        browser_login(page, "orgdept")
        page.goto(page.base_url + reverse("assessment-detail", args=[round_.pk]))
        lists = page.locator("#red-black")
        red = lists.locator('[data-list="red-team"] li .who a').all_inner_texts()
        assert red == [name for name, _place in expected_lists(tcounty)[0]]
        places = lists.locator('[data-list="red-team"] li .place').all_inner_texts()
        assert [p.split()[0].rstrip("并列") for p in places][-2:] == ["10", "10"]
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
        # Each list item on one line on a desktop, at most two on a phone: the name is never squeezed.
        height = lists.locator('[data-list="red-team"] li').first.bounding_box()["height"]
        assert height < (60 if device == "phone" else 40), height
        lists.screenshot(path=screenshot_dir / f"red-black-{device}.png")
        page.screenshot(path=screenshot_dir / f"round-{device}.png", full_page=True)
        # The worst team's breakdown: its place in the county, the weight attendance counted with.
        lists.locator('[data-list="black-team"] li .who a').first.click()
        page.wait_for_url("**/team/*/")
        assert page.inner_text("[data-place]") == "23" and page.inner_text("[data-rank]") == "7"
        assert "100.00" in page.locator('tr[data-metric="attendance"]').inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
        page.screenshot(path=screenshot_dir / f"team-breakdown-{device}.png", full_page=True)
        # The town office: its teams' rank in the town beside their place in the county.
        page.context.clear_cookies()
        browser_login(page, "town")
        page.goto(page.base_url + reverse("assessment-detail", args=[round_.pk]))
        assert page.locator("#teams tr[data-unit] .place").all_inner_texts()[:4] == ["1", "2", "3", "13"]
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
        page.locator("#teams").screenshot(path=screenshot_dir / f"town-office-teams-{device}.png")
        if device == "desktop":
            page.goto(page.base_url + reverse("assessment-print", args=[round_.pk]))
            page.set_viewport_size({"width": 794, "height": 1123})
            page.emulate_media(media="print")
            page.screenshot(path=screenshot_dir / "round-print.png", full_page=True)
            page.pdf(path=str(screenshot_dir / "round-print.pdf"), format="A4")
            red = page.locator('[data-list="red-team"] tbody tr td:nth-child(2)').all_inner_texts()
            assert [name.split("（")[0] for name in red] == [name for name, _place in expected_lists(tcounty)[0]]

