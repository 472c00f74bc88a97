"""The coverage planner: each member's households not yet visited this year spread over their
liaison days left (holidays, 调休 and leave counted), priority households first and once a
quarter, the risk at the member's pace, the stored plan on the home, the plan page and the day's
page within each role's scope, and a plan that follows the visits without ever holding one up."""

from datetime import date, datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from conftest import SHANGHAI, frozen_at
from core import broker
from factories import HouseholdFactory
from teams import attendance, services
from teams.models import Holiday, LiaisonDay
from visits import assignments, planner, tasks
from visits import services as visit_services
from visits.models import HouseholdTag, MemberPlan, PlannedVisit, Visit
from visits.planner import Home

from .conftest import TODAY  # Tuesday 24 November 2026, a liaison day of team A


def home(id, **kw):
    return Home(id=id, order=(id,), **kw)


def planned(result):
    return [(day, [h.id for h in homes]) for day, homes in result.days]


def test_even_shares_priority_first_and_a_priority_household_again_next_quarter():
    today = date(2026, 8, 20)  # third quarter
    days = [date(2026, 8, 25), date(2026, 9, 1), date(2026, 10, 6), date(2026, 11, 3), date(2026, 12, 1)]
    homes = [home(1, priority=True, visited_this_year=True, visited_this_quarter=True), home(2), home(3),
             home(4, visited_this_year=True)]
    # Household 1 was seen this quarter: due again in the fourth; 2 and 3 are due this year; 4 is done.
    assert planned(planner.plan(homes, days, today)) == [
        (date(2026, 8, 25), [2]), (date(2026, 9, 1), [3]), (date(2026, 10, 6), [1]),
        (date(2026, 11, 3), []), (date(2026, 12, 1), [])]
    unvisited_priority = home(5, priority=True)
    result = planner.plan([unvisited_priority, home(6)], days[:2], today)
    # Due this quarter (the first day) and again in the fourth, which has no day left: not placed.
    assert planned(result) == [(date(2026, 8, 25), [5]), (date(2026, 9, 1), [6])]
    assert [h.id for h in result.unplaced] == [5]
    assert planner.plan([home(7)], [], today).days == []


def test_the_risk_at_the_members_pace():
    # 212 of 300 visited over 40 liaison days: 5.3 a day, 21.2 more in the 4 days left, 66.8 short.
    assert planner.at_risk(households=300, visited=212, days_held=40, days_left=4) == (67, 5.3)
    assert planner.at_risk(households=300, visited=300, days_held=40, days_left=0) == (0, 7.5)
    # No liaison day held yet: no pace, and only a year with no day left puts households at risk.
    assert planner.at_risk(households=10, visited=0, days_held=0, days_left=3) == (0, None)
    assert planner.at_risk(households=10, visited=2, days_held=0, days_left=0) == (8, None)


def day_of(team, day, status=LiaisonDay.Status.SCHEDULED):
    return LiaisonDay.objects.create(team=team, scheduled_date=day, date=day, half_day="morning", place="村委会",
                                     status=status)


@pytest.fixture
def cadres_year(world, liaison_tuesday):
    """The cadre of team A (liaison day: Tuesday) with eight households and a hand-worked year-end.

    Days left from 24 November: 24 Nov, 1 Dec (the cadre's leave), 8 Dec (a public holiday,
    generated cancelled), 15 Dec (the last generated), then from the schedule 22 Dec and 29 Dec (a
    public holiday, left out). A make-up working day, Saturday 12 Dec, adds no liaison day. Days
    held this year: four, and one cancelled. So three days: 24 Nov, 15 Dec, 22 Dec."""
    Holiday.objects.create(date=date(2026, 12, 8), kind=Holiday.Kind.HOLIDAY, name="测试假日")
    Holiday.objects.create(date=date(2026, 12, 29), kind=Holiday.Kind.HOLIDAY, name="测试假日二")
    Holiday.objects.create(date=date(2026, 12, 12), kind=Holiday.Kind.WORKDAY, name="测试调休")
    services.generate_liaison_days(weeks=3)
    for day in (date(2026, 10, 6), date(2026, 10, 13), date(2026, 10, 20), date(2026, 11, 3)):
        day_of(world.team_a, day)
    day_of(world.team_a, date(2026, 10, 27), LiaisonDay.Status.CANCELLED)
    first_of_december = LiaisonDay.objects.get(team=world.team_a, date=date(2026, 12, 1))
    attendance.ask_leave(user=world.cadre, liaison_day=first_of_december, reason="市里开会")

    def make(address, *tags):
        return HouseholdFactory(village=world.village_a, address=f"建设路{address}号", head_name=f"住户{address}",
                                registered_on=date(2020, 1, 1), tags=tags)

    h = type("Homes", (), {})()
    h.p1, h.p2, h.p3 = make(2, "dibao"), make(10, "elderly-alone"), make(3, "disabled")
    h.n1, h.n2, h.n3, h.n4, h.n5 = make(1), make(4), make(5, "poverty-watch"), make(9), make(11)
    assignments.assign(by=world.leader, team=world.team_a, member=world.cadre,
                       households=[h.p1, h.p2, h.p3, h.n1, h.n2, h.n3, h.n4, h.n5])
    for household, day in ((h.p2, date(2026, 8, 4)), (h.p3, date(2026, 10, 13)), (h.n1, date(2026, 3, 3))):
        visit_services.log_visit(by=world.cadre, kind=Visit.Kind.HOUSEHOLD, date=day, village=world.village_a,
                                 households=[household])
    planner.refresh_village(world.village_a.pk)
    return h


def test_a_hand_worked_year_end(world, cadres_year):
    h = cadres_year
    team = planner.teams_to_plan(type(world.team_a).objects.filter(pk=world.team_a.pk))
    held, left = planner.liaison_days_left(team, TODAY)[world.team_a.pk]
    assert left == [date(2026, 11, 24), date(2026, 12, 1), date(2026, 12, 15), date(2026, 12, 22)]
    assert len(held) == 4
    plan = MemberPlan.objects.get(membership__user=world.cadre)
    # Six visits over three days, two a day: the two priority households due this quarter first
    # (2号 before 10号), then those not visited this year in the order of the street (9号 before 11号).
    assert (plan.households, plan.visited, plan.priority_due, plan.days_left) == (8, 3, 2, 3)
    assert (plan.next_date, plan.next_count) == (TODAY, 2)
    rows = PlannedVisit.objects.filter(membership__user=world.cadre).order_by("date", "position")
    assert [(r.date, r.household_id, r.priority) for r in rows] == [
        (TODAY, h.p1.pk, True), (TODAY, h.p2.pk, True),
        (date(2026, 12, 15), h.n2.pk, False), (date(2026, 12, 15), h.n3.pk, False)]
    # Three of eight over four days held: 0.75 a day, 2.25 more in three days, 5 not yet: 3 at risk.
    assert (plan.at_risk, plan.pace) == (3, 0.75)


def test_the_home_card_and_one_tap_to_log_the_visit(world, cadres_year, as_user):
    h = cadres_year
    page = as_user(world.cadre).get(reverse("home")).content.decode()
    assert "本次驻点日建议走访 2 户" in page
    assert "按当前进度，年底将有 3 户未走访" in page
    link = f"{reverse('visit-new')}?village={world.village_a.pk}&amp;households={h.p1.pk}"
    assert link in page
    form = as_user(world.cadre).get(reverse("visit-new"), {"village": world.village_a.pk,
                                                           "households": f"{h.p1.pk},{h.p2.pk}"})
    assert {x.pk for x in form.context["chosen"]} == {h.p1.pk, h.p2.pk}
    ticked = as_user(world.cadre).get(reverse("visit-new"), [("village", world.village_a.pk),
                                                              ("households", h.p1.pk), ("households", h.p2.pk)])
    assert {x.pk for x in ticked.context["chosen"]} == {h.p1.pk, h.p2.pk}


def test_a_visit_drops_its_household_from_the_card_before_the_plan_is_made_again(
        world, cadres_year, liaison_tuesday, as_user, django_capture_on_commit_callbacks):
    h = cadres_year
    liaison_tuesday.shift(60)
    with django_capture_on_commit_callbacks(execute=True):
        visit_services.log_visit(by=world.lawyer, kind=Visit.Kind.HOUSEHOLD, date=TODAY, village=world.village_a,
                                 households=[h.p1])
    page = as_user(world.cadre).get(reverse("home")).content.decode()
    assert "本次驻点日建议走访 1 户" in page
    assert f'data-household="{h.p1.pk}"' not in page
    planner.refresh_village(world.village_a.pk)
    assert MemberPlan.objects.get(membership__user=world.cadre).visited == 4


def test_a_visit_to_any_household_is_logged_with_redis_down(
        world, cadres_year, as_user, settings, monkeypatch, django_capture_on_commit_callbacks):
    """Not only the planned ones: the plan never refuses a visit, and a dead Redis (the cache and
    the broker) turns none into an error."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}
    monkeypatch.setattr(broker, "_quiet_until", 0.0)
    unplanned = cadres_year.n5
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(world.cadre).post(reverse("visit-new"), {
            "kind": Visit.Kind.HOUSEHOLD, "date": TODAY.isoformat(), "village": world.village_a.pk,
            "cadres": [world.cadre.pk], "households": [unplanned.pk], "notes": "",
        })
    assert response.status_code == 302, response.content.decode()[:500]
    assert Visit.objects.filter(households=unplanned, date=TODAY).count() == 1
    assert not broker.available()  # it tried, once, and left the plan to the night


@pytest.mark.parametrize("persona, sees_cadre", [
    ("cadre", False), ("leader", True), ("town_office", True), ("org_department", True), ("admin", True),
    ("other_leader", False), ("department", False),
])
def test_members_at_risk_by_scope(world, cadres_year, as_user, persona, sees_cadre):
    page = as_user(getattr(world, persona)).get(reverse("visit-plan"))
    assert page.status_code == 200
    listed = [p.membership.user for p in page.context.get("page", [])]
    assert (world.cadre in listed) is sees_cadre
    villages = [v["team"] for v in page.context.get("villages", [])]
    assert (world.team_a.pk in villages) is sees_cadre


def test_the_plan_page_asks_a_sign_in(db, client):
    assert client.get(reverse("visit-plan")).status_code == 302


def test_the_days_page_by_member_within_scope(world, cadres_year, as_user):
    day = LiaisonDay.objects.get(team=world.team_a, date=TODAY)
    other = HouseholdFactory(village=world.village_a, address="人民路1号", registered_on=date(2020, 1, 1))
    assignments.assign(by=world.leader, team=world.team_a, member=world.lawyer, households=[other])
    planner.refresh_village(world.village_a.pk)
    url = reverse("visit-plan-day", args=[day.pk])
    as_leader = as_user(world.leader).get(url)
    assert {r["member"] for r in as_leader.context["rows"]} == {world.cadre, world.lawyer}
    assert "走访 2 户" in as_leader.content.decode()
    as_cadre = as_user(world.cadre).get(url)
    assert [r["member"] for r in as_cadre.context["rows"]] == [world.cadre]
    assert as_user(world.other_cadre).get(url).status_code == 404
    # The day's sheet (teams) links to it.
    assert url in as_user(world.leader).get(reverse("liaison-day", args=[day.pk])).content.decode()


def test_a_member_on_leave_that_day_is_shown_so(world, cadres_year, as_user):
    day = LiaisonDay.objects.get(team=world.team_a, date=date(2026, 12, 1))
    rows = as_user(world.leader).get(reverse("visit-plan-day", args=[day.pk])).context["rows"]
    assert [(r["member"], r["on_leave"], r["homes"]) for r in rows] == [(world.cadre, True, [])]


def test_pages_run_a_constant_number_of_queries(world, cadres_year, as_user, django_assert_max_num_queries):
    day = LiaisonDay.objects.get(team=world.team_a, date=TODAY)

    # The home: its own 12 (teams/tests/test_pages.py) and the planned day's households and their tags.
    pages = [(world.cadre, reverse("home"), 13), (world.org_department, reverse("visit-plan"), 9),
             (world.leader, reverse("visit-plan-day", args=[day.pk]), 9)]

    def load():
        for user, url, most in pages:
            client = as_user(user)
            client.get(url)  # the session's and the content types' first reads
            with django_assert_max_num_queries(most):
                assert client.get(url).status_code == 200

    load()
    more = [HouseholdFactory(village=world.village_a, address=f"新街{n}号", registered_on=date(2020, 1, 1),
                             tags=["dibao"]) for n in range(20)]
    assignments.assign(by=world.leader, team=world.team_a, member=world.cadre, households=more)
    assignments.assign(by=world.leader, team=world.team_a, member=world.lawyer, households=more[:5], pair=True)
    planner.refresh_village(world.village_a.pk)
    load()


def test_the_night_plans_every_town(world, cadres_year):
    MemberPlan.objects.all().delete()
    PlannedVisit.objects.all().delete()
    for town in (world.town1, world.town2):
        planner.refresh_town(town.pk)
    assert MemberPlan.objects.filter(membership__user=world.cadre).exists()


@pytest.mark.celery_worker
def test_a_logged_visit_is_planned_again_by_a_real_worker(tworld):
    """No frozen clock: the worker process keeps the real one."""
    from liaison.tests.test_celery_worker import emptied, start_worker, stop, wait_for

    today = timezone.localdate()
    services.generate_liaison_days(weeks=2)
    homes = [HouseholdFactory(village=tworld.village_a, address=f"建设路{n}号", registered_on=date(2020, 1, 1))
             for n in range(1, 4)]
    assignments.assign(by=tworld.leader, team=tworld.team_a, member=tworld.cadre, households=homes)
    planner.refresh_village(tworld.village_a.pk)
    assert MemberPlan.objects.get(membership__user=tworld.cadre).visited == 0
    cache.delete(tasks.queued_key(tworld.village_a.pk))  # a mark an earlier test's village of that id left
    worker = start_worker(emptied("figures"))
    try:
        visit_services.log_visit(by=tworld.cadre, kind=Visit.Kind.HOUSEHOLD, date=today, village=tworld.village_a,
                                 households=[homes[0]])
        wait_for(lambda: MemberPlan.objects.get(membership__user=tworld.cadre).visited == 1, 60,
                 "the worker did not plan the village again")
    finally:
        output = stop(worker)
    assert not PlannedVisit.objects.filter(household=homes[0]).exists(), output


def test_the_plan_follows_the_figures_queue_and_the_night_the_sweeps():
    from liaison.celery import app

    def queue_of(name):
        return app.amqp.router.route({}, name)["queue"].name

    assert [queue_of(f"visits.tasks.{name}") for name in ("plan_town", "plan_village", "plan_all")] == [
        "figures", "figures", "sweeps"]


def test_after_the_years_last_liaison_day_every_household_left_is_at_risk(world, cadres_year):
    with frozen_at(datetime(2026, 12, 30, 9, 0, tzinfo=SHANGHAI)):
        planner.refresh_village(world.village_a.pk)
    plan = MemberPlan.objects.get(membership__user=world.cadre)
    assert (plan.days_left, plan.next_date, plan.at_risk) == (0, None, 5)
    assert not PlannedVisit.objects.filter(membership__user=world.cadre).exists()


@pytest.mark.browser
def test_on_a_phone_the_cadre_taps_a_planned_household_and_logs_the_visit(tworld, phone_page, screenshot_dir):
    """No frozen clock (the live server keeps the real one): today is made a liaison day of team A."""
    from conftest import browser_login

    w, page, today = tworld, phone_page, timezone.localdate()
    LiaisonDay.objects.create(team=w.team_a, scheduled_date=today, date=today, half_day="morning", place="村委会")
    names = ["王秀英", "张国强", "陈桂兰", "李志明", "黄美玲", "刘德华", "何丽萍"]
    homes = [HouseholdFactory(village=w.village_a, head_name=name, address=f"西区社区建设路{n}号",
                              registered_on=date(2020, 1, 1), tags=["dibao"] if n == 3 else [])
             for n, name in enumerate(names, start=1)]
    assignments.assign(by=w.leader, team=w.team_a, member=w.cadre, households=homes)
    planner.refresh_village(w.village_a.pk)
    first = PlannedVisit.objects.filter(membership__user=w.cadre, date=today).order_by("position").first()
    assert first.household == homes[2]  # the priority household leads

    browser_login(page, "cadre")
    page.goto(page.base_url + "/")
    card = page.locator("section.plan")
    assert "本次驻点日建议走访" in card.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=screenshot_dir / "plan-1-home-card.png", full_page=True)
    with page.expect_navigation():
        card.locator(f"li[data-household='{first.household_id}'] a.button").click()
    assert page.locator("#picked input:checked").count() == 1
    page.screenshot(path=screenshot_dir / "plan-2-visit-form.png", full_page=True)
    page.click("button[name=save]")
    page.wait_for_selector(".messages .success")
    assert Visit.objects.get().households.get() == homes[2]
    page.goto(page.base_url + "/")
    assert page.locator(f"section.plan li[data-household='{first.household_id}']").count() == 0

    page.context.clear_cookies()
    browser_login(page, "leader")
    page.goto(page.base_url + "/visits/plan/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=screenshot_dir / "plan-3-plan-page-leader.png", full_page=True)
    day = LiaisonDay.objects.get(team=w.team_a, date=today)
    page.goto(page.base_url + f"/visits/plan/days/{day.pk}/")
    page.screenshot(path=screenshot_dir / "plan-4-day-plan.png", full_page=True)


def test_the_demos_orm_reads_what_the_postgresql_statement_reads(world, cadres_year):
    """SQLite (`make run` with no service) plans through the ORM: the same rows, the same plan."""
    teams = planner.teams_to_plan(type(world.team_a).objects.filter(pk=world.team_a.pk))
    tags = list(HouseholdTag.objects.filter(code__in=planner.PRIORITY_TAGS).values_list("pk", flat=True))
    by_orm = planner._rows_by_orm(teams, TODAY, tags, date(2026, 10, 1))
    assert sorted(map(repr, by_orm)) == sorted(map(repr, planner._rows(teams, TODAY)))
