"""Every metric at team, town and county level for one week (2026-W48) and one month (November
2026), computed as of Wednesday 2026-11-25 12:00, against values worked out by hand.

The county's liaison day is Tuesday. Team A (西区社区, town 1) meets weekly with three required
members and an auxiliary volunteer; team B (东区社区, town 1) every other week, with one member
who joins on 20 November; team C (龙溪村, town 2) weekly with two members.

Liaison days and attendance
- A: 3 Nov leader and cadre present, lawyer absent (2/3); 10 Nov leader present, cadre on leave,
  lawyer never marked (1/2); 17 Nov cancelled; 24 Nov all present (3/3). Week 3/3, month 6/8.
- B: 10 Nov no required member yet; 24 Nov the new member present (1/1). Week 1/1, month 1/1.
- C: 3 Nov both present (2/2); 10 Nov leader absent (1/2); 17 Nov moved to 19 Nov, both present
  (2/2); 24 Nov moved to Friday 27 Nov, still to come. Week 0/0, month 5/6.

The ledger (five working days at the village, ten at the town)
- I1 (A) received Mon 16 Nov 09:00, due Mon 23 Nov 09:00, resolved at exactly 09:00, answered,
  rated basically satisfied on 23 Nov.
- I2 (A) received 18 Nov, due 25 Nov; escalated on 19 Nov (on time); the town's step is due
  3 Dec: not judged yet.
- I3 (A) received Fri 20 Nov, due Fri 27 Nov (later this week) but resolved on 24 Nov, then
  rated dissatisfied on 24 Nov and reopened: the new step is due 1 Dec.
- I4 (C) received 2 Nov, due 9 Nov, still open: overdue.
- I5 (A) received this morning, due 2 Dec.
- I6 (C) received 9 Nov, due 16 Nov, resolved late on 17 Nov, answered 18 Nov, rated
  satisfied 19 Nov.

Households: in 西区社区 two on the roll for years, one registered on 20 Nov, one that moved out on
10 Nov; one in 龙溪村. Team A visited the old one and the one that moved out on 4 Nov, and the
new one on 24 Nov (and received a resident that day)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from issues import services as ledger
from issues.models import Category
from reports import periods as P
from reports.figures import services
from reports.models import Snapshot, Unit
from teams import attendance as team_attendance
from teams import services as team_services
from teams.models import LiaisonDay, Role, User
from visits import services as visit_services
from visits.models import Household, Visit

SH = ZoneInfo("Asia/Shanghai")
WEEK = P.Period("week", date(2026, 11, 23))
MONTH = P.Period("month", date(2026, 11, 1))


def at(day, hour=9, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)


def day_of(team, on):
    return LiaisonDay.objects.get(team=team, date=date(2026, 11, on))


@pytest.fixture
def november(world):
    w = world
    category = Category.objects.get(code="livelihood")
    judge = User.objects.create_user(username="judge", password="x", name="周法官")
    with time_machine.travel(at(1, 8), tick=False) as clock:
        schedule = w.team_b.schedule
        schedule.every_weeks = 2
        schedule.save()
        team_services.add_membership(by=w.admin, team=w.team_b, user=judge, role=Role.JUDGE,
                                     start_date=date(2026, 11, 20))
        team_services.generate_liaison_days(weeks=5, start=date(2026, 11, 1))

        def mark(team, on, **statuses):
            clock.move_to(at(on, 20))
            entries = [{"member": getattr(w, name, judge).pk if name != "judge" else judge.pk, "status": status,
                        "note": "出差" if status == "leave" else ""} for name, status in statuses.items()]
            team_attendance.record_attendance(liaison_day=day_of(team, on), by=w.admin, entries=entries)

        def register(team_village, when, by):
            clock.move_to(when)
            return ledger.register(by=by, village=team_village, category=category, title="路灯不亮",
                                   description="巷口路灯坏了", source="reception", reporter_name="王秀英",
                                   reporter_phone="13912345678")

        h_old = Household.objects.create(village=w.village_a, head_name="王秀英", address="一巷1号",
                                          registered_on=date(2020, 1, 1))
        Household.objects.create(village=w.village_a, head_name="张国强", address="一巷2号",
                                 registered_on=date(2020, 1, 1))
        h_gone = Household.objects.create(village=w.village_a, head_name="陈桂兰", address="一巷3号",
                                          registered_on=date(2020, 1, 1))
        Household.objects.create(village=w.village_c, head_name="刘德华", address="一组6号",
                                 registered_on=date(2020, 1, 1))

        i4 = register(w.village_c, at(2), w.other_cadre)
        mark(w.team_a, 3, leader="present", cadre="present", lawyer="absent")
        mark(w.team_c, 3, other_leader="present", other_cadre="present")
        clock.move_to(at(4, 15))
        visit_services.log_visit(by=w.cadre, kind=Visit.Kind.HOUSEHOLD, date=date(2026, 11, 4),
                                 village=w.village_a, households=[h_old, h_gone])
        i6 = register(w.village_c, at(9), w.other_cadre)
        clock.move_to(at(10, 8))
        team_attendance.ask_leave(user=w.cadre, liaison_day=day_of(w.team_a, 10), reason="出差")
        mark(w.team_a, 10, leader="present")
        mark(w.team_c, 10, other_leader="absent", other_cadre="present")
        clock.move_to(at(10, 21))
        visit_services.move_out(by=w.cadre, household=h_gone, on=date(2026, 11, 10))
        clock.move_to(at(16, 8))
        team_services.cancel_liaison_day(liaison_day=day_of(w.team_a, 17), reason="全镇防汛演练", by=w.leader)
        team_services.reschedule_liaison_day(liaison_day=day_of(w.team_c, 17), new_date=date(2026, 11, 19),
                                             reason="与村民大会冲突", by=w.other_leader)
        i1 = register(w.village_a, at(16), w.cadre)
        clock.move_to(at(17))
        ledger.resolve(issue=i6, by=w.other_cadre, result="已修复")
        i2 = register(w.village_a, at(18, 10), w.cadre)
        clock.move_to(at(18))
        ledger.record_feedback(issue=i6, by=w.other_cadre, note="电话告知")
        clock.move_to(at(19))
        ledger.rate(issue=i6, satisfaction="satisfied")
        clock.move_to(at(19, 10))
        ledger.escalate(issue=i2, by=w.leader, reason="需镇街协调")
        mark(w.team_c, 19, other_leader="present", other_cadre="present")
        i3 = register(w.village_a, at(20), w.cadre)
        clock.move_to(at(20, 10))
        h_new = visit_services.create_household(by=w.cadre, village=w.village_a, head_name="黄美玲",
                                                address="一巷4号")
        clock.move_to(at(23))
        ledger.resolve(issue=i1, by=w.cadre, result="已更换灯泡")
        team_services.reschedule_liaison_day(liaison_day=day_of(w.team_c, 24), new_date=date(2026, 11, 27),
                                             reason="上级检查", by=w.other_leader)
        clock.move_to(at(23, 10))
        ledger.record_feedback(issue=i1, by=w.cadre, note="上门告知")
        clock.move_to(at(23, 11))
        ledger.rate(issue=i1, satisfaction="basically_satisfied")
        clock.move_to(at(24))
        ledger.resolve(issue=i3, by=w.cadre, result="已修复")
        mark(w.team_a, 24, leader="present", cadre="present", lawyer="present")
        mark(w.team_b, 24, judge="present")
        clock.move_to(at(24, 14))
        visit_services.log_visit(by=w.cadre, kind=Visit.Kind.HOUSEHOLD, date=date(2026, 11, 24),
                                 village=w.village_a, households=[h_new])
        visit_services.log_visit(by=w.cadre, kind=Visit.Kind.RECEPTION, date=date(2026, 11, 24),
                                 village=w.village_a)
        clock.move_to(at(24, 15))
        ledger.rate(issue=i3, satisfaction="dissatisfied")
        register(w.village_a, at(25), w.cadre)
        clock.move_to(at(25, 12))
        refresh = services.refresh_in_process(w.county)
    assert i1.steps.get().due_at == at(23) and i4.steps.get().due_at == at(9)
    return refresh


EXPECTED = {
    # unit: {metric: (week numerator, denominator), (month numerator, denominator)}
    "team_a": {"attendance": ((3, 3), (6, 8)), "timely": ((3, 3), (3, 3)), "resolution": ((0, 1), (1, 4)),
               "feedback": ((1, 1), (1, 1)), "satisfaction": ((1, 2), (1, 2)), "coverage": ((1, 3), (2, 3))},
    "team_b": {"attendance": ((1, 1), (1, 1)), "timely": ((0, 0), (0, 0)), "resolution": ((0, 0), (0, 0)),
               "feedback": ((0, 0), (0, 0)), "satisfaction": ((0, 0), (0, 0)), "coverage": ((0, 0), (0, 0))},
    "team_c": {"attendance": ((0, 0), (5, 6)), "timely": ((0, 0), (0, 2)), "resolution": ((0, 0), (1, 2)),
               "feedback": ((0, 0), (1, 1)), "satisfaction": ((0, 0), (1, 1)), "coverage": ((0, 1), (0, 1))},
    "town1": {"attendance": ((4, 4), (7, 9)), "timely": ((3, 3), (3, 3)), "resolution": ((0, 1), (1, 4)),
              "feedback": ((1, 1), (1, 1)), "satisfaction": ((1, 2), (1, 2)), "coverage": ((1, 3), (2, 3))},
    "town2": {"attendance": ((0, 0), (5, 6)), "timely": ((0, 0), (0, 2)), "resolution": ((0, 0), (1, 2)),
              "feedback": ((0, 0), (1, 1)), "satisfaction": ((0, 0), (1, 1)), "coverage": ((0, 1), (0, 1))},
    "county": {"attendance": ((4, 4), (12, 15)), "timely": ((3, 3), (3, 5)), "resolution": ((0, 1), (2, 6)),
               "feedback": ((1, 1), (2, 2)), "satisfaction": ((1, 2), (2, 3)), "coverage": ((1, 4), (2, 4))},
}
UNITS = {"team_a": Unit.TEAM, "team_b": Unit.TEAM, "team_c": Unit.TEAM, "town1": Unit.TOWN, "town2": Unit.TOWN,
         "county": Unit.COUNTY}


def snapshot(refresh, unit, obj, period):
    return Snapshot.objects.get(refresh=refresh, unit=unit, unit_id=obj.pk, period=period.kind, start=period.start)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_every_metric_matches_the_hand_count(world, november, name):
    for metric, (week, month) in EXPECTED[name].items():
        for period, expected in ((WEEK, week), (MONTH, month)):
            row = snapshot(november, UNITS[name], getattr(world, name), period)
            assert (getattr(row, f"{metric}_num"), getattr(row, f"{metric}_den")) == expected, (name, metric, period)


def test_no_rate_for_nothing_and_none_above_one(world, november):
    row = snapshot(november, Unit.TEAM, world.team_c, WEEK)
    assert row.rate("attendance") is None and row.rate("timely") is None
    for row in Snapshot.objects.filter(refresh=november):
        for metric in ("attendance", "timely", "resolution", "feedback", "satisfaction", "coverage"):
            assert getattr(row, f"{metric}_num") <= getattr(row, f"{metric}_den")


def test_the_counts_beside_them(world, november):
    week, month = snapshot(november, Unit.TEAM, world.team_a, WEEK), snapshot(november, Unit.TEAM, world.team_a, MONTH)
    assert (week.visits_household, week.visits_reception, week.issues_received) == (1, 1, 1)
    assert (month.visits_household, month.visits_reception, month.issues_received, month.issues_open,
            month.issues_overdue) == (2, 1, 4, 3, 0)
    c = snapshot(november, Unit.TEAM, world.team_c, MONTH)
    assert (c.issues_received, c.issues_open, c.issues_overdue) == (2, 1, 1)


def test_departments_and_every_unit_have_a_row(world, november):
    for unit, obj in ((Unit.DEPARTMENT, world.dept1), (Unit.DEPARTMENT, world.dept2), (Unit.TEAM, world.team_b)):
        row = snapshot(november, unit, obj, MONTH)
        assert row.timely_den == 0
    assert not Snapshot.objects.filter(refresh=november, unit=Unit.TEAM, unit_id=world.other_team.pk).exists()


@pytest.mark.parametrize("metric, unit_name, period, counted, short", [
    ("attendance", "team_a", MONTH, 8, 2),  # the lawyer absent on the 3rd, never marked on the 10th
    ("attendance", "town1", WEEK, 4, 0),
    ("timely", "team_c", MONTH, 2, 2),  # I4 overdue, I6 late
    ("timely", "county", MONTH, 5, 2),
    ("resolution", "team_a", MONTH, 4, 3),
    ("feedback", "county", MONTH, 2, 0),
    ("satisfaction", "team_a", WEEK, 2, 1),  # the dissatisfied rating that reopened I3
    ("coverage", "team_a", MONTH, 3, 1),  # 张国强, on the roll for years, not visited
])
def test_each_figure_opens_the_records_behind_it(world, november, metric, unit_name, period, counted, short):
    from reports.figures import selectors

    snapshot_row = snapshot(november, UNITS[unit_name], getattr(world, unit_name), period)
    with time_machine.travel(at(25, 12), tick=False):
        behind = selectors.records(world.org_department, metric, UNITS[unit_name], getattr(world, unit_name).pk, period)
        assert (behind.counted.count(), behind.short.count()) == (counted, short)
        assert behind.counted.count() == getattr(snapshot_row, f"{metric}_den")
        assert behind.counted.count() - behind.short.count() == getattr(snapshot_row, f"{metric}_num")
        # Within the viewer's scope: a county department, called in for none of these, sees none of them.
        assert not selectors.records(world.department, metric, UNITS[unit_name], getattr(world, unit_name).pk,
                                     period).counted.exists()
