"""The dashboards over the hand-counted November (test_metrics): each persona sees its own units
only, every rate opens the records behind it, within a constant number of queries."""

import re
from datetime import date

import pytest
import time_machine
from django.urls import reverse

from factories import TeamFactory
from reports.figures import selectors, services
from reports.models import PendingChange, Unit
from visits.models import Household

from .test_metrics import EXPECTED, UNITS, at, november  # noqa: F401  (the hand-counted November)

# Every test here reads the hand-counted November, as of the afternoon it was computed.
pytestmark = pytest.mark.usefixtures("november", "clock")

MONTH = "month:2026-11"
WEEK = "week:2026-W48"


@pytest.fixture
def clock():
    with time_machine.travel(at(25, 14), tick=False) as traveller:
        yield traveller


def url(world, name, *rest, period=MONTH):
    unit = UNITS[name]
    return reverse("dashboard", args=[unit, getattr(world, name).pk]) if not rest else reverse(
        "dashboard-records", args=[unit, getattr(world, name).pk, *rest]) + f"?period={period}"


SEES = {
    "cadre": {"team_a"}, "leader": {"team_a"}, "other_cadre": {"team_c"},
    "town_office": {"town1", "team_a", "team_b"},
    "org_department": {"county", "town1", "town2", "team_a", "team_b", "team_c"},
    "admin": {"county", "town1", "town2", "team_a", "team_b", "team_c"},
    "department": set(),
}


@pytest.mark.parametrize("persona", list(SEES))
def test_each_persona_sees_its_own_units_only(world, as_user, persona):
    client = as_user(getattr(world, persona))
    for name in UNITS:
        expected = 200 if name in SEES[persona] else 404
        assert client.get(url(world, name) + f"?period={MONTH}").status_code == expected, (persona, name)
        assert client.get(url(world, name, "attendance")).status_code == expected, (persona, name)


def test_anonymous_is_sent_to_log_in(world, client):
    response = client.get(url(world, "county"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("persona, target", [
    ("org_department", "county"), ("town_office", "town1"), ("cadre", "team_a"), ("department", None),
])
def test_the_reports_home_opens_the_users_own_dashboard(world, as_user, persona, target):
    response = as_user(getattr(world, persona)).get(reverse("dashboards"))
    if target is None:
        assert response.status_code == 302 and response["Location"] == reverse(
            "dashboard", args=[Unit.DEPARTMENT, world.dept1.pk])
    else:
        assert response.status_code == 302 and response["Location"] == url(world, target)


def cards(html):
    """{metric: (rate text, href)} of the headline cards."""
    found = {}
    for metric, body in re.findall(r'data-card="(\w+)">(.*?)</article>', html, re.S):
        link = re.search(r'href="([^"]+)"[^>]*>([^<]+)</a>', body)
        found[metric] = (link.group(2), link.group(1).replace("&amp;", "&")) if link else (
            re.search(r'class="rate none"[^>]*>([^<]+)<', body).group(1), None)
    return found


def test_the_county_month_reads_as_a_cadre_reads_it(world, as_user):
    html = as_user(world.org_department).get(url(world, "county") + f"?period={MONTH}").content.decode()
    figures = cards(html)
    assert figures["attendance"][0] == "80.0%" and "12/15" in html
    assert figures["timely"][0] == "60.0%" and figures["resolution"][0] == "33.3%"
    assert figures["feedback"][0] == "100.0%" and figures["satisfaction"][0] == "66.7%"
    assert "出勤率" in html and "及时率" in html and "走访覆盖率" in html and "重点提示" in html
    assert "数据更新于 2026-11-25 12:00" in html
    # Towns ranked; the departments beside them with their timeliness.
    assert world.town1.name in html and world.dept1.name in html


def test_no_rate_reads_as_a_dash_never_as_zero_or_a_hundred(world, as_user):
    html = as_user(world.org_department).get(url(world, "team_b") + f"?period={MONTH}").content.decode()
    figures = cards(html)
    assert figures["timely"] == ("—", None) and figures["coverage"] == ("—", None)
    assert figures["attendance"][0] == "100.0%"


@pytest.mark.parametrize("name", ["county", "town1", "town2", "team_a", "team_c"])
@pytest.mark.parametrize("period, column", [(WEEK, 0), (MONTH, 1)])
def test_every_rate_opens_the_records_behind_it(world, as_user, name, period, column):
    client = as_user(world.org_department)
    figures = cards(client.get(url(world, name) + f"?period={period}").content.decode())
    for metric, expected in EXPECTED[name].items():
        num, den = expected[column]
        text, href = figures[metric]
        if not den:
            assert (text, href) == ("—", None)
            continue
        page = client.get(href)
        assert page.status_code == 200
        assert (page.context["counted"], page.context["short"]) == (den, den - num), (name, metric, period)
        shown = len(re.findall(r"data-record=", page.content.decode()))
        assert shown == den - num, (name, metric)
        everything = client.get(href + "&show=all")
        assert len(re.findall(r"data-record=", everything.content.decode())) == den


def test_the_records_are_scoped_to_the_viewer(world, as_user):
    # The town office sees its own town's absences, and not a record of the other town's.
    office = as_user(world.town_office)
    page = office.get(url(world, "town1", "attendance"))
    assert page.context["short"] == 2 and "黄志明" in page.content.decode()  # the lawyer absent, then not marked
    assert office.get(url(world, "town2", "attendance")).status_code == 404
    assert office.get(url(world, "team_c", "timely")).status_code == 404


def test_the_county_counts_its_records_from_a_current_snapshot_and_afresh_after_a_change(world, as_user, clock):
    PendingChange.objects.all().delete()  # the world's own changes, which a worker would have applied
    client = as_user(world.org_department)
    href = url(world, "county", "coverage")
    num, den = EXPECTED["county"]["coverage"][1]
    assert (client.get(href).context["counted"], client.get(href).context["short"]) == (den, den - num)
    # A household moves out with no change noted: the counts are still the snapshot's …
    household = Household.objects.filter(
        village__town__county=world.county, registered_on__lte=date(2026, 11, 1), moved_out_on__isnull=True
    ).first()
    Household.objects.filter(pk=household.pk).update(moved_out_on=date(2026, 11, 2))
    assert client.get(href).context["counted"] == den
    # … and once a change in the period waits for the incremental refresh, they are counted afresh.
    services.note_change(household.village.town_id, date(2026, 11, 2))
    page = client.get(href)
    assert page.context["counted"] == den - 1 and 'class="notice"' in page.content.decode()
    # So they are the next day, with nothing waiting: the figures were computed yesterday.
    PendingChange.objects.all().delete()
    clock.move_to(at(26, 9))
    client = as_user(world.org_department)  # a new day's session
    assert client.get(href).context["counted"] == den - 1
    # Timely handling is always counted afresh: a step falls due any minute.
    clock.move_to(at(25, 14))
    assert client.get(url(world, "county", "timely")).context["counted"] == EXPECTED["county"]["timely"][1][1]


def test_an_import_for_an_earlier_month_shows_in_the_records_and_the_dashboard_says_it_is_updating(
        world, as_user):
    """A bulk import sends no model signal: it announces its change itself. Until the refresh
    has run, the county's records count afresh and the dashboard says its figures are being
    updated; then the figure and the records agree again."""
    from reports.excel import imports
    from reports.tests.test_imports import HOUSEHOLD_HEADER, xlsx

    PendingChange.objects.all().delete()
    client = as_user(world.org_department)
    october = url(world, "county", "coverage", period="month:2026-10")
    before = client.get(october).context["counted"]
    assert "正在更新" not in client.get(url(world, "county") + "?period=month:2026-10").content.decode()
    report = imports.run(world.admin, "households", xlsx(HOUSEHOLD_HEADER, [
        ["罗阳街道", "西区社区", "补录户", "建设路99号", "", "", 2, "", "2026-09-20"]]))
    assert report.written
    assert client.get(october).context["counted"] == before + 1
    assert "正在更新" in client.get(url(world, "county") + "?period=month:2026-10").content.decode()
    services.apply_pending(world.county.pk)
    page = client.get(october)
    assert page.context["counted"] == before + 1 == page.context["row"].coverage_den
    assert "正在更新" not in client.get(url(world, "county") + "?period=month:2026-10").content.decode()


def test_a_department_is_judged_on_timeliness_only(world, as_user):
    client = as_user(world.department)
    dept = reverse("dashboard", args=[Unit.DEPARTMENT, world.dept1.pk])
    assert client.get(dept).status_code == 200
    for metric, status in (("timely", 200), ("coverage", 404), ("attendance", 404)):
        records = reverse("dashboard-records", args=[Unit.DEPARTMENT, world.dept1.pk, metric])
        assert client.get(records).status_code == status


def test_needs_attention(world, as_user, settings):
    html = as_user(world.org_department).get(url(world, "county") + f"?period={MONTH}").content.decode()
    section = html.split('id="highlights"')[1].split("</section>")[0]
    # Below 95 %: team A's attendance (6/8), team C's attendance (5/6) and timeliness (0/2).
    assert world.team_a.name in section and world.team_c.name in section and world.team_b.name not in section
    assert "75.0%" in section and "0.0%" in section
    # I4, still open past its deadline.
    assert section.count('class="code"') == 1
    settings.DASHBOARD_ALERT_PERCENT = 80
    html = as_user(world.org_department).get(url(world, "county") + f"?period={MONTH}").content.decode()
    section = html.split('id="highlights"')[1].split("</section>")[0]
    assert world.team_a.name in section and "83.3%" not in section


def test_needs_attention_names_the_weakest_teams_and_counts_the_rest(world, as_user, monkeypatch):
    monkeypatch.setattr(selectors, "HIGHLIGHTS_SHOWN", 1)
    html = as_user(world.org_department).get(url(world, "county") + f"?period={MONTH}").content.decode()
    section = html.split('id="highlights"')[1].split("</section>")[0]
    # Team C's timeliness (0/2) is the weakest; team A (6/8) is counted but not listed.
    assert world.team_c.name in section and world.team_a.name not in section
    assert "共 2 个驻点团队低于该比例，以上列出最弱的 1 个" in section


def test_a_malformed_period_is_a_400_in_chinese_and_an_uncomputed_one_says_so(world, as_user):
    client = as_user(world.org_department)
    bad = client.get(url(world, "county"), {"period": "month:2026-13"})
    assert bad.status_code == 400 and "统计周期" in bad.content.decode()
    old = client.get(url(world, "county"), {"period": "year:2019"})
    assert old.status_code == 200 and "该周期的数据尚未计算" in old.content.decode()
    assert client.get(url(world, "county", "attendance", period="week:2026-W99")).status_code == 400


def test_ranking_by_a_metric(world, as_user):
    client = as_user(world.org_department)
    page = client.get(url(world, "county"), {"period": MONTH, "sort": "attendance", "order": "desc"})
    assert [m.obj for m in page.context["ranking"]] == [world.town2, world.town1]  # 5/6 above 7/9
    page = client.get(url(world, "county"), {"period": MONTH, "sort": "attendance", "order": "asc"})
    assert [m.obj for m in page.context["ranking"]] == [world.town1, world.town2]
    page = client.get(url(world, "town1"), {"period": MONTH, "sort": "timely"})
    assert [m.obj for m in page.context["ranking"]] == [world.team_a, world.team_b]  # B has no rate: last


def add_teams(world, n):
    for i in range(n):
        TeamFactory(village__town=world.town1, village__name=f"新村{i}",
                    schedule__place="村委会", schedule__starts_on=world.team_a.schedule.starts_on)


@pytest.mark.parametrize("persona, name", [("org_department", "county"), ("town_office", "town1"),
                                           ("cadre", "team_a"), ("org_department", "town1")])
def test_a_dashboard_takes_at_most_17_queries_however_many_teams(
        world, as_user, django_assert_max_num_queries, persona, name):
    """17 for a team's: its members' coverage (定点联系) is one query more."""
    client = as_user(getattr(world, persona))
    client.get(url(world, name))  # the session's first read
    with django_assert_max_num_queries(17 if name == "team_a" else 16) as few:
        assert client.get(url(world, name), {"period": MONTH}).status_code == 200
    add_teams(world, 6)
    services.refresh_in_process(world.county)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url(world, name), {"period": MONTH}).status_code == 200


def test_records_take_a_constant_number_of_queries(world, as_user, django_assert_max_num_queries):
    client = as_user(world.org_department)
    client.get(url(world, "county"))
    for metric in ("attendance", "timely", "resolution", "feedback", "satisfaction", "coverage"):
        # … the records counted, those that meet the figure (two counts), the page
        with django_assert_max_num_queries(14):
            assert client.get(url(world, "county", metric) + "&show=all").status_code == 200


@pytest.mark.parametrize("period, expected", [
    ("year:2026", 200), ("week:2026-W53", 200),
    ("year:1999", 400), ("month:2100-01", 400), ("week:7802-W53", 400), ("week:2025-W53", 400),
])
def test_the_dashboard_takes_the_periods_the_api_takes(world, as_user, period, expected):
    """One rule for the periods (`periods.parse`): the years 2000 to 2099, week 53 only where
    there is one; a page and the API refuse the same keys."""
    client = as_user(world.org_department)
    page = client.get(reverse("dashboard", args=[Unit.COUNTY, world.county.pk]) + f"?period={period}")
    assert page.status_code == expected
    api = client.get("/api/v1/metrics/", {"unit": f"county:{world.county.pk}", "period": period})
    # A period taken but never computed (in the future, say) is the API's 404.
    assert (api.status_code == 400) == (expected == 400), api.content[:200]
