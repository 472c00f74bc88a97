"""The sheets an export can write: the issue ledger (台账), the visit ledger (走访台账 / 民情日记),
the monthly attendance sheet (考勤表), a dashboard's figures for a period, an assessment
round's results (考核结果) and the households' members (定点联系). A kind is a function
`(user, data) -> Export`: adding one is one more function in `KINDS`. Each reads the filters
of the page it starts from, through that page's own filter class, and starts from what the
user may see (the scope module); a resident's personal data is masked by the rule the pages
and the API use.

Over 400 lines because it is the six sheets side by side, each one function with its columns,
sharing the title, place and chunk helpers."""

from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.contrib.postgres.aggregates import StringAgg
from django.core.exceptions import ValidationError
from django.db.models import Case, CharField, DateTimeField, Exists, Func, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce, Concat, NullIf
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

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
from reports.models import COUNTS, Unit
from reports.oversight import assessments
from teams import scope
from teams.models import Attendance, LiaisonDay, Membership, Role, Team, Town, Village
from visits.filters import VisitFilter
from visits.models import Assignment, Household, Visit
from visits.scope import assignment_watchers, personal_data_villages
from visits.selectors import unassigned
from visits.validators import mask_id_number, mask_name, mask_phone


def C(text):
    """A column header: its own context, so that "Town" can be 镇街 in a sheet and 镇 elsewhere."""
    return pgettext("excel column", text)


WRAP = True  # a column's third item: its text wraps, the row as tall as it needs
CHUNK = 2000


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

def _person(prefix):
    """A person's name as the pages show it: the full name, else the username."""
    return Coalesce(NullIf(f"{prefix}name", Value("")), f"{prefix}username", output_field=CharField())


def _joined(through, value, order_by="pk"):
    """A visit's related names joined with 、 in the order they were added, "" when none: one
    subquery a row (an index lookup), so that the ledger is one query, read as it is written."""
    names = through.objects.filter(visit=OuterRef("pk")).values("visit").annotate(
        names=StringAgg(value, "、", order_by=order_by, output_field=CharField())).values("names")
    return Coalesce(Subquery(names), Value(""), output_field=CharField())


def _labels(field, choices):
    """A choice's label, translated once for the whole export, chosen by the database."""
    return Case(*(When(**{field: value}, then=Value(label)) for value, label in _label(choices).items()),
                default=field, output_field=CharField())


def visit_ledger(user, data):
    """The visit ledger's rows for the diary's filters `data`, as the sheet writes them: each row
    one tuple straight from the database, names joined, labels and local times given by the
    query, no Python work a row. ValidationError for a filter that is not one."""
    f = VisitFilter(data, queryset=scope.visible(user, Visit).order_by("-date", "-pk"))
    if not f.is_valid():
        raise ValidationError(f.errors.as_data())
    return f.qs.annotate(
        kind_label=_labels("kind", Visit.Kind),
        cadre_names=_joined(Visit.cadres.through, _person("user__")),
        homes=_joined(Visit.households.through, Concat(
            "household__head_name", Value("（"), "household__address", Value("）"), output_field=CharField())),
        follow_up=Case(When(needs_follow_up=True, then=Value(_("Yes"))), default=Value(_("No")),
                       output_field=CharField()),
        recorder=_person("recorded_by__"),
        recorded_local=Func("recorded_at", Value(settings.TIME_ZONE), template="(%(expressions)s)",
                            arg_joiner=" AT TIME ZONE ", output_field=DateTimeField()),
    ).values_list("date", "kind_label", "village__town__name", "village__name", "team__name", "cadre_names", "homes",
                  "notes", "follow_up", "recorder", "recorded_local")


def visits(user, data):
    queryset = visit_ledger(user, data)
    columns = [
        (C("Date"), 11), (C("Kind"), 9), (C("Town"), 10), (C("Village"), 11), (C("Team"), 17, WRAP),
        (C("Cadres present"), 18, WRAP), (C("Households visited"), 28, WRAP), (C("Notes"), 32, WRAP),
        (C("Needs follow-up"), 7), (C("Recorded by"), 8), (C("Recorded at"), 18),
    ]
    period = _span(data.get("date_after"), data.get("date_before"))
    heading = _("Visit ledger")
    return Export("visits", f"{heading}.xlsx", _title(user, data, heading, period), columns, queryset.count,
                  lambda: queryset.iterator(chunk_size=CHUNK))


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


# 定点联系.

def assignments(user, data):
    """The households' members today (定点联系), then the households no member has, of what the
    user oversees (a member: their own households), by village; `town`, `village` or `team`
    narrows it. Its columns are the import's, so the file, with members filled in or changed,
    imports back (a masked ID number is no key: the household is then found by head and address)."""
    today = timezone.localdate()
    picked = {name: whole_number(data.get(name, "")) for name in ("town", "village", "team")}
    if any(data.get(name) and number is None for name, number in picked.items()):
        raise ValidationError(_("Choose a town, village or team from the list."))

    def narrowed(rows, prefix):
        for name, field in (("town", "village__town"), ("village", "village"), ("team", "village__team")):
            if picked[name] is not None:
                rows = rows.filter(**{f"{prefix}{field}": picked[name]})
        return rows

    s = scope.scope_for(user)
    full = set(Village.objects.filter(personal_data_villages(s).q()).values_list("pk", flat=True))
    second = Assignment.objects.active_on(today).filter(household=OuterRef("household"), pk__lt=OuterRef("pk"))
    assigned = narrowed(scope.visible(user, Assignment).active_on(today), "household__").annotate(
        member_name=_person("membership__user__"), pair=Exists(second),
    ).order_by("household__village__town__name", "household__village__name", "member_name", "household__address",
               "pk").values_list("household__village__town__name", "household__village__name",
                                 "household__head_name", "household__address", "household__id_number",
                                 "household__village_id", "member_name", "start_date", "pair")
    watched = Household.objects.filter(assignment_watchers(s).q("village__"))
    free = narrowed(unassigned(watched, today), "").order_by(
        "village__town__name", "village__name", "address", "pk").values_list(
        "village__town__name", "village__name", "head_name", "address", "id_number", "village_id")
    columns = [(C("Town"), 10), (C("Village"), 11), (C("Head of household"), 10), (C("Address"), 24, WRAP),
               (C("ID number"), 20), (C("Member (mobile number or name)"), 12), (C("From"), 11), (C("Pair"), 6)]

    def rows():
        for town, village, head, address, number, village_id, member, start, pair in assigned.iterator(
                chunk_size=CHUNK):
            yield [town, village, head, address, number if village_id in full else mask_id_number(number), member,
                   start, "是" if pair else ""]
        for town, village, head, address, number, village_id in free.iterator(chunk_size=CHUNK):
            yield [town, village, head, address, number if village_id in full else mask_id_number(number), "", None,
                   ""]

    heading = _("Household assignments")
    title = _title(user, data, heading, _("%(day)s; households without a member last") % {"day": today.isoformat()})
    return Export("assignments", xlsx.file_name(f"{heading} {today:%Y-%m-%d}.xlsx"), title, columns,
                  lambda: assigned.count() + free.count(), rows, sheet=heading, keys=3)


KINDS = {"issues": issues, "visits": visits, "attendance": attendance, "dashboard": dashboard,
         "assessment": assessment, "assignments": assignments}
# Kinds whose rows carry rates or points, written as styled cells.
STYLED = {"attendance", "dashboard", "assessment"}
NUMBER_FORMATS = {"rate": xlsx.PERCENT, "points": "0.00"}
KIND_LABELS = {
    "issues": gettext_lazy("Issue ledger"), "visits": gettext_lazy("Visit ledger"),
    "attendance": gettext_lazy("Attendance sheet"), "dashboard": gettext_lazy("Figures"),
    "assessment": gettext_lazy("Assessment results"), "assignments": gettext_lazy("Household assignments"),
}
