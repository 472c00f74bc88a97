"""A county at work, for the tests that walk every route, every API operation and every page:
the personas' liaison days, households, visits, issues at each level, a photo and a notice."""

import sys
from collections import Counter

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from issues import services as issue_services
from issues.models import Category, Issue, Notification, Photo
from teams import services as team_services
from teams.models import LiaisonDay
from visits import services as visit_services
from visits.models import Household, HouseholdTag


@pytest.fixture
def busy_world(world, liaison_tuesday, settings, tmp_path):
    """`world` (conftest.py) on Tuesday 24 November 2026, its liaison day: see `populate`."""
    settings.MEDIA_ROOT = tmp_path
    return populate(world)


@pytest.fixture
def tbusy_world(tworld, settings, tmp_path):
    """The same, committed (for the browser), on the real day."""
    settings.MEDIA_ROOT = tmp_path
    return populate(tworld)


def populate(w):
    """Adds to the world: the teams' liaison days, `day_a` and `day_c` the next (today's, on a
    Tuesday); households `home_a` (team A's village) and `home_c` (team C's); today's visits
    `visit_a`, `visit_c`; issues `issue_a` (at the village, with photo `photo_a`), `issue_town`
    (escalated to the town), `issue_county` (信访局 called in), `issue_done` (resolved), `issue_c`
    (team C's village); `notice`, the cadre's notification of `issue_town`'s escalation."""
    today = timezone.localdate()
    team_services.generate_liaison_days(weeks=3)
    w.day_a, w.day_c = (
        LiaisonDay.objects.filter(team=team, date__gte=today).order_by("date").first() for team in (w.team_a, w.team_c)
    )
    # Reference data a committed world's flush removes along with everything else.
    dibao, _created = HouseholdTag.objects.get_or_create(code="dibao", defaults={"name": "低保户", "priority": 1})
    category, _created = Category.objects.get_or_create(
        code="livelihood", defaults={"name": "民生文化", "group": Category.Group.COMMITTEE}
    )
    w.home_a = visit_services.create_household(
        by=w.leader, village=w.village_a, head_name="王秀英", address="西区社区建设路12号",
        phone="13912345678", id_number="441322195001010025", tags=[dibao],
    )
    w.home_c = Household.objects.create(village=w.village_c, head_name="刘德华", address="龙溪村一组6号")
    w.visit_a = visit_services.log_visit(
        by=w.cadre, kind="household", date=today, village=w.village_a, households=[w.home_a],
        notes="王阿姨反映巷口路灯不亮。", needs_follow_up=True,
    )
    w.visit_c = visit_services.log_visit(by=w.other_cadre, kind="reception", date=today, village=w.village_c)

    def register(by, village, title, **extra):
        return issue_services.register(
            by=by, village=village, category=category, title=title, description=f"{title}，请尽快处理。",
            source=Issue.Source.RECEPTION, reporter_name="王秀英", reporter_phone="13912345678", **extra,
        )

    w.issue_a = register(w.cadre, w.village_a, "路灯不亮", household=w.home_a, visit=w.visit_a)
    w.photo_a = Photo.objects.create(issue=w.issue_a, image=ContentFile(b"\xff\xd8\xff\xe0 photo", name="lamp.jpg"))
    w.issue_town = register(w.cadre, w.village_a, "排水沟堵塞")
    issue_services.escalate(issue=w.issue_town, by=w.leader, reason="涉及市政排水，村里无法解决")
    w.issue_county = register(w.cadre, w.village_a, "危房改造")
    issue_services.escalate(issue=w.issue_county, by=w.leader, reason="需要镇里协调")
    issue_services.escalate(issue=w.issue_county, by=w.town_office, reason="需县级部门协调", department=w.dept1)
    w.issue_done = register(w.leader, w.village_a, "垃圾清运不及时")
    issue_services.resolve(issue=w.issue_done, by=w.leader, result="已协调保洁公司每日清运")
    w.issue_c = register(w.other_cadre, w.village_c, "村道破损")
    for issue in (w.issue_a, w.issue_town, w.issue_county, w.issue_done, w.issue_c):
        issue.refresh_from_db()
    w.notice = Notification.objects.filter(user=w.cadre, issue=w.issue_town).latest("pk")
    return w

# The schemathesis figures of the xdist workers, added up on the controller.
WORKERS_TOTALS = Counter()


def schemathesis_figures():
    """This process's schemathesis figures, when it ran liaison/tests/test_schemathesis.py."""
    module = sys.modules.get("liaison.tests.test_schemathesis")
    if module is None:
        return Counter()
    return Counter(module.TOTALS, operations=len(module.operations()), personas=len(module.PERSONAS))


def pytest_sessionfinish(session):
    """An xdist worker hands its figures to the controller (pytest_testnodedown)."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["schemathesis"] = dict(schemathesis_figures())


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    figures = Counter(getattr(node, "workeroutput", {}).get("schemathesis", {}))
    for same_everywhere in ("operations", "personas"):
        WORKERS_TOTALS[same_everywhere] = max(WORKERS_TOTALS[same_everywhere], figures.pop(same_everywhere, 0))
    WORKERS_TOTALS.update(figures)


def pytest_terminal_summary(terminalreporter):
    totals = schemathesis_figures() + WORKERS_TOTALS
    if not totals["examples"]:
        return
    answers = ", ".join(f"{totals[c]} {c}" for c in ("2xx", "3xx", "4xx", "5xx"))
    terminalreporter.write_line(
        f"schemathesis: {totals['operations']} operations × {totals['personas']} personas, "
        f"{totals['examples']} examples, {totals['requests']} requests ({answers}; {totals['with NUL']} with a NUL), "
        f"{totals['failures']} failures"
    )
