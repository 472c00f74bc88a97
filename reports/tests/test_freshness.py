"""Figures that follow every change, exactly (DESIGN.md's freshness rule).

A property-based test: random sequences of backdated changes — households registered and moved
out on past days, memberships ended and begun in the past, visits, attendance corrections,
ledger transitions and ratings, Excel imports of households and rosters — interleaved with
incremental refreshes, full refreshes left half done, a change landing while an incremental
refresh is between reading its pending changes and writing its cells, and nights with their
nightly refresh. After each sequence every cell readers use equals a computation from scratch.

The clock starts each sequence just after the nightly refresh (02:30) and moves a second per
change, so that within a day nothing but the changes alters a figure (every deadline in the
world falls at another time of day); a night moves to the next day's 02:30 and runs the
nightly refresh, as beat does."""

from datetime import date, datetime, timedelta
from itertools import count
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES_FACTOR, build_world
from issues import services as ledger
from issues.models import Category, Issue
from reports.excel import imports
from reports.figures import grid, metrics, services
from reports.models import PendingChange, Refresh
from reports.tests.freshness import county_rows_date_from_their_oldest_part, differences
from reports.tests.test_imports import HOUSEHOLD_HEADER, ROSTER_HEADER, xlsx
from teams import attendance as team_attendance
from teams import services as rosters
from teams.models import Attendance, LiaisonDay, Membership, Role, Town
from visits import assignments
from visits import services as rolls
from visits.models import Household

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 24, 2, 30, tzinfo=SHANGHAI)  # a Tuesday, the county's liaison day
REFUSED = (ValidationError, PermissionDenied, ledger.LedgerError, imports.FileRefused)
EXAMPLES = 20 * EXAMPLES_FACTOR
names = count()


def _at_23(day):
    """Past events happen at 23:00, so that no deadline they start falls in the test's hours."""
    return datetime(day.year, day.month, day.day, 23, 0, tzinfo=SHANGHAI)


@pytest.fixture
def county_world(db):
    """The personas' county with nine weeks of liaison days (marked, some left pending), a roll
    of households, visits and a ledger, its figures computed by the nightly refresh."""
    with time_machine.travel(datetime(2026, 10, 1, 8, 0, tzinfo=SHANGHAI), tick=False):
        w = build_world()
        rosters.generate_liaison_days(weeks=9)
    w.lawyer.phone, w.volunteer.phone = "13800000003", "13800000004"
    w.lawyer.save(update_fields=["phone"])
    w.volunteer.save(update_fields=["phone"])
    statuses = ["present", "absent", "leave", None, "present"]
    rows = count()
    for day in LiaisonDay.objects.filter(date__lt=START.date(), status="scheduled").order_by("date", "pk"):
        entries = [{"member": row.member_id, "status": status, "note": "事假"}
                   for row in day.attendance.order_by("pk") if (status := statuses[next(rows) % 5])]
        with time_machine.travel(_at_23(day.date), tick=False):
            team_attendance.record_attendance(liaison_day=day, by=w.admin, entries=entries)
    with time_machine.travel(START, tick=False) as clock:
        for village in (w.village_a, w.village_b, w.village_c):
            for n, registered in enumerate((date(2025, 3, 1), date(2026, 1, 5), date(2026, 9, 1))):
                rolls.create_household(by=w.admin, village=village, head_name=f"户主{village.pk}{n}",
                                       address=f"{village.name}{n}号", registered_on=registered)
        for leader, village in ((w.leader, w.village_a), (w.other_leader, w.village_c)):
            homes = list(Household.objects.filter(village=village)[:2])
            for days_ago in (3, 40, 200):
                rolls.log_visit(by=leader, kind="household", date=START.date() - timedelta(days=days_ago),
                                village=village, households=homes)
        # 定点联系: the two teams' households shared among their members two months ago.
        for team in (w.team_a, w.team_c):
            assignments.distribute_evenly(by=w.admin, team=team, on=START.date() - timedelta(days=60))
        w.category = Category.objects.get(code="livelihood")
        for days_ago, village in ((2, w.village_a), (30, w.village_b), (90, w.village_c)):
            issue = _register(w, village, START.date() - timedelta(days=days_ago))
            if days_ago == 30:
                ledger.resolve(issue=issue, by=w.admin, result="已修复")
        clock.shift(timedelta(seconds=1))
        services.refresh_in_process(w.county)
        yield w, clock


def _register(w, village, day):
    received = _at_23(day) if day < timezone.localdate() else None
    return ledger.register(by=w.admin, village=village, category=w.category, title="路灯不亮",
                           description="巷口路灯坏了", source=Issue.Source.RECEPTION, reporter_name="王秀英",
                           reporter_phone="13912345678", received_at=received)


# The changes, each a function of the world, the drawing and today; a refusal writes nothing.

def register_household(w, draw, today):
    village = draw(st.sampled_from([w.village_a, w.village_b, w.village_c]))
    n = next(names)
    rolls.create_household(by=w.admin, village=village, head_name=f"新户{n}", address=f"新街{n}号",
                           registered_on=today - timedelta(days=draw(st.integers(0, 700))))


def move_out(w, draw, today):
    homes = list(Household.objects.filter(is_active=True).order_by("pk"))
    if homes:
        rolls.move_out(by=w.admin, household=draw(st.sampled_from(homes)),
                       on=today - timedelta(days=draw(st.integers(0, 500))))


def end_membership(w, draw, today):
    membership = draw(st.sampled_from(list(Membership.objects.order_by("pk"))))
    end = draw(st.one_of(st.none(), st.integers(0, 120).map(lambda n: today - timedelta(days=n))))
    rosters.change_membership(by=w.admin, membership=membership, end_date=end)


def add_membership(w, draw, today):
    rosters.add_membership(
        by=w.admin, team=draw(st.sampled_from([w.team_a, w.team_c])),
        user=draw(st.sampled_from([w.lawyer, w.volunteer, w.cadre])),
        role=draw(st.sampled_from([Role.LAWYER, Role.TOWN_CADRE, Role.VOLUNTEER])),
        start_date=today - timedelta(days=draw(st.integers(0, 120))),
    )


def visit(w, draw, today):
    leader, village = draw(st.sampled_from([(w.leader, w.village_a), (w.other_leader, w.village_c)]))
    homes = list(Household.objects.filter(village=village).order_by("pk"))
    chosen = draw(st.lists(st.sampled_from(homes), min_size=1, max_size=3, unique=True))
    rolls.log_visit(by=leader, kind=draw(st.sampled_from(["household", "household", "reception"])),
                    date=today - timedelta(days=draw(st.integers(0, 400))), village=village, households=chosen)


def correct_attendance(w, draw, today):
    rows = list(Attendance.objects.filter(
        liaison_day__date__range=(today - timedelta(days=7), today),
        liaison_day__status=LiaisonDay.Status.SCHEDULED).order_by("pk"))
    if rows:
        row = draw(st.sampled_from(rows))
        status = draw(st.sampled_from(["present", "absent", "leave"]))
        team_attendance.record_attendance(liaison_day=row.liaison_day, by=w.admin,
                                  entries=[{"member": row.member_id, "status": status, "note": "事假"}])


def register_issue(w, draw, today):
    village = draw(st.sampled_from([w.village_a, w.village_b, w.village_c]))
    _register(w, village, today - timedelta(days=draw(st.integers(0, 300))))


def transition(w, draw, today):
    issues = list(Issue.objects.order_by("pk"))
    issue = draw(st.sampled_from(issues))
    action = draw(st.sampled_from(["escalate", "resolve", "explain", "feedback", "satisfied", "dissatisfied"]))
    if action == "escalate":
        ledger.escalate(issue=issue, by=w.admin, reason="需上级协调", department=w.dept1)
    elif action == "resolve":
        ledger.resolve(issue=issue, by=w.admin, result="已处理")
    elif action == "explain":
        ledger.explain(issue=issue, by=w.admin, explanation="政策不允许")
    elif action == "feedback":
        ledger.record_feedback(issue=issue, by=w.admin, note="电话告知")
    else:
        ledger.rate(issue=issue, satisfaction=action)


def import_households(w, draw, today):
    rows = []
    for _ in range(draw(st.integers(1, 3))):
        registered = (today - timedelta(days=draw(st.integers(0, 600)))).isoformat()
        existing = draw(st.one_of(st.none(), st.sampled_from(list(Household.objects.order_by("pk")))))
        if existing is None:
            n = next(names)
            village = draw(st.sampled_from([w.village_a, w.village_c]))
            rows.append([village.town.name, village.name, f"导入户{n}", f"导入街{n}号", "", "", 2, "", registered])
        else:
            village = existing.village
            rows.append([village.town.name, village.name, existing.head_name, existing.address, "", "", 2, "",
                         registered])
    imports.run(w.admin, "households", xlsx(HOUSEHOLD_HEADER, rows), valid_only=True)


def import_roster(w, draw, today):
    user = draw(st.sampled_from([w.lawyer, w.volunteer]))
    role = draw(st.sampled_from([Role.LAWYER, Role.TOWN_CADRE]))
    with translation.override("zh-hans"):
        role_name = str(Role(role).label)
    since = (today - timedelta(days=draw(st.integers(0, 90)))).isoformat()
    imports.run(w.admin, "roster", xlsx(ROSTER_HEADER, [[user.name, user.phone, "罗阳街道", "西区社区", role_name,
                                                          since]]), valid_only=True)


def _team_and_member(w, draw, today):
    team = draw(st.sampled_from([w.team_a, w.team_c]))
    members = [m.user for m in Membership.objects.filter(team=team).select_related("user").order_by("pk")]
    return team, draw(st.sampled_from(members)), today - timedelta(days=draw(st.integers(0, 90)))


def assign(w, draw, today):
    team, member, day = _team_and_member(w, draw, today)
    homes = list(Household.objects.filter(village=team.village).order_by("pk"))
    chosen = draw(st.lists(st.sampled_from(homes), min_size=1, max_size=3, unique=True))
    assignments.assign(by=w.admin, team=team, households=chosen, member=member, on=day,
                       pair=draw(st.booleans()))


def reassign_all(w, draw, today):
    team, member, day = _team_and_member(w, draw, today)
    other = draw(st.sampled_from([m.user for m in Membership.objects.filter(team=team).select_related("user")
                                  .order_by("pk")]))
    assignments.reassign_all(by=w.admin, team=team, from_member=member, to_member=other, on=day)


def unassign(w, draw, today):
    team, _member, day = _team_and_member(w, draw, today)
    homes = list(Household.objects.filter(village=team.village).order_by("pk"))
    assignments.unassign(by=w.admin, team=team, households=[draw(st.sampled_from(homes))], on=day)


CHANGES = [register_household, move_out, end_membership, add_membership, visit, correct_attendance,
           register_issue, transition, transition, import_households, import_roster, assign, reassign_all, unassign]


class Sequence:
    """One drawn sequence: the world, the clock, and a full refresh it may have left half done."""

    def __init__(self, w, clock, draw):
        self.w, self.clock, self.draw = w, clock, draw
        self.running, self.nights = None, 0

    def tick(self):
        self.clock.shift(timedelta(seconds=1))

    def change(self, change):
        self.tick()
        try:
            with transaction.atomic():
                change(self.w, self.draw, timezone.localdate())
        except REFUSED:
            pass

    def apply(self):
        self.tick()
        services.apply_pending(self.w.county.pk)

    def apply_with_a_change_landing(self):
        """A change lands after the refresh read its pending changes and wrote its teams' cells,
        before it adds up the town's (another connection committing at that moment would, under
        READ COMMITTED; here the hook runs it on the refresh's own connection, once)."""
        change = self.draw(st.sampled_from(CHANGES))
        real, landed = grid.write_teams, []

        def compute_then_change(*args, **kwargs):
            cells = real(*args, **kwargs)
            if not landed:
                landed.append(True)
                self.change(change)
            return cells

        self.tick()
        with mock.patch.object(grid, "write_teams", compute_then_change):
            services.apply_pending(self.w.county.pk)

    def refresh_step(self):
        """A full refresh one task at a time: started, a town, another, the county."""
        self.tick()
        if self.running is not None and not Refresh.objects.filter(pk=self.running.pk).exists():
            self.running = None  # a newer refresh finished first and dropped it, as it drops one lost
        if self.running is None:
            self.running = services.start_full_refresh(self.w.county)
            return
        done = set(self.running.snapshots.filter(unit="town").values_list("unit_id", flat=True))
        left = list(Town.objects.filter(county=self.w.county).exclude(pk__in=done).order_by("pk"))
        if left:
            services.refresh_towns(self.running.pk, [left[0].pk])
        else:
            services.finish_refresh(self.running.pk)
            self.running = None

    def finish_running(self):
        while self.running is not None:
            self.refresh_step()

    def full_refresh(self):
        self.tick()
        services.refresh_in_process(self.w.county)

    def night(self):
        if self.nights == 2:
            return
        self.nights += 1
        self.finish_running()
        self.clock.move_to(timezone.localtime().replace(hour=2, minute=30, second=0, microsecond=0) + timedelta(days=1))
        services.refresh_in_process(self.w.county)


STEPS = ["change"] * 8 + ["apply", "apply", "apply_with_a_change_landing", "refresh_step", "refresh_step",
                          "full_refresh", "night"]


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_after_any_interleaving_of_changes_and_refreshes_every_figure_is_exact(county_world, data):
    w, clock = county_world
    clock.move_to(START)
    with transaction.atomic():
        sequence = Sequence(w, clock, data.draw)
        for step in data.draw(st.lists(st.sampled_from(STEPS), min_size=4, max_size=12), label="steps"):
            if step == "change":
                sequence.change(data.draw(st.sampled_from(CHANGES), label="change"))
            else:
                getattr(sequence, step)()
        sequence.finish_running()
        sequence.apply()
        assert not PendingChange.objects.exists()
        assert differences(w.county) == []
        county_rows_date_from_their_oldest_part(w.county)
        transaction.set_rollback(True)


def test_a_change_noted_while_a_refresh_computes_is_counted_by_the_next(county_world):
    """The first of the interleavings above, written out (issue 28): a correction of the same
    liaison day lands while the refresh computes the first one; the next refresh counts it."""
    w, clock = county_world
    day = LiaisonDay.objects.get(team=w.team_a, date=START.date() - timedelta(days=7))
    first, second = day.attendance.order_by("pk")[:2]
    team_attendance.record_attendance(liaison_day=day, by=w.leader, entries=[
        {"member": first.member_id, "status": "absent" if first.status == "present" else "present"}])
    real, corrected = grid.write_teams, []

    def compute_then_correct(*args, **kwargs):
        cells = real(*args, **kwargs)
        if not corrected:
            corrected.append(team_attendance.record_attendance(liaison_day=day, by=w.leader, entries=[
                {"member": second.member_id, "status": "absent" if second.status == "present" else "present"}]))
        return cells

    clock.shift(timedelta(seconds=1))
    with mock.patch.object(grid, "write_teams", compute_then_correct):
        services.apply_pending(w.county.pk)
    assert PendingChange.objects.filter(since=day.date).count() == 1  # the correction's, kept
    clock.shift(timedelta(seconds=1))
    services.apply_pending(w.county.pk)
    assert differences(w.county) == []


def test_a_full_refresh_left_running_is_exact_once_finished(county_world):
    w, clock = county_world
    refresh = services.start_full_refresh(w.county)
    services.refresh_towns(refresh.pk, [w.town1.pk])
    clock.shift(timedelta(seconds=1))
    rolls.create_household(by=w.admin, village=w.village_a, head_name="补录户", address="补录街1号",
                           registered_on=START.date() - timedelta(days=300))
    rosters.change_membership(by=w.admin, membership=Membership.objects.get(user=w.lawyer),
                              end_date=START.date() - timedelta(days=20))
    clock.shift(timedelta(seconds=1))
    services.apply_pending(w.county.pk)
    services.refresh_towns(refresh.pk, [w.town2.pk])
    services.finish_refresh(refresh.pk)
    assert Refresh.objects.get(pk=refresh.pk).status == Refresh.Status.DONE
    assert differences(w.county) == []


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_corrections_committed_during_in_process_refreshes_leaves_every_figure_exact(monkeypatch):
    """Issue 28: with no Redis worker (`make run`: each commit runs the incremental refresh in
    its own thread), twenty corrections of one member's attendance on a past liaison day,
    alternating present and absent, sent at once through the API as the leader. When they are
    all in, nothing is left pending and every figure equals a computation from scratch."""
    import threading

    from django.db import connection
    from rest_framework.test import APIClient

    from liaison.celery import app

    monkeypatch.setattr(app.conf, "CELERY_TASK_ALWAYS_EAGER", True)
    with time_machine.travel(datetime(2026, 10, 1, 8, 0, tzinfo=SHANGHAI), tick=False):
        w = build_world()
        rosters.generate_liaison_days(weeks=9)
    with time_machine.travel(START, tick=True):
        day = LiaisonDay.objects.get(team=w.team_a, date=START.date() - timedelta(days=7))
        member = day.attendance.order_by("pk").first().member_id
        services.refresh_in_process(w.county)
        barrier, answers = threading.Barrier(20), []

        def correct(n):
            try:
                api = APIClient()
                api.force_authenticate(w.leader)
                barrier.wait()
                answers.append(api.post(f"/api/v1/liaison-days/{day.pk}/attendance/", [
                    {"member": member, "status": "present" if n % 2 else "absent"}], format="json").status_code)
            finally:
                connection.close()

        threads = [threading.Thread(target=correct, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        # Corrections racing on one row: one wins each round, the others are told (409), none lost.
        assert set(answers) <= {200, 409} and 200 in answers and len(answers) == 20, answers
        assert not PendingChange.objects.exists()
        assert differences(w.county) == []


def _api(user):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user)
    return api


def _days_ago(n):
    return START.date() - timedelta(days=n)


PATHS = {
    # What the user does: (the town whose figures change, the earliest day they change).
    "a household registered on a past day (API)": lambda w: (
        _api(w.admin).post("/api/v1/households/", {
            "village": w.village_c.pk, "head_name": "补录户", "address": "龙溪村9号",
            "registered_on": _days_ago(150).isoformat()}, format="json"),
        (w.town2, _days_ago(150))),
    "a household moved out on a past day": lambda w: (
        rolls.move_out(by=w.admin, household=Household.objects.filter(village=w.village_a).first(), on=_days_ago(60)),
        (w.town1, _days_ago(60))),
    "a membership's end corrected in the admin": lambda w: (
        _admin(w).post(f"/admin/teams/membership/{Membership.objects.get(user=w.lawyer).pk}/change/",
                       {"end_date": _days_ago(25).isoformat(), "public_phone": ""}),
        (w.town1, _days_ago(25))),
    "households imported, one backdated": lambda w: (
        imports.run(w.admin, "households", xlsx(HOUSEHOLD_HEADER, [
            ["龙溪街道", "龙溪村", "导入户", "龙溪村8号", "", "", 2, "", _days_ago(400).isoformat()],
            ["龙溪街道", "龙溪村", "导入户二", "龙溪村7号", "", "", 2, "", _days_ago(10).isoformat()]])),
        (w.town2, _days_ago(400))),
    "a roster imported with a past start": lambda w: (
        imports.run(w.admin, "roster", xlsx(ROSTER_HEADER, [["周新", "13800000099", "罗阳街道", "西区社区", "律师",
                                                              _days_ago(35).isoformat()]])),
        (w.town1, _days_ago(35))),
    "a visit logged for a past day (API)": lambda w: (
        _api(w.leader).post("/api/v1/visits/", {"kind": "household", "date": _days_ago(100).isoformat(),
                                                "village": w.village_a.pk, "households": [
                                                    Household.objects.filter(village=w.village_a).first().pk]},
                            format="json"),
        (w.town1, _days_ago(100))),
    "an attendance row corrected (API)": lambda w: (
        _api(w.leader).post(f"/api/v1/liaison-days/{LiaisonDay.objects.get(team=w.team_a, date=_days_ago(7)).pk}"
                            "/attendance/", [{"member": w.cadre.pk, "status": "leave", "note": "病假"}], format="json"),
        (w.town1, _days_ago(7))),
    "an old issue answered": lambda w: (
        ledger.explain(issue=Issue.objects.get(village=w.village_c), by=w.admin, explanation="不属于本级职责"),
        (w.town2, _days_ago(90))),
    "a village moved to another town in the admin": lambda w: (
        _admin(w).post(f"/admin/teams/village/{w.village_b.pk}/change/",
                       {"name": w.village_b.name, "kind": w.village_b.kind, "town": w.town2.pk}),
        (w.town1, services.window(START.date())[0])),
}


def _admin(w):
    from django.test import Client

    client = Client()
    client.force_login(w.admin)
    return client


@pytest.mark.parametrize("path", PATHS)
def test_every_path_notes_its_town_from_the_earliest_day_it_changes(county_world, path):
    w, clock = county_world
    services.apply_pending(w.county.pk)
    clock.shift(timedelta(seconds=1))
    answer, (town, since) = PATHS[path](w)
    assert getattr(answer, "status_code", 200) in (200, 201, 302), answer.content
    assert getattr(answer, "written", True), answer.problems
    noted = PendingChange.objects.filter(town_id=town.pk)
    assert noted.exists() and min(noted.values_list("since", flat=True)) <= since
    clock.shift(timedelta(seconds=1))
    services.apply_pending(w.county.pk)
    assert differences(w.county) == []


def test_iso_week_53_judges_the_steps_due_in_its_january_days(world):
    """2026-W53 runs from 28 December to 3 January. A step due on 2 January (a make-up working
    day here) and answered on 30 December counts for the week, in its figure as in its records."""
    from reports.figures import selectors
    from reports.models import Snapshot
    from teams.models import Holiday

    Holiday.objects.filter(date=date(2027, 1, 2)).update(kind=Holiday.Kind.WORKDAY, name="调休上班")
    with time_machine.travel(datetime(2026, 12, 30, 10, 0, tzinfo=SHANGHAI), tick=False):
        issue = ledger.register(by=world.cadre, village=world.village_a, category=Category.objects.first(),
                                title="路灯不亮", description="巷口路灯坏了", source=Issue.Source.RECEPTION,
                                reporter_name="王秀英", reporter_phone="13912345678",
                                received_at=datetime(2026, 12, 25, 10, 0, tzinfo=SHANGHAI))
        assert timezone.localdate(issue.current_step.due_at) == date(2027, 1, 2)
        ledger.resolve(issue=issue, by=world.cadre, result="已修好")
        services.refresh_in_process(world.county)
        week = metrics.P.parse("week:2026-W53")
        row = Snapshot.objects.get(refresh=services.current(world.county.pk), unit="team", unit_id=world.team_a.pk,
                                   period="week", start=week.start)
        behind = selectors.records(world.admin, "timely", "team", world.team_a.pk, week)
        assert (row.timely_num, row.timely_den) == (1, 1) == (behind.counts()[0], 1 - behind.counts()[1])


def test_todays_liaison_day_enters_the_figures_tomorrow(world, liaison_tuesday, today_day):
    """A morning's figures do not show everyone absent: today's rows, pending or marked, count
    from tomorrow (DESIGN.md), in the figure and in the records behind it."""
    from reports.figures import selectors
    from reports.models import Snapshot

    team_attendance.check_in(user=world.cadre, team=world.team_a)
    week = metrics.P.of("week", today_day.date)

    def figure_and_records():
        services.refresh_in_process(world.county)
        row = Snapshot.objects.get(refresh=services.current(world.county.pk), unit="team", unit_id=world.team_a.pk,
                                   period="week", start=week.start)
        counted, short = selectors.records(world.admin, "attendance", "team", world.team_a.pk, week).counts()
        return (row.attendance_num, row.attendance_den), (counted - short, counted)

    assert figure_and_records() == ((0, 0), (0, 0))
    liaison_tuesday.move_to(datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI))
    assert figure_and_records() == ((1, 3), (1, 3))  # the cadre present; the leader and the lawyer not marked


def test_a_visit_recomputes_its_team_and_the_sums_above_it_from_its_day_only(county_world):
    """Work proportional to the change: the other team of the town keeps its rows, and the
    visiting team's periods before the visit's day keep theirs (a rewritten row has a new id).
    The departments' rows are recomputed with the county's, as a change to an issue may move
    its county steps."""
    w, clock = county_world
    services.apply_pending(w.county.pk)
    refresh = services.current(w.county.pk)
    before = {(row.unit, row.unit_id, row.period, row.start): row.pk for row in refresh.snapshots.all()}
    clock.shift(timedelta(seconds=1))
    day = _days_ago(20)
    rolls.log_visit(by=w.leader, kind="household", date=day, village=w.village_a,
                    households=[Household.objects.filter(village=w.village_a).first()])
    assert list(PendingChange.objects.values_list("town_id", "village_id", "since")) == [
        (w.town1.pk, w.village_a.pk, day)]
    services.apply_pending(w.county.pk)
    after = {(row.unit, row.unit_id, row.period, row.start): row.pk for row in refresh.snapshots.all()}
    assert after.keys() == before.keys()
    moved = {key for key in after if after[key] != before[key]}
    affected = {(p.kind, p.start) for p in services.periods_from(day, START.date())}
    assert {(unit, unit_id) for unit, unit_id, *_period in moved if unit != "department"} == {
        ("team", w.team_a.pk), ("town", w.town1.pk), ("county", w.county.pk)}
    assert {(kind, start) for _unit, _id, kind, start in moved} == affected
    assert differences(w.county) == []
