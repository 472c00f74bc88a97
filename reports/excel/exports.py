"""Excel exports: the issue ledger (台账), the visit ledger (走访台账 / 民情日记), the monthly
attendance sheet (考勤表), a dashboard's figures for a period and an assessment round's results (考核结果).

Each kind reads the filters of the page it starts from, through that page's own filter class,
and starts from what the user may see (the scope module); a resident's personal data is masked
by the rule the pages and the API use. A kind is a function `(user, data) -> Export`: adding
one is one more function in `KINDS`.

A small export (at most EXPORT_INLINE_ROWS rows) is written during the request; a larger one is
an `ExportJob` a worker writes, with its progress, kept for EXPORT_KEEP_DAYS days and served only
to the user who asked."""

import logging
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from core import broker
from core.web import whole_number
from issues.codes import display as display_code
from issues.models import Issue, Level
from issues.scope import sees_personal_data
from issues.selectors import ledger_filter
from reports import periods as P
from reports import scope as reports_scope
from reports.excel import xlsx
from reports.excel.xlsx import Column
from reports.figures import registry, selectors, units
from reports.models import COUNTS, ExportJob, Unit
from reports.oversight import assessments
from teams import scope
from teams.models import Attendance, LiaisonDay, Membership, Role, Team, Town, Village
from visits.filters import VisitFilter
from visits.models import Visit
from visits.validators import mask_name, mask_phone

logger = logging.getLogger(__name__)


def C(text):
    """A column header: its own context, so that "Town" can be 镇街 in a sheet and 镇 elsewhere."""
    return pgettext("excel column", text)


WRAP = True  # a column's third item: its text wraps, the row as tall as it needs
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 2000
PROGRESS_EVERY = 1000


@dataclass
class Export:
    """What a kind gives: the sheet's title and columns, how many rows, and the rows."""

    kind: str
    filename: str
    title: str
    columns: list
    count: object  # () -> int
    rows: object  # () -> iterator of lists of cell values
    sheet: str = ""
    keys: int = 1  # the first columns, repeated on every page of a sheet too wide for one
    below: object = None  # (sheet) -> None: lines under the table


class UnknownKind(ValidationError):
    pass


def _label(choices):
    """{code: label} of a TextChoices, translated once for the whole export."""
    return {value: str(label) for value, label in choices.choices}


def _yes_no(value):
    return "" if value is None else _("Yes") if value else _("No")


def _where(user, data):
    """The place the export covers, for its title: the village or town chosen, or the user's own."""
    village = whole_number(data.get("village", ""))
    town = whole_number(data.get("town", ""))
    if village is not None:
        found = scope.visible(user, Village).filter(pk=village).values_list("town__name", "name").first()
        if found:
            return " ".join(found)
    if town is not None:
        found = scope.visible(user, Town).filter(pk=town).values_list("name", flat=True).first()
        if found:
            return found
    return reports_scope.own_units_names(user)


def _span(first, last):
    if first and last:
        return _("%(first)s to %(last)s") % {"first": first, "last": last}
    if first:
        return _("from %(first)s") % {"first": first}
    if last:
        return _("until %(last)s") % {"last": last}
    return _("all dates")


def _title(user, data, heading, period):
    place = _where(user, data)
    return f"{place}{heading}（{period}）" if place else f"{heading}（{period}）"


def _chunks(rows, size=CHUNK):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# The issue ledger.

ISSUE_FIELDS = (
    "code", "received_at", "village__town__name", "village__name", "category__name", "title", "description",
    "source", "reporter_name", "reporter_phone", "first_responder_id", "first_responder__name",
    "first_responder__username", "level", "status", "current_step__team_id", "current_step__town_id",
    "current_step__department_id", "current_step__team__name", "current_step__town__name",
    "current_step__department__name", "due_at", "ended_at", "current_step__on_time", "result", "feedback_note",
    "satisfaction",
)


def issues(user, data):
    f = ledger_filter(user, data, full=True)
    if not f.is_valid():
        raise ValidationError(f.errors.as_data())
    queryset = f.qs
    # Long text wraps; the tracking code, as the receipt writes it, names the row on every page.
    columns = [
        (C("Tracking code"), 14), (C("Received"), 18), (C("Town"), 10), (C("Village"), 11), (C("Category"), 10),
        (C("Title"), 20, WRAP), (C("Description"), 34, WRAP), (C("Source"), 9), (C("Reporter"), 8),
        (C("Reporter's phone"), 13), (C("First responder"), 11), (C("Level"), 13, WRAP), (C("Status"), 11),
        (C("Handled by"), 17, WRAP), (C("Due"), 18), (C("Ended"), 18), (C("On time"), 6), (C("Result"), 32, WRAP),
        (C("Feedback"), 28, WRAP), (C("Satisfaction"), 9),
    ]

    def rows():
        s = scope.scope_for(user)
        sources, levels = _label(Issue.Source), _label(Level)
        statuses, ratings = _label(Issue.Status), _label(Issue.Satisfaction)
        local = xlsx.local
        for (code, received, town, village, category, title, description, source, name, phone, responder_id,
             responder, username, level, status, team_id, town_id, department_id, team, step_town, department,
             due, ended, on_time, result, feedback, satisfaction) in queryset.values_list(*ISSUE_FIELDS).iterator(
                chunk_size=CHUNK):
            # The same rule as the pages and the API: `sees_personal_data` on the issue's current step.
            issue = SimpleNamespace(first_responder_id=responder_id, current_step=SimpleNamespace(
                team_id=team_id, town_id=town_id, department_id=department_id) if (team_id or town_id or department_id)
                else None)
            if not sees_personal_data(s, issue):
                name, phone = mask_name(name), mask_phone(phone)
            yield [
                display_code(code), local(received), town, village, category, title, description,
                sources.get(source, source), name, phone, responder or username, levels.get(level, level),
                statuses.get(status, status), team or step_town or department or "", local(due), local(ended),
                _yes_no(on_time) if ended else "", result, feedback, ratings.get(satisfaction, ""),
            ]

    period = _span(data.get("received_after"), data.get("received_before"))
    heading = _("Issue ledger")
    return Export("issues", f"{heading}.xlsx", _title(user, data, heading, period), columns, queryset.count, rows)


# The visit ledger.

def visits(user, data):
    f = VisitFilter(data, queryset=scope.visible(user, Visit).order_by("-date", "-pk"))
    if not f.is_valid():
        raise ValidationError(f.errors.as_data())
    queryset = f.qs
    columns = [
        (C("Date"), 11), (C("Kind"), 9), (C("Town"), 10), (C("Village"), 11), (C("Team"), 17, WRAP),
        (C("Cadres present"), 18, WRAP), (C("Households visited"), 28, WRAP), (C("Notes"), 32, WRAP),
        (C("Needs follow-up"), 7), (C("Recorded by"), 8), (C("Recorded at"), 18),
    ]
    cadres_through, households_through = Visit.cadres.through, Visit.households.through

    def rows():
        kinds, local = _label(Visit.Kind), xlsx.local
        fields = ("pk", "date", "kind", "village__town__name", "village__name", "team__name", "notes",
                  "needs_follow_up", "recorded_by__name", "recorded_by__username", "recorded_at")
        for chunk in _chunks(queryset.values_list(*fields).iterator(chunk_size=CHUNK)):
            ids = [row[0] for row in chunk]
            cadres, homes = defaultdict(list), defaultdict(list)
            for visit, name, username in cadres_through.objects.filter(visit__in=ids).order_by("pk").values_list(
                    "visit_id", "user__name", "user__username"):
                cadres[visit].append(name or username)
            for visit, head, address in households_through.objects.filter(visit__in=ids).order_by("pk").values_list(
                    "visit_id", "household__head_name", "household__address"):
                homes[visit].append(f"{head}（{address}）")
            for pk, day, kind, town, village, team, notes, follow_up, by, username, at in chunk:
                yield [
                    day, kinds.get(kind, kind), town, village, team, "、".join(cadres[pk]),
                    "、".join(homes[pk]), notes, _yes_no(follow_up), by or username, local(at),
                ]

    period = _span(data.get("date_after"), data.get("date_before"))
    heading = _("Visit ledger")
    return Export("visits", f"{heading}.xlsx", _title(user, data, heading, period), columns, queryset.count, rows)


# The monthly attendance sheet.

MARKS = {
    Attendance.Status.PRESENT: "√", Attendance.Status.ABSENT: "×", Attendance.Status.LEAVE: "假",
    Attendance.Status.PENDING: "○",
}


def _month(data):
    raw = (data.get("month") or "").strip()
    if not raw:
        return timezone.localdate().replace(day=1)
    try:
        return P.parse(f"month:{raw}").start
    except ValueError:
        raise ValidationError({"month": _("Name the month as 2026-11.")}) from None


WEEKDAYS = [pgettext_lazy("short weekday", name) for name in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")]
# A day column's header: the day of the month (the title names the month), then its weekday.
DAY = pgettext_lazy("attendance sheet", "%(day)d")


def attendance(user, data):
    """考勤表 of a team (or of a town's teams): each member with attendance rows × the liaison
    days of the month, marked as recorded, then 应到/实到/请假/缺席 and the rate from the metric's
    own rows (`registry.attendance_rows`: members required on that date, on days before today,
    leave left out, a row still pending counted as not present), so that the sheet's total is
    the team's attendance figure for the month; under the table the total, a legend and the
    line for the leader's signature."""
    first = _month(data)
    last = P.next_start("month", first) - timedelta(days=1)
    team_id, town_id = whole_number(data.get("team", "")), whole_number(data.get("town", ""))
    if data.get("team") and team_id is None or data.get("town") and town_id is None:
        raise ValidationError(_("Choose a team or a town from the list."))

    def chosen(rows):
        if team_id is not None:
            rows = rows.filter(liaison_day__team=team_id)
        if town_id is not None:
            rows = rows.filter(liaison_day__team__village__town=town_id)
        return rows

    marked = chosen(scope.visible(user, Attendance).filter(
        liaison_day__date__range=(first, last), liaison_day__status=LiaisonDay.Status.SCHEDULED))
    # A day is judged once it is over (DESIGN.md): the rate counts the days before today; today's
    # marks are shown, a coming day's pending rows are not.
    today = timezone.localdate()
    judged_last = min(last, today - timedelta(days=1))
    counted = chosen(scope.visible(user, registry.attendance_rows(first, last, today)))
    one_team = team_id is not None
    loaded = {}

    def load():
        if not loaded:
            marks = list(marked.values_list(
                "liaison_day__team_id", "liaison_day__team__village__town__name", "liaison_day__team__village__name",
                "liaison_day__team__name", "member_id", "member__name", "member__username", "liaison_day__date",
                "status",
            ))
            loaded["dates"] = sorted({m[7] for m in marks})
            people = {}
            for team, town, village, team_name, member, name, username, day, status in marks:
                person = people.setdefault((team, member), {
                    "order": (town, village), "team": team_name, "name": name or username, "days": {},
                    "expected": 0, "present": 0})
                person["days"][day] = status
            for team, member, status in counted.values_list("liaison_day__team_id", "member_id", "status"):
                person = people.get((team, member))
                if person is not None:
                    person["expected"] += 1
                    person["present"] += status == Attendance.Status.PRESENT
            roles = {}
            for team, member, role in Membership.objects.filter(
                    team__in={key[0] for key in people}, start_date__lte=last).order_by("start_date").values_list(
                    "team_id", "user_id", "role"):
                roles[(team, member)] = role
            # Each team's leader first, then the members by role and name.
            order = {role: index for index, role in enumerate(Role.values)}
            for key, person in people.items():
                person["role"] = roles.get(key)
                person["order"] += (key[0], order.get(person["role"], len(order)), person["name"], key[1])
            loaded["people"] = sorted(people.values(), key=lambda person: person["order"])
        return loaded

    def head():
        return [(C("Name"), 10), (C("Role"), 14, WRAP)] if one_team else [
            (C("Team"), 18, WRAP), (C("Name"), 10), (C("Role"), 14, WRAP)]

    def columns():
        return head() + [Column(DAY % {"day": day.day} + f"\n{WEEKDAYS[day.weekday()]}", 6, center=True)
                         for day in load()["dates"]] + [
            (C("Expected"), 6), (C("Present"), 6), (C("On leave"), 6), (C("Absent"), 6), (C("Attendance rate"), 8)]

    def leave(person):
        return sum(1 for day, status in person["days"].items()
                   if day <= judged_last and status == Attendance.Status.LEAVE)

    def rows():
        data_ = load()
        role_names = _label(Role)
        for person in data_["people"]:
            days = person["days"]
            marks = [MARKS[days[day]] if day in days and (day <= today or days[day] != Attendance.Status.PENDING)
                     else "" for day in data_["dates"]]
            expected, present = person["expected"], person["present"]
            name = [person["name"], role_names.get(person["role"], "")]
            rate = ("rate", present / expected) if expected else None
            yield ([] if one_team else [person["team"]]) + name + marks + [
                expected, present, leave(person), expected - present, rate]

    def below(sheet):
        people = load()["people"]
        expected = sum(person["expected"] for person in people)
        present = sum(person["present"] for person in people)
        blank = [None] * (len(head()) - 1 + len(load()["dates"]))
        counts = (expected, present, sum(leave(person) for person in people), expected - present)
        sheet.below([sheet.total(_("Total")), *blank, *map(sheet.total, counts),
                     sheet.total(present / expected if expected else None, xlsx.PERCENT)])
        sheet.note(_("√ present   × absent   假 on leave   ○ not marked yet. Attendance rate = present ÷ expected: "
                     "the members required on liaison days before today, not counting leave; a past day left "
                     "unmarked counts as absent."))
        sheet.note(_("Team leader (signature): ____________     Date: ____________") if one_team else
                   _("Town liaison office (signature): ____________     Date: ____________"), signature=True)

    heading = _("Attendance sheet")
    place = _where(user, data)
    if one_team:
        team = scope.visible(user, Team).filter(pk=team_id).values_list("village__town__name", "name").first()
        place = "".join(team) if team else place
    period = _("%(month)d/%(year)d") % {"month": first.month, "year": first.year}
    title = f"{place}{heading}（{period}）" if place else f"{heading}（{period}）"
    export = Export("attendance", xlsx.file_name(f"{place}{heading} {first:%Y-%m}.xlsx"), title, [],
                    lambda: len(load()["people"]), rows, sheet=heading, keys=len(head()), below=below)
    export.columns = columns
    return export


# A dashboard's figures.

VISIT_COUNTS = [name for name in COUNTS if name.startswith("visits_")]

def dashboard(user, data):
    unit, unit_id = data.get("unit", ""), whole_number(data.get("id", ""))
    kind = units.of(unit) if unit in Unit.values and unit_id is not None else None
    obj = kind.load(unit_id) if kind else None
    if obj is None or not reports_scope.sees_unit(user, unit, obj):
        raise ValidationError(_("Choose a unit among those whose figures you see."))
    try:
        period = P.parse(data.get("period") or P.of("month", timezone.localdate()).key)
    except ValueError:
        raise ValidationError({"period": _("Name the period as week:2026-W47, month:2026-11, quarter:2026-Q4 or "
                                           "year:2026.")}) from None
    refresh, _latest = selectors.refreshes(kind.county(obj).pk)
    measured = registry.owned_by(unit)
    # Columns narrow enough for the sheet to print on one page's width at 8 pt or more.
    columns = [(C("Unit"), 14, WRAP)]
    for metric in measured:
        label = str(metric.label)
        columns += [(f"{label} · " + C("numerator"), 7), (f"{label} · " + C("denominator"), 7), (label, 7)]
    columns += [(str(label), 7) for label in COUNTS.values()]
    members = []

    def load():
        if not members:
            own = selectors.snapshot(unit, unit_id, period, refresh=refresh) if refresh else None
            members.append((unit, C("%(unit)s (total)") % {"unit": obj}, own))
            members.extend((m.unit, str(m.obj), m.snapshot) for m in selectors.members(refresh, unit, unit_id, period))
        return members

    def rows():
        for member_unit, name, row in load():
            cells = [name]
            # A department is measured on its own metrics only, and makes no visits: its other cells stay blank.
            member_kind = units.of(member_unit)
            for metric in measured:
                if row is None or not metric.owned_by(member_unit):
                    cells += [None, None, None]
                    continue
                rate = metric.rate(row)
                cells += [*metric.pair(row), None if rate is None else ("rate", rate)]
            blank = () if member_kind.has_teams else VISIT_COUNTS
            cells += [getattr(row, name) if row is not None and name not in blank else None for name in COUNTS]
            yield cells

    heading = _("Figures")
    computed = xlsx.local(refresh.computed_at).strftime("%Y-%m-%d %H:%M") if refresh else _("not computed yet")
    title = f"{obj}{heading}（{period.label}，" + _("computed at %(time)s") % {"time": computed} + "）"
    return Export("dashboard", xlsx.file_name(f"{obj}{heading} {period.label}.xlsx"), title, columns,
                  lambda: len(load()), rows, sheet=heading)


# An assessment round's results.

def assessment(user, data):
    """The round's ranking (考核结果): the towns, then every team, ranked across the county as the
    round's page, its print and its red and black lists rank them (`assessments.standings`),
    with each unit's breakdown as its page shows it: each metric's figures, rate, the weight it
    counted with and points, the inspections' deductions and the total. The round and its rows
    are those of the round's pages (`assessments.round_for`, `assessments.seen`): a round the
    user may not see is not found."""
    round_id = whole_number(data.get("round", ""))
    if round_id is None:
        raise ValidationError({"round": [_("Choose the assessment round to export.")]})
    round_ = assessments.round_for(user, round_id)
    if round_ is None:
        raise Http404
    weights = assessments.weights_of(round_)
    # Too wide for one page at 8 pt: the place, unit type and unit repeat on the second.
    columns = [(C("Place in the county"), 6), (C("Unit type"), 9), (C("Unit"), 18, WRAP), (C("Town"), 10)]
    for metric in assessments.WEIGHED:
        label = str(registry.get(metric).label)
        columns += [Column(f"{label} · " + C("numerator"), 7), Column(f"{label} · " + C("denominator"), 7, joined=True),
                    Column(label, 7, joined=True), Column(f"{label} · " + C("weight"), 7, joined=True),
                    Column(f"{label} · " + C("points"), 7, joined=True)]
    columns += [(C("Deductions"), 7), (C("Total"), 7)]
    loaded = []

    def load():
        if not loaded:
            standings = assessments.standings(round_)
            loaded.extend(row for unit in (Unit.TOWN, Unit.TEAM)
                          for row in assessments.seen(user, round_, standings[unit].ranked))
        return loaded

    def points(value):
        return None if value is None else ("points", value)

    def rows():
        levels = {Unit.TOWN: C("Town"), Unit.TEAM: C("Team")}
        for row in load():
            figures = assessments.figures_of(row)
            earned = assessments.metric_points(figures, weights)
            applied = assessments.applied_weights(figures, weights)
            cells = [row.place, levels[row.unit], row.name, row.town_name]
            for metric in assessments.WEIGHED:
                rate = row.rate(metric)
                cells += [getattr(row, f"{metric}_num"), getattr(row, f"{metric}_den"),
                          None if rate is None else ("rate", rate), points(applied[metric]), points(earned[metric])]
            yield cells + [points(row.deduction), points(row.score)]

    period = P.Period(round_.period, round_.start).label
    # The title row names the round, its county and period (the default title already does) and a draft as such.
    extra = [name for name in (round_.county.name, period) if name not in round_.title]
    extra += [] if round_.is_published else [_("draft")]
    title = f"{round_.title}（{'，'.join(extra)}）" if extra else round_.title
    heading = _("Assessment results")
    return Export("assessment", xlsx.file_name(f"{heading} {period}.xlsx"), title, columns, lambda: len(load()),
                  rows, sheet=heading, keys=3)


KINDS = {"issues": issues, "visits": visits, "attendance": attendance, "dashboard": dashboard,
         "assessment": assessment}
# Kinds whose rows carry rates or points, written as styled cells.
STYLED = {"attendance", "dashboard", "assessment"}
NUMBER_FORMATS = {"rate": xlsx.PERCENT, "points": "0.00"}
KIND_LABELS = {
    "issues": gettext_lazy("Issue ledger"), "visits": gettext_lazy("Visit ledger"),
    "attendance": gettext_lazy("Attendance sheet"), "dashboard": gettext_lazy("Figures"),
    "assessment": gettext_lazy("Assessment results"),
}


# The filters an export takes beside its kind are a list page's query string: a few short texts.
# Bounded, so that a body cannot store megabytes of filters, and free of NUL, which PostgreSQL's
# jsonb refuses (a DataError, a 500). Pages and the API alike; the API's schema says the same
# (apis.ExportRequestSchema).
MAX_FILTERS = 30
MAX_FILTER_NAME = 40
MAX_FILTER_TEXT = 200
MAX_FILTER_VALUES = 20


def _filter_value_refusal(value, inside_list=False):
    """Why one filter's value cannot be taken, or None."""
    if isinstance(value, list) and not inside_list:
        if len(value) > MAX_FILTER_VALUES:
            return _("A filter takes at most %(limit)d values.") % {"limit": MAX_FILTER_VALUES}
        return next(filter(None, (_filter_value_refusal(item, True) for item in value)), None)
    if isinstance(value, str):
        if "\x00" in value:
            return _("Null characters are not allowed.")
        if len(value) > MAX_FILTER_TEXT:
            return _("A filter's value cannot be longer than %(limit)d characters.") % {"limit": MAX_FILTER_TEXT}
        return None
    if isinstance(value, bool | int | float):
        return None
    return _("A filter's value is a text, a number, true or false, or a list of them.")


def filter_refusals(filters):
    """{name: [why]} for the filters that cannot be taken; a name that cannot be one is under `detail`."""
    if len(filters) > MAX_FILTERS:
        return {"detail": [_("An export takes at most %(limit)d filters.") % {"limit": MAX_FILTERS}]}
    refusals = {}
    for name, value in filters.items():
        if "\x00" in name or len(name) > MAX_FILTER_NAME:
            refusals["detail"] = [_("A filter's name has at most %(limit)d characters and no NUL.") % {
                "limit": MAX_FILTER_NAME}]
        elif why := _filter_value_refusal(value):
            refusals[name] = [why]
    return refusals


def prepare(user, kind, data):
    """The export of `kind` with the page's filters `data`; ValidationError for a kind or a
    filter that is not one."""
    if kind not in KINDS:
        raise UnknownKind({"kind": [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(KINDS)}]})
    if refusals := filter_refusals(data):
        raise ValidationError(refusals)
    return KINDS[kind](user, data)


def write(export, target, progress=None):
    """Write the export's workbook to `target` (a path or a binary file); `progress(rows)` is
    called every PROGRESS_EVERY rows. Returns the number of rows written."""
    book = xlsx.workbook()
    columns = export.columns() if callable(export.columns) else export.columns
    sheet = xlsx.Sheet(book, name=export.sheet or export.filename.rsplit(".", 1)[0], title=export.title,
                       columns=columns, keys=export.keys)
    styled = export.kind in STYLED
    for row in export.rows():
        # A rate comes as ("rate", value): a cell shown as a percentage; points as ("points", value), with
        # two decimals. The long ledgers carry plain values.
        sheet.append([sheet.cell(cell[1], NUMBER_FORMATS[cell[0]]) if isinstance(cell, tuple) else cell
                      for cell in row] if styled else row)
        if progress is not None and sheet.rows % PROGRESS_EVERY == 0:
            progress(sheet.rows)
    if export.below is not None:
        export.below(sheet)
    sheet.close()
    book.save(target)
    return sheet.rows


def is_small(export):
    return export.count() <= settings.EXPORT_INLINE_ROWS


def write_now(export):
    """A small export written during the request: a temporary file, gone once served."""
    target = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the response that serves it)
    write(export, target)
    target.seek(0)
    return target


def plain(data):
    """A query string or JSON body as {name: value}: the last value of each name, as text."""
    items = data.lists() if hasattr(data, "lists") else ((k, v if isinstance(v, list) else [v])
                                                         for k, v in data.items())
    skip = ("kind", "page", "csrfmiddlewaretoken")
    return {str(k): str(values[-1]) for k, values in items if values and k not in skip}


def start(*, user, kind, data, small_now=False):
    """An export job, its filters checked first (ValidationError). The worker is asked once the
    job is committed; with `small_now`, a small one is written at once (the API's answer is then
    the finished job)."""
    data = plain(data)
    export = prepare(user, kind, data)
    job = ExportJob.objects.create(user=user, kind=kind, filters=data, total=export.count(),
                                   language=translation.get_language() or settings.LANGUAGE_CODE,
                                   heartbeat_at=timezone.now())
    if small_now and job.total <= settings.EXPORT_INLINE_ROWS:
        run(job.pk)
        job.refresh_from_db()
    else:
        # Never on the request's critical path: unpublished (the broker down), the sweeper publishes it.
        # The task by its name: tasks.py imports this module.
        transaction.on_commit(lambda: broker.publish(current_app.signature("reports.tasks.run_export"), job.pk))
    return job


class Superseded(Exception):
    """The sweeper gave this run's job to another worker: this one stops writing."""


def _claim(job_id, take_over=False):
    """Take a queued job (or, to `take_over` from a run that died, a running one): the run's
    number, or None (done, failed, or another worker has it)."""
    statuses = (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING) if take_over else (ExportJob.Status.QUEUED,)
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id, status__in=statuses).first()
        if job is None:
            return None
        job.status, job.rows, job.runs, job.heartbeat_at = ExportJob.Status.RUNNING, 0, job.runs + 1, timezone.now()
        job.save(update_fields=["status", "rows", "runs", "heartbeat_at"])
        return job.runs


def _progress(job_id, run_number, rows):
    if not ExportJob.objects.filter(pk=job_id, runs=run_number, status=ExportJob.Status.RUNNING).update(
            rows=rows, heartbeat_at=timezone.now()):
        raise Superseded


def run(job_id, take_over=False):
    """The worker's part: take the queued job, write its file, noting the rows written as it goes
    (its heartbeat). A job whose worker died is queued again by the sweeper (`stalled`) and
    starts afresh; a job done, failed or taken by another worker is left as it is. Only the
    latest run writes its rows and its result: one the sweeper gave up on stops. A message handed
    out again after its process died `take_over`s the job at once."""
    run_number = _claim(job_id, take_over)
    if run_number is None:
        return
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    try:
        with translation.override(job.language):
            export = prepare(job.user, job.kind, job.filters)
            with tempfile.TemporaryFile() as target:
                rows = write(export, target, progress=lambda n: _progress(job_id, run_number, n))
                target.seek(0)
                job.file.save(export.filename, File(target), save=False)
    except Superseded:
        return
    except Exception:
        logger.exception("Export %s failed", job_id)
        ExportJob.objects.filter(pk=job_id, runs=run_number, status=ExportJob.Status.RUNNING).update(
            status=ExportJob.Status.FAILED, failure=ExportJob.Failure.ERROR, finished_at=timezone.now())
        return
    now = timezone.now()
    if not ExportJob.objects.filter(pk=job_id, runs=run_number, status=ExportJob.Status.RUNNING).update(
        status=ExportJob.Status.DONE, file=job.file.name, rows=rows, total=max(rows, job.total), finished_at=now,
        expires_at=now + timedelta(days=settings.EXPORT_KEEP_DAYS), heartbeat_at=now,
    ):
        job.file.delete(save=False)  # another run took the job meanwhile: its file is the one kept


def stalled(now=None):
    """The sweeper's rule for exports whose work has not moved for JOB_STALL_SECONDS: a job
    queued (never published, the broker being down; or waiting behind other work) is published
    again, until it has waited JOB_QUEUED_LIMIT; a job running (its worker died) is queued again
    until JOB_RETRIES runs have died. Then it fails, saying no worker finished it, and the purge
    removes it a day later. Published twice, a job is still taken by one run (`_claim`).
    Returns the ids to publish."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.JOB_STALL_SECONDS)
    again = []
    with transaction.atomic():
        for job in ExportJob.objects.select_for_update(skip_locked=True).annotate(
            moved=Coalesce("heartbeat_at", "created_at")).filter(
            status__in=(ExportJob.Status.QUEUED, ExportJob.Status.RUNNING), moved__lt=cutoff,
        ).order_by("pk"):
            if job.status == ExportJob.Status.RUNNING and job.runs > settings.JOB_RETRIES or \
                    job.status == ExportJob.Status.QUEUED and job.created_at < now - settings.JOB_QUEUED_LIMIT:
                job.status, job.failure, job.finished_at = (
                    ExportJob.Status.FAILED, ExportJob.Failure.NO_WORKER, now)
                job.save(update_fields=["status", "failure", "finished_at"])
            else:
                job.status, job.retries, job.heartbeat_at = ExportJob.Status.QUEUED, job.retries + 1, now
                job.save(update_fields=["status", "retries", "heartbeat_at"])
                again.append(job.pk)
    return again


def jobs_of(user):
    """The user's own exports, newest first: nobody else's are ever listed or served."""
    return ExportJob.objects.filter(user=user).order_by("-created_at", "-pk")


def filename(job):
    """The name the download is saved under: the kind, and the day it was written."""
    day = xlsx.local(job.finished_at or job.created_at).date() if (job.finished_at or job.created_at) else date.today()
    return f"{KIND_LABELS.get(job.kind, job.kind)} {day:%Y-%m-%d}.xlsx"


def purge(now=None):
    """Delete the files and jobs past their expiry (and jobs that failed a day ago or more)."""
    now = now or timezone.now()
    expired = ExportJob.objects.filter(expires_at__lte=now) | ExportJob.objects.filter(
        status=ExportJob.Status.FAILED, created_at__lte=now - timedelta(days=1))
    count = 0
    for job in expired:
        if job.file:
            job.file.delete(save=False)
        job.delete()
        count += 1
    return count
