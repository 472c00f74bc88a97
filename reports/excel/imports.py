"""Excel imports: households, the teams' rosters (花名册: cadres with their teams and roles), the
year's holiday calendar (holidays and make-up working days, 调休) and 定点联系 (each household's
member), each from its template.

This module reads the file and turns each row's cells into what the owning app's use case takes
(`visits.services.check_households`, `teams.bulk.check_roster` and `check_holidays`,
`visits.assignments.check_assignments`); those
check every row with the rules of one, match it on its natural key (a household's ID number, or
its village, head and address; a cadre's mobile number and team; a holiday's date), so the same
file imported twice changes nothing, and write it. Each problem is reported here with its row,
its column and why, in the user's language. Nothing is written unless every row is valid, or the
user, having read the report, imports only the valid ones. The checking and the writing are one
transaction: a worker killed in the middle leaves nothing behind.
The file itself is read, bounded against a hostile one, by `reports.excel.reading`."""

import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from reports import scope as reports_scope
from reports.excel import xlsx
from reports.excel.reading import FileRefused, read
from reports.models import ImportBatch
from teams import scope
from teams.bulk import check_holidays, check_roster, import_holidays, import_roster
from teams.models import Holiday, Membership, Role, Team
from visits.assignments import check_assignments, import_assignments
from visits.models import MEMBERS_COUNT, Assignment, Household, HouseholdTag
from visits.scope import assigning_villages, roll_villages
from visits.services import check_households, import_households
from visits.validators import MOBILE, normalize_phone

# What the pages, the tasks and the tests use; FileRefused is the reading's, raised through `check`.
__all__ = ["KINDS", "FileRefused", "batch_of", "check", "example_row", "keep", "kinds_for", "purge", "run",
           "run_batch", "template"]


@dataclass
class Column:
    name: object  # the header, as the template has it (lazy: in the user's language)
    width: int
    example: object
    required: bool = False
    text: bool = False  # kept as text in the template, so that Excel keeps an ID number's digits


@dataclass
class Problem:
    row: int
    column: str
    message: str


@dataclass
class Report:
    """The checked file: its rows (1-based sheet row, values by column), and its problems."""

    kind: str
    rows: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = False
    checked: object = None  # the use case's `core.bulk.Checked`, which writes the valid rows

    @property
    def bad_rows(self):
        return sorted({p.row for p in self.problems})

    @property
    def valid_count(self):
        return len(self.rows) - len(self.bad_rows)


# The templates.

def template(kind, user):
    """The kind's template: its header row, and an example row to be replaced."""
    spec = KINDS[kind]
    book = xlsx.workbook()
    sheet = xlsx.Sheet(book, name=str(spec.label), title=spec.instructions, columns=[
        (f"{c.name}" + ("*" if c.required else ""), c.width) for c in spec.columns])
    sheet.append(example_row(kind, user))
    sheet.close()
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def example_row(kind, user):
    """The template's example row, one the checks accept as it is: in the first village (or
    team) the user keeps, with dates that are not in the future."""
    today = timezone.localdate()
    row = [str(c.example) for c in KINDS[kind].columns]
    if kind == "households":
        places = sorted(_villages(user))
        if places:
            row[0], row[1] = places[0]
        row[8] = min(date(today.year, 1, 5), today).isoformat()
    elif kind == "roster":
        places = sorted(_teams(user))
        if places:
            row[2], row[3] = places[0]
        row[5] = min(date(today.year, 1, 5), today).isoformat()
    elif kind == "assignments":
        _assignment_example(user, row, today)
    else:
        row[0] = date(today.year, 10, 1).isoformat()
    return row


def _is_example(kind, values, example):
    """The example row left above the user's own rows: its required cells are the example's."""
    return all(str(values.get(str(c.name), "")) == value
               for c, value in zip(KINDS[kind].columns, example, strict=True) if c.required)


# Checking rows: each row's cells become what the owning app's use case takes; the use case
# checks them with the rules of one row and writes them (`visits.services.check_households`,
# `teams.bulk.check_roster`, `teams.bulk.check_holidays`). What is checked here is only what a
# cell must be to be read at all: filled, a date, a number, a known name.

def _date(value, problems, row, column, required=False):
    if value in ("", None):
        if required:
            problems.append(Problem(row, column, _("Required.")))
        return None
    if isinstance(value, date):
        return value
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    problems.append(Problem(row, column, _("Not a date: write it as 2026-01-31.")))
    return None


def _each_row(kind, rows, report):
    """(sheet row, values, its problems) for each row, its required cells checked: the caller
    adds the problems it finds, and they go into the report once it has the next row."""
    required = [str(c.name) for c in KINDS[kind].columns if c.required]  # read once: each is a translation
    for number, values in rows:
        problems = [Problem(number, name, _("Required.")) for name in required if values.get(name) in ("", None)]
        yield number, values, problems
        report.problems.extend(problems)


def _names(kind):
    """{field: column name} of the kind's columns (read once: each is a translation)."""
    spec = KINDS[kind]
    return {key: str(column.name) for key, column in zip(spec.fields, spec.columns, strict=True)}


def _checked(report, parsed, checked, names):
    """The use case's problems after the cells' own, each in its column, row by row: a cell
    already refused as it was read is not reported again."""
    refused = {(p.row, p.column) for p in report.problems}
    for problem in checked.problems:
        column = names.get(problem.field, problem.field)
        if (problem.row, column) not in refused:
            report.problems.append(Problem(problem.row, column, problem.message))
    report.problems.sort(key=lambda p: p.row)
    report.rows, report.checked = parsed, checked


def _by_name(villages):
    """{(town name, village name): village} of a queryset of villages: how a sheet names them."""
    return {(v.town.name, v.name): v for v in villages.select_related("town")}


def _villages(user):
    """The villages whose roll the user keeps, by name."""
    return _by_name(roll_villages(user))


# Households.

def _households_check(user, report, rows):
    names = _names("households")
    villages = _villages(user)
    tags = {t.name: t for t in HouseholdTag.objects.all()}
    parsed = []
    for number, values, problems in _each_row("households", rows, report):
        town, village_name = values[names["town"]], values[names["village"]]
        village = villages.get((town, village_name))
        if village is None and town and village_name:
            problems.append(Problem(number, names["village"], _(
                "No village or community %(village)s in %(town)s among those whose household roll you keep.") % {
                    "village": village_name, "town": town}))
        members = str(values[names["members_count"]] or "1")
        if not (members.isdigit() and int(members) in MEMBERS_COUNT):
            problems.append(Problem(number, names["members_count"], _("A whole number from 1 to 99.")))
        row_tags = []
        for tag_name in filter(None, (t.strip() for t in str(values[names["tags"]]).replace("，", "、").replace(
                ",", "、").split("、"))):
            if tag_name in tags:
                row_tags.append(tags[tag_name])
            else:
                problems.append(Problem(number, names["tags"], _("No tag named %(tag)s; the tags are: %(tags)s.") % {
                    "tag": tag_name, "tags": "、".join(tags)}))
        since = _date(values[names["registered_on"]], problems, number, names["registered_on"])
        parsed.append((number, dict(
            village=village, head_name=str(values[names["head_name"]]), address=str(values[names["address"]]),
            phone=str(values[names["phone"]]), id_number=str(values[names["id_number"]]).upper().replace(" ", ""),
            members_count=int(members) if members.isdigit() else 1, registered_on=since, tags=row_tags)))
    _checked(report, parsed, check_households(by=user, rows=parsed), names)


# The rosters (花名册).

def _role_names():
    """{name: role}: the roles' Chinese names, and their names in the user's language and codes."""
    names = {}
    for language in ("zh-hans", translation.get_language() or settings.LANGUAGE_CODE):
        with translation.override(language):
            names.update({str(label): value for value, label in Role.choices})
    names.update({value: value for value in Role.values})
    return names


def _teams(user):
    """{(town name, village name): team} of the active teams whose rosters the user keeps."""
    teams = scope.changeable(user, Team).filter(is_active=True).select_related("village__town")
    return {(t.village.town.name, t.village.name): t for t in teams}


def _roster_check(user, report, rows):
    names = _names("roster")
    teams = _teams(user)
    roles = _role_names()
    parsed = []
    for number, values, problems in _each_row("roster", rows, report):
        phone = normalize_phone(str(values[names["phone"]]))
        if phone and not MOBILE.match(phone):
            problems.append(Problem(number, names["phone"], _("Enter an 11-digit mobile number (e.g. 13812345678).")))
        town, village = values[names["town"]], values[names["village"]]
        team = teams.get((town, village))
        if team is None and town and village:
            problems.append(Problem(number, names["village"], _(
                "No team of %(village)s in %(town)s among the rosters you keep.") % {"village": village, "town": town}))
        role_name = str(values[names["role"]])
        role = roles.get(role_name)
        if role_name and role is None:
            problems.append(Problem(number, names["role"], _("No role named %(role)s; the roles are: %(roles)s.") % {
                "role": role_name, "roles": "、".join(str(label) for label in Role.labels)}))
        since = _date(values[names["since"]], problems, number, names["since"]) or timezone.localdate()
        parsed.append((number, dict(name=str(values[names["name"]]), phone=phone, team=team, role=role, since=since)))
    _checked(report, parsed, check_roster(by=user, rows=parsed), names)


# The holiday calendar.

def _holiday_kinds():
    kinds = {}
    for language in ("zh-hans", translation.get_language() or settings.LANGUAGE_CODE):
        with translation.override(language):
            kinds.update({str(label): value for value, label in Holiday.Kind.choices})
    kinds.update({"放假": Holiday.Kind.HOLIDAY, "调休": Holiday.Kind.WORKDAY, "上班": Holiday.Kind.WORKDAY,
                  **{value: value for value in Holiday.Kind.values}})
    return kinds


def _holidays_check(user, report, rows):
    if not scope.keeps_calendar(user):
        raise PermissionDenied(_("Only administrators keep the holiday calendar."))
    names = _names("holidays")
    kinds = _holiday_kinds()
    parsed = []
    for number, values, problems in _each_row("holidays", rows, report):
        day = _date(values[names["date"]], problems, number, names["date"])
        kind_name = str(values[names["kind"]])
        kind = kinds.get(kind_name)
        if kind_name and kind is None:
            problems.append(Problem(number, names["kind"], _("Write %(holiday)s or %(workday)s.") % {
                "holiday": Holiday.Kind.HOLIDAY.label, "workday": Holiday.Kind.WORKDAY.label}))
        parsed.append((number, dict(date=day, kind=kind, name=str(values[names["name"]]))))
    _checked(report, parsed, check_holidays(rows=parsed), names)


# 定点联系: each household's member.

YES = {"是", "√", "1", "yes", "true", "y"}
NO = {"", "否", "0", "no", "false", "n"}


def _assigning_villages(user):
    """The villages whose households the user assigns, by name."""
    return _by_name(assigning_villages(user))


def _assignment_example(user, row, today):
    """The first household of the first village the user assigns, with its member today (or the
    team's first member): a row that imports as it is, changing nothing."""
    places = sorted(_assigning_villages(user).items())
    if not places:
        return
    (row[0], row[1]), village = places[0]
    household = Household.objects.filter(village=village, is_active=True, registered_on__lte=today).order_by(
        "address", "pk").first()
    current = Assignment.objects.active_on(today).filter(household=household).select_related(
        "membership__user").order_by("start_date", "pk").first() if household else None
    membership = current.membership if current else village.team.memberships.filter(
        pk__in=Membership.objects.active_on(today)).select_related("user").order_by("start_date", "pk").first()
    if household is None or membership is None:
        return
    row[2], row[3], row[4] = household.head_name, household.address, ""
    row[5] = membership.user.phone or membership.user.name or membership.user.username
    row[6] = ""


def _assignments_check(user, report, rows):
    names = _names("assignments")
    villages = _assigning_villages(user)
    parsed = []
    for number, values, problems in _each_row("assignments", rows, report):
        town, village_name = values[names["town"]], values[names["village"]]
        village = villages.get((town, village_name))
        if village is None and town and village_name:
            problems.append(Problem(number, names["village"], _(
                "No village or community %(village)s in %(town)s among those whose households you assign.") % {
                    "village": village_name, "town": town}))
        pair = str(values[names["pair"]]).strip().lower()
        if pair not in YES | NO:
            problems.append(Problem(number, names["pair"], _("Write 是 for the second member of a pair, or leave "
                                                             "it empty.")))
        since = _date(values[names["start_date"]], problems, number, names["start_date"])
        if problems:
            village = None  # a row with a cell refused is not checked further
        parsed.append((number, dict(
            village=village, head_name=str(values[names["head_name"]]), address=str(values[names["address"]]),
            id_number=str(values[names["id_number"]]).upper().replace(" ", ""), member=str(values[names["member"]]),
            start_date=since, pair=pair in YES)))
    _checked(report, parsed, check_assignments(by=user, rows=parsed), names)


# The kinds.

HOUSEHOLD_COLUMNS = [
    Column(pgettext_lazy("excel column", "Town"), 12, "罗阳街道", required=True),
    Column(pgettext_lazy("excel column", "Village"), 13, "西区社区", required=True),
    Column(pgettext_lazy("excel column", "Head of household"), 11, "王秀英", required=True),
    Column(pgettext_lazy("excel column", "Address"), 24, "建设路12号", required=True),
    Column(pgettext_lazy("excel column", "Phone"), 14, "13912345678", text=True),
    Column(pgettext_lazy("excel column", "ID number"), 21, "44132219580315002X", text=True),
    Column(pgettext_lazy("excel column", "Number of members"), 10, "3"),
    Column(pgettext_lazy("excel column", "Tags (separated by 、)"), 16, ""),
    Column(pgettext_lazy("excel column", "Registered on"), 12, "2026-01-05", text=True),
]
ROSTER_COLUMNS = [
    Column(pgettext_lazy("excel column", "Name"), 10, "王建国", required=True),
    Column(pgettext_lazy("excel column", "Mobile number"), 14, "13712345678", required=True, text=True),
    Column(pgettext_lazy("excel column", "Town"), 12, "罗阳街道", required=True),
    Column(pgettext_lazy("excel column", "Village"), 13, "西区社区", required=True),
    Column(pgettext_lazy("excel column", "Role"), 14, Role.TOWN_CADRE.label, required=True),
    Column(pgettext_lazy("excel column", "Member since"), 13, "2026-01-05", text=True),
]
HOLIDAY_COLUMNS = [
    Column(pgettext_lazy("excel column", "Date"), 12, "2026-10-01", required=True, text=True),
    Column(pgettext_lazy("excel column", "Kind"), 14, "法定节假日", required=True),
    Column(pgettext_lazy("excel column", "Holiday name"), 14, "国庆节", required=True),
]


ASSIGNMENT_COLUMNS = [
    Column(pgettext_lazy("excel column", "Town"), 12, "罗阳街道", required=True),
    Column(pgettext_lazy("excel column", "Village"), 13, "西区社区", required=True),
    Column(pgettext_lazy("excel column", "Head of household"), 11, "王秀英", required=True),
    Column(pgettext_lazy("excel column", "Address"), 24, "建设路12号"),
    Column(pgettext_lazy("excel column", "ID number"), 21, "", text=True),
    Column(pgettext_lazy("excel column", "Member (mobile number or name)"), 16, "13800000002", required=True,
           text=True),
    Column(pgettext_lazy("excel column", "From"), 12, "", text=True),
    Column(pgettext_lazy("excel column", "Pair"), 10, ""),
]


@dataclass
class Kind:
    label: object
    columns: list
    fields: tuple  # what each column is to the use case: a problem on a field is shown in its column
    check: object
    write: object  # the owning app's use case, writing the rows checked
    instructions: object


KINDS = {
    "households": Kind(gettext_lazy("Households"), HOUSEHOLD_COLUMNS, (
        "town", "village", "head_name", "address", "phone", "id_number", "members_count", "tags", "registered_on"),
        _households_check, import_households,
        gettext_lazy("Households: one row each; replace the example row. * marks a required column.")),
    "roster": Kind(gettext_lazy("Team roster"), ROSTER_COLUMNS, ("name", "phone", "town", "village", "role", "since"),
                   _roster_check, import_roster,
                   gettext_lazy("Team roster: one row per cadre and team; replace the example row. * marks a "
                                "required column.")),
    "holidays": Kind(gettext_lazy("Holiday calendar"), HOLIDAY_COLUMNS, ("date", "kind", "name"), _holidays_check,
                     import_holidays,
                     gettext_lazy("Holiday calendar: public holidays and make-up working days (调休); replace the "
                                  "example row.")),
    "assignments": Kind(gettext_lazy("Household assignments"), ASSIGNMENT_COLUMNS, (
        "town", "village", "head_name", "address", "id_number", "member", "start_date", "pair"),
        _assignments_check, import_assignments,
        gettext_lazy("Household assignments: one row per household and member; the household by its ID number, "
                     "or its head and address; the member by mobile number or name; from today unless a date is "
                     "given; 是 under pair keeps the household's member beside this one. * marks a required "
                     "column.")),
}


def kinds_for(user):
    """The imports the user may run: households and rosters for the town office (its towns) and
    administrators, the holiday calendar for administrators."""
    return [kind for kind in KINDS if reports_scope.may_import(user, kind)]


def _lock(kind):
    """One import of a kind at a time, so that two uploads of the same file cannot both add it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [7301, list(KINDS).index(kind)])


def check(user, kind, content):
    """Read and check the file: a Report, or FileRefused."""
    if kind not in kinds_for(user):
        raise PermissionDenied(_("You may not import this."))
    spec = KINDS[kind]
    rows = read(content, spec.columns)
    # The example row is left out of a file with rows of its own; alone, it is imported like any row.
    example = example_row(kind, user)
    rows = [(n, v) for n, v in rows if not _is_example(kind, v, example)] or rows
    report = Report(kind)
    spec.check(user, report, rows)
    return report


def run(user, kind, content, *, valid_only=False):
    """Check the file and, if every row is valid (or `valid_only`), write its valid rows in one
    transaction. Returns the Report; `created`/`updated`/`unchanged` tell what was written."""
    with transaction.atomic():
        _lock(kind)
        report = check(user, kind, content)
        if report.problems and not valid_only:
            transaction.set_rollback(True)
            return report
        bad = set(report.bad_rows)
        keys = [number for number, _row in report.rows if number not in bad]
        if keys:
            written = KINDS[kind].write(checked=report.checked, keys=keys)
            report.created, report.updated, report.unchanged = written.created, written.updated, written.unchanged
        report.written = True
    return report


def keep(user, kind, name, content):
    """Keep a checked file whose report showed bad rows, for importing its valid rows."""
    return ImportBatch.objects.create(user=user, kind=kind, name=name[:200], content=content)


def batch_of(user, pk):
    """The user's own kept file, not yet imported and less than a day old; DoesNotExist otherwise."""
    return ImportBatch.objects.get(user=user, pk=pk, imported_at__isnull=True,
                                   created_at__gt=timezone.now() - timedelta(days=1))


def run_batch(user, batch):
    """Import a kept file's valid rows and mark it imported, in one transaction: a kept file is
    imported once."""
    with transaction.atomic():
        report = run(user, batch.kind, bytes(batch.content), valid_only=True)
        ImportBatch.objects.filter(pk=batch.pk).update(imported_at=timezone.now(), content=b"")
    return report


def purge(now=None):
    now = now or timezone.now()
    return ImportBatch.objects.filter(created_at__lte=now - timedelta(days=1)).delete()[0]
