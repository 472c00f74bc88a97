"""Reporting periods: ISO weeks (from Monday), months, quarters and years of local dates
(Asia/Shanghai). A period is its kind and its first day; `week:2026-W47`, `month:2026-11`,
`quarter:2026-Q4` and `year:2026` name them in URLs and the API."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

KINDS = ("week", "month", "quarter", "year")
KIND_LABELS = {"week": _("Week"), "month": _("Month"), "quarter": _("Quarter"), "year": _("Year")}


def start_of(kind, day):
    """The first day of the `kind` period that holds `day`."""
    if kind == "week":
        return day - timedelta(days=day.weekday())
    if kind == "month":
        return day.replace(day=1)
    if kind == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if kind == "year":
        return date(day.year, 1, 1)
    raise ValueError(kind)


def next_start(kind, start):
    if kind == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[kind]
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    kind: str
    start: date

    @property
    def end(self):
        """The period's last day."""
        return next_start(self.kind, self.start) - timedelta(days=1)

    def contains(self, day):
        return self.start <= day <= self.end

    @property
    def key(self):
        if self.kind == "week":
            year, week, _weekday = self.start.isocalendar()
            return f"week:{year}-W{week:02d}"
        if self.kind == "month":
            return f"month:{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"quarter:{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"year:{self.start.year}"

    @property
    def label(self):
        """How a cadre reads it: 2026年第47周, 2026年11月, 2026年第四季度, 2026年."""
        if self.kind == "week":
            year, week, _weekday = self.start.isocalendar()
            return _("Week %(week)d of %(year)d") % {"week": week, "year": year}
        if self.kind == "month":
            return _("%(month)d/%(year)d") % {"month": self.start.month, "year": self.start.year}
        if self.kind == "quarter":
            return _("Q%(quarter)d %(year)d") % {"quarter": (self.start.month - 1) // 3 + 1, "year": self.start.year}
        return _("Year %(year)d") % {"year": self.start.year}

    def previous(self, count=1):
        """This period and the `count` - 1 before it, oldest first."""
        periods = [self]
        while len(periods) < count:
            periods.insert(0, of(self.kind, periods[0].start - timedelta(days=1)))
        return periods


def of(kind, day):
    return Period(kind, start_of(kind, day))


def between(kind, first, last):
    """Every `kind` period that starts on or after `first` and holds a day up to `last`."""
    start = start_of(kind, first)
    if start < first:
        start = next_start(kind, start)
    periods = []
    while start <= last:
        periods.append(Period(kind, start))
        start = next_start(kind, start)
    return periods


# The years a key may name, on every page and in the API (whose schema says the same).
FIRST_YEAR, LAST_YEAR = 2000, 2099
PATTERN = (
    r"^(?:week:([1-9][0-9]{3})-W(0[1-9]|[1-4][0-9]|5[0-3])|month:([1-9][0-9]{3})-(0[1-9]|1[0-2])"
    r"|quarter:([1-9][0-9]{3})-Q([1-4])|year:([1-9][0-9]{3}))$"
)
_KEY = re.compile(PATTERN, re.ASCII)


def parse(key):
    """The Period a key names, or ValueError (also for a year outside FIRST_YEAR–LAST_YEAR, and
    a week 53 in a year that has none)."""
    match = _KEY.match(key or "")
    if not match:
        raise ValueError(key)
    wy, ww, my, mm, qy, qq, yy = match.groups()
    if not FIRST_YEAR <= int(wy or my or qy or yy) <= LAST_YEAR:
        raise ValueError(key)
    if wy:
        return Period("week", date.fromisocalendar(int(wy), int(ww), 1))
    if my:
        return Period("month", date(int(my), int(mm), 1))
    if qy:
        return Period("quarter", date(int(qy), 3 * (int(qq) - 1) + 1, 1))
    return Period("year", date(int(yy), 1, 1))
