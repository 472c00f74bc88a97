"""Working-day deadlines on the official calendar: weekends, public holidays, 调休."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from teams.models import Holiday
from teams.workdays import WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_five_working_days_from_a_friday_is_the_next_friday():
    calendar = WorkCalendar()
    start = datetime(2026, 11, 20, 10, 30, tzinfo=SHANGHAI)
    assert calendar.add_working_days(start, 5) == datetime(2026, 11, 27, 10, 30, tzinfo=SHANGHAI)


def test_public_holidays_are_skipped_and_make_up_saturdays_count():
    # National Day 2026: 1–7 October off, Saturday 10 October is a working day (调休).
    calendar = WorkCalendar(
        holidays=[date(2026, 10, d) for d in range(1, 8)], workdays=[date(2026, 10, 10)]
    )
    start = datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI)
    # 8 Oct (Thu), 9 Oct (Fri), 10 Oct (make-up Sat), 12 Oct (Mon), 13 Oct (Tue)
    assert calendar.add_working_days(start, 5) == datetime(2026, 10, 13, 9, 0, tzinfo=SHANGHAI)
    assert calendar.is_working_day(date(2026, 10, 10))
    assert not calendar.is_working_day(date(2026, 10, 5))
    assert not calendar.is_working_day(date(2026, 10, 11))


def test_an_issue_received_on_a_holiday_counts_from_the_next_working_day():
    calendar = WorkCalendar(holidays=[date(2026, 10, d) for d in range(1, 8)])
    assert calendar.add_working_days(date(2026, 10, 3), 1) == date(2026, 10, 8)


def test_working_days_between_counts_the_days_after_start():
    calendar = WorkCalendar(holidays=[date(2026, 10, 1)])
    assert calendar.working_days_between(date(2026, 9, 28), date(2026, 10, 2)) == 3


def test_the_calendar_loads_the_administrators_data(db):
    Holiday.objects.update_or_create(date=date(2031, 5, 1), defaults={"kind": Holiday.Kind.HOLIDAY, "name": "劳动节"})
    Holiday.objects.update_or_create(date=date(2031, 5, 10), defaults={"kind": Holiday.Kind.WORKDAY, "name": "调休"})
    calendar = WorkCalendar.load()
    assert not calendar.is_working_day(date(2031, 5, 1))
    assert calendar.is_working_day(date(2031, 5, 10))


def test_the_shipped_calendar_knows_2026_national_day(db):
    calendar = WorkCalendar.load()
    assert not calendar.is_working_day(date(2026, 10, 1))
    assert calendar.is_working_day(date(2026, 10, 10))
