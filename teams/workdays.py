"""Working days on the official calendar: weekends off, except make-up working days (调休);
public holidays off. Deadlines in the ledger are counted with it."""

from datetime import date, datetime, timedelta


class WorkCalendar:
    def __init__(self, holidays=(), workdays=()):
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)

    @classmethod
    def load(cls):
        from teams.models import Holiday

        rows = Holiday.objects.values_list("date", "kind")
        return cls(
            holidays=[d for d, kind in rows if kind == Holiday.Kind.HOLIDAY],
            workdays=[d for d, kind in rows if kind == Holiday.Kind.WORKDAY],
        )

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.isoweekday() <= 5

    def add_working_days(self, start, days: int):
        """The moment `days` working days after `start`, at the same time of day.

        Counting starts with the first working day after `start`'s date, so an issue opened
        on a Friday with five working days is due the next Friday, and one opened on a
        holiday is due five working days after the holiday."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start.date() if isinstance(start, datetime) else start
        remaining = days
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        if isinstance(start, datetime):
            return start.replace(year=day.year, month=day.month, day=day.day)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count
