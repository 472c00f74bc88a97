"""One "overdue", one "open" (issue 19): overdue now is every open issue past its due time,
whenever it was received. The ledger's filter, the API's, the homes, the dashboards' figures of
now, their 重点提示 and their ranking count it alike; the snapshot's counts say that they count
the issues received in the period. A department's dashboard shows its queue and its timeliness,
not the teams' visits and attendance."""

import re
from datetime import datetime
from urllib.parse import urlsplit

import pytest
import time_machine
from django.urls import reverse

from issues import services as ledger
from issues.models import Category, Issue
from reports.figures import services
from reports.models import Unit

from .test_metrics import SH, UNITS, november  # noqa: F401  (the hand-counted November)

DECEMBER = "month:2026-12"


def moment(month, day, hour=9, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


@pytest.fixture
def december(world, november):  # noqa: F811
    """2 December 14:00, the figures computed afresh. Nothing was received in December, while
    three issues received in November are overdue now: I4 (due 9 Nov), I3 (reopened, due
    1 Dec) and I5 (due 2 Dec 09:00); I2, with the town until 3 Dec, is open and not overdue."""
    with time_machine.travel(moment(12, 2, 14), tick=False) as clock:
        services.refresh_in_process(world.county)
        yield clock


def dashboard_url(unit, obj, period=DECEMBER):
    return reverse("dashboard", args=[unit, obj.pk]) + f"?period={period}"


def current(html):
    """{figure: (count, link or None)} of the dashboard's figures of now."""
    found = {}
    for key, attrs, n in re.findall(r'data-current="(\w+)"([^>]*)><b>(\d+)</b>', html):
        href = re.search(r'href="([^"]+)"', attrs)
        found[key] = (int(n), href.group(1).replace("&amp;", "&") if href else None)
    return found


def section(html, anchor):
    return html.split(f'id="{anchor}"')[1].split("</section>")[0]


def listed_codes(html):
    return re.findall(r'class="code">([^<]+)</a>', section(html, "highlights"))


def home_figures(html, queue):
    part = re.search(rf'data-queue="{queue}".*?</section>', html, re.S).group(0)
    return {key: int(n) for key, n in re.findall(r'data-figure="(\w+)"[^>]*><b>(\d+)</b>', part)}


def listed(client, link):
    """How many issues the ledger (or a queue) lists at `link`."""
    return client.get(link).context["page"].count


def test_one_definition_for_a_query_and_for_an_issue_at_hand(world, december):
    now = moment(12, 2, 14)
    overdue = set(Issue.objects.overdue(now))
    assert overdue == {issue for issue in Issue.objects.all() if issue.is_overdue(now)}
    received = {issue: issue.received_at.astimezone(SH).day for issue in Issue.objects.all()}
    assert {received[issue] for issue in overdue} == {2, 20, 25}  # I4, I3, I5
    assert {received[issue] for issue in Issue.objects.open()} == {2, 18, 20, 25}  # and I2


def test_the_county_dashboard_says_what_its_home_and_its_highlights_say(world, december, as_user):
    client = as_user(world.org_department)
    html = client.get(dashboard_url(Unit.COUNTY, world.county)).content.decode()
    now = current(html)
    home = home_figures(client.get("/").content.decode(), "county")
    assert now["overdue"][0] == len(listed_codes(html)) == home["overdue"] == 3
    assert now["open"][0] == home["open"] == 4
    # The towns ranked, each with its issues overdue now: two in town 1 (I3, I5), one in town 2 (I4).
    ranking = dict(re.findall(r'data-unit="town:(\d+)">.*?data-overdue-now>(\d+)<', section(html, "ranking"), re.S))
    assert ranking == {str(world.town1.pk): "2", str(world.town2.pk): "1"}
    # The snapshot's counts say they count December's issues: none received, so none open or overdue.
    counts = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", html))
    assert counts["受理问题"] == counts["本期受理中仍未办结"] == counts["本期受理中已超期"] == "0"
    assert "当前超期" not in counts and "仍在办理" not in counts


@pytest.mark.parametrize("persona, name", [
    ("org_department", "county"), ("org_department", "town1"), ("org_department", "town2"),
    ("town_office", "town1"), ("cadre", "team_a"),
])
def test_the_api_the_ledger_and_the_dashboard_count_the_same_issues(world, december, as_user, api_as, persona, name):
    user = getattr(world, persona)
    client = as_user(user)
    now = current(client.get(dashboard_url(UNITS[name], getattr(world, name))).content.decode())
    expected = {"county": (4, 3), "town1": (3, 2), "town2": (1, 1), "team_a": (3, 2)}[name]
    assert (now["open"][0], now["overdue"][0]) == expected
    for key, (n, link) in now.items():
        query = urlsplit(link).query
        assert urlsplit(link).path == reverse("issue-list") and ("overdue=true" in query) == (key == "overdue")
        api = api_as(user).get("/api/v1/issues/?" + query).json()["count"]
        assert listed(client, link) == api == n, (key, link)


def call_in(world, name, department):
    """An issue of village A, escalated to the town and from there to `department` (吹哨报到)."""
    issue = ledger.register(by=world.cadre, village=world.village_a, category=Category.objects.get(code="livelihood"),
                            title=f"问题{name}", description="需要县级部门处理", source="reception",
                            reporter_name="王秀英", reporter_phone="13912345678")
    ledger.escalate(issue=issue, by=world.leader, reason="村里无法解决")
    ledger.escalate(issue=Issue.objects.get(pk=issue.pk), by=world.town_office, reason="需县级部门",
                    department=department)
    return Issue.objects.get(pk=issue.pk)


@pytest.fixture
def dept_queue(world):
    """信访局's queue on 10 December: A reopened after a dissatisfied rating (two steps of the
    department), B and C called in on 2 November, F on 20 November; D answered and closed; E with
    another department. A, B and C are overdue; F is due on 18 December."""
    issues = {}
    with time_machine.travel(moment(11, 2), tick=False) as clock:
        for name in "ABCD":
            issues[name] = call_in(world, name, world.dept1)
        issues["E"] = call_in(world, "E", world.dept2)
        clock.move_to(moment(11, 3))
        ledger.resolve(issue=issues["A"], by=world.department, result="已处理")
        ledger.rate(issue=Issue.objects.get(pk=issues["A"].pk), satisfaction="dissatisfied")
        ledger.resolve(issue=issues["D"], by=world.department, result="已处理")
        ledger.record_feedback(issue=Issue.objects.get(pk=issues["D"].pk), by=world.cadre, note="电话告知")
        clock.move_to(moment(11, 20))
        issues["F"] = call_in(world, "F", world.dept1)
        clock.move_to(moment(12, 10, 14))
        services.refresh_in_process(world.county)
        yield issues


def test_a_department_dashboard_shows_its_queue(world, dept_queue, as_user):
    client = as_user(world.department)
    html = client.get(dashboard_url(Unit.DEPARTMENT, world.dept1)).content.decode()
    now = current(html)
    queue = reverse("issue-department-queue")
    assert now["open"] == (4, queue) and listed(client, queue) == 4
    assert now["overdue"] == (3, queue + "?overdue=true") and listed(client, queue + "?overdue=true") == 3
    # 重点提示: each overdue issue of its queue, once (A has two steps of the department).
    assert sorted(listed_codes(html)) == sorted(dept_queue[name].display_code for name in "ABC")
    # Its timeliness, not the teams' visits, attendance and period counts, which are not its own.
    assert 'data-card="timely"' in html and 'data-card="attendance"' not in html
    for text in ("入户走访", "本期受理问题", "驻点团队", "已过驻点日但未登记签到"):
        assert text not in html, text
    # The organization department reads the same figures there.
    html = as_user(world.org_department).get(dashboard_url(Unit.DEPARTMENT, world.dept1)).content.decode()
    assert {key: n for key, (n, _link) in current(html).items()} == {"open": 4, "overdue": 3}
    assert len(listed_codes(html)) == 3


def test_a_department_dashboard_takes_a_constant_number_of_queries(world, dept_queue, as_user,
                                                                   django_assert_max_num_queries):
    client = as_user(world.department)
    url = dashboard_url(Unit.DEPARTMENT, world.dept1)
    client.get(url)  # the session's first read
    with django_assert_max_num_queries(12) as few:
        assert client.get(url).status_code == 200
    queries = len(few.captured_queries)
    for n in range(6):
        call_in(world, f"G{n}", world.dept1)
    with django_assert_max_num_queries(queries):
        html = client.get(url).content.decode()
    assert current(html)["open"][0] == 10


def test_the_county_dashboard_lists_overdue_issues_in_the_same_queries_however_many(
        world, december, as_user, django_assert_max_num_queries):
    client = as_user(world.org_department)
    url = dashboard_url(Unit.COUNTY, world.county)
    client.get(url)  # the session's first read
    with django_assert_max_num_queries(16) as few:
        shown = len(listed_codes(client.get(url).content.decode()))
    for n, (village, by) in enumerate([(world.village_a, world.cadre), (world.village_c, world.other_cadre)] * 2):
        ledger.register(
            by=by, village=village, category=Category.objects.first(), title=f"逾期{n}", description="详情",
            source=Issue.Source.PHONE, reporter_name="王秀英", reporter_phone="13912345678",
            received_at=moment(11, 16 + n),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(url).content.decode()
    # Each with its handler (the team in hand), read in the query after the issues'.
    assert len(listed_codes(html)) == shown + 4
    assert world.team_c.name in section(html, "highlights")
