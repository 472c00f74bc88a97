"""Excel imports: households, the teams' rosters (花名册: cadres with their teams and roles) and the
year's holiday calendar (holidays and make-up working days, 调休), each from its template.

Every row is checked first and each problem reported with its row, its column and why, in the
user's language. Nothing is written unless every row is valid, or the user, having read the
report, imports only the valid ones. The rows are matched on natural keys (a household's ID
number, or its village, head and address; a cadre's mobile number and team; a holiday's date),
so the same file imported twice changes nothing. The writing is one transaction: a worker
killed in the middle leaves nothing behind.

The file is untrusted: its size, what it unpacks to and how many rows it has are bounded before
and while openpyxl reads it (read-only), so a renamed text file, a zip bomb, an empty file or a
sheet of a hundred thousand blank rows each get a message, never a hang or a memory blow-up."""

import io
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from reports import scope as reports_scope
from reports.excel import xlsx
from reports.models import ImportBatch
from teams import changes, scope
from teams.models import Holiday, Membership, Role, Team, User, Village
from teams.services import cancel_days_on_holidays, check_leader_limit, sync_attendance
from visits.models import Household, HouseholdTag
from visits.scope import roll_villages
from visits.services import ADDRESS, HEAD_NAME
from visits.validators import MOBILE, normalize_phone, validate_id_number, validate_phone

# What the .xlsx may unpack to, and how much more than its packed size any part may be: a
# spreadsheet's XML packs about 10:1, a zip bomb a thousand times that.
MAX_UNPACKED = 200 * 1024 * 1024
MAX_RATIO = 200
# Blank rows read past the last filled one before the reading stops: a sheet "used" down to
# row 1,048,576 is read no further than this.
MAX_BLANK_RUN = 200_000
HEADER_ROWS = 5


class FileRefused(Exception):
    """The file as a whole cannot be imported; the message says why."""


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

    @property
    def bad_rows(self):
        return sorted({p.row for p in self.problems})

    @property
    def valid_count(self):
        return len(self.rows) - len(self.bad_rows)


# Reading the file.

def _refuse_unsafe(content):
    if not content:
        raise FileRefused(_("The file is empty."))
    if len(content) > settings.IMPORT_MAX_BYTES:
        raise FileRefused(_("The file is larger than %(size)s; split it into smaller files.") % {
            "size": filesizeformat(settings.IMPORT_MAX_BYTES)})
    not_xlsx = _("This is not an Excel workbook (.xlsx). Save the file as .xlsx, from the template.")
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise FileRefused(not_xlsx)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise FileRefused(not_xlsx) from None
    if "xl/workbook.xml" not in {part.filename for part in parts}:
        raise FileRefused(not_xlsx)
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_UNPACKED or any(
            part.file_size > MAX_RATIO * max(part.compress_size, 1) and part.file_size > 1024 * 1024 for part in parts):
        raise FileRefused(_("The file unpacks to far more than a spreadsheet of this size can hold; it is refused."))


def _cell(value):
    """A cell's value as text or a date; whole numbers typed as numbers lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read(content, columns):
    """[(sheet row, {column name: value})] of the first sheet's filled rows below the header."""
    from openpyxl import load_workbook

    _refuse_unsafe(content)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise FileRefused(_("The workbook cannot be read: it is damaged or not an .xlsx file.")) from None
    try:
        names = [str(c.name) for c in columns]
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise FileRefused(_("The workbook has no sheet."))
        header, positions, rows, blank_run = None, {}, [], 0
        try:
            iterator = sheet.iter_rows(max_col=len(columns) + 10, values_only=True)
            for number, values in enumerate(iterator, 1):
                values = [_cell(v) for v in values]
                if header is None:
                    # The template marks required columns with *: the name is what is left.
                    marked = [v.rstrip("*＊ ") if isinstance(v, str) else v for v in values]
                    if names[0] in marked or names[1] in marked:
                        header = number
                        positions = _header(marked, names)
                    elif number >= HEADER_ROWS:
                        break
                    continue
                if not any(values):
                    blank_run += 1
                    if blank_run > MAX_BLANK_RUN:
                        break
                    continue
                blank_run = 0
                rows.append((number, {name: values[i] if i < len(values) else "" for name, i in positions.items()}))
                if len(rows) > settings.IMPORT_MAX_ROWS:
                    raise FileRefused(_("The file has more than %(n)d filled rows; split it into smaller files.")
                                      % {"n": settings.IMPORT_MAX_ROWS})
        except FileRefused:
            raise
        except Exception:
            raise FileRefused(_("The workbook cannot be read: it is damaged or not an .xlsx file.")) from None
        if header is None:
            raise FileRefused(_("No header row with the template's column names (%(names)s) in the first %(n)d rows. "
                                "Use the template downloaded from this page.") % {
                                    "names": "、".join(names), "n": HEADER_ROWS})
    finally:
        book.close()
    if not rows:
        raise FileRefused(_("The sheet has no filled rows below its header."))
    return rows


def _header(values, names):
    """{column name: index}; a missing or blank header cell (merged cells leave blanks) refuses the file."""
    positions = {}
    for index, value in enumerate(values):
        if value in names and value not in positions:
            positions[value] = index
    missing = [name for name in names if name not in positions]
    if missing:
        raise FileRefused(_("The header row lacks the column(s) %(names)s. Keep one header cell per column, as in "
                            "the template: no merged or renamed header cells.") % {"names": "、".join(missing)})
    return positions


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
    else:
        row[0] = date(today.year, 10, 1).isoformat()
    return row


def _is_example(kind, values, example):
    """The example row left above the user's own rows: its required cells are the example's."""
    return all(str(values.get(str(c.name), "")) == value
               for c, value in zip(KINDS[kind].columns, example, strict=True) if c.required)


# Checking rows.

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


def _required(values, names, problems, row):
    """`names`: the required columns' names (read once: each is a translation)."""
    for name in names:
        if values.get(name) in ("", None):
            problems.append(Problem(row, name, _("Required.")))


def _required_names(columns):
    return [str(c.name) for c in columns if c.required]


def _message(error):
    return " ".join(error.messages)


def _villages(user):
    """{(town name, village name): village} of the villages whose roll the user keeps."""
    villages = roll_villages(user).select_related("town")
    return {(v.town.name, v.name): v for v in villages}


# Households.

def _households_check(user, report, rows):
    keys = ("town", "village", "head", "address", "phone", "id", "members", "tags", "since")
    names = {key: str(col.name) for key, col in zip(keys, HOUSEHOLD_COLUMNS, strict=True)}
    required = _required_names(HOUSEHOLD_COLUMNS)
    villages = _villages(user)
    tags = {t.name: t for t in HouseholdTag.objects.all()}
    ids_in_file = {}
    parsed = []
    for number, values in rows:
        problems = []
        _required(values, required, problems, number)
        town, village_name = values[names["town"]], values[names["village"]]
        village = villages.get((town, village_name))
        if village is None and town and village_name:
            problems.append(Problem(number, names["village"], _(
                "No village or community %(village)s in %(town)s among those whose household roll you keep.") % {
                    "village": village_name, "town": town}))
        head, address = str(values[names["head"]]), str(values[names["address"]])
        for text_value, bound, key in ((head, HEAD_NAME, "head"), (address, ADDRESS, "address")):
            refusal = bound.error(text_value)
            if refusal:
                problems.append(Problem(number, names[key], str(refusal)))
        phone = normalize_phone(str(values[names["phone"]]))
        try:
            validate_phone(phone)
        except ValidationError as error:
            problems.append(Problem(number, names["phone"], _message(error)))
        id_number = str(values[names["id"]]).upper().replace(" ", "")
        if id_number:
            try:
                validate_id_number(id_number)
            except ValidationError as error:
                problems.append(Problem(number, names["id"], _message(error)))
            else:
                if id_number in ids_in_file:
                    problems.append(Problem(number, names["id"], _("The same ID number as row %(row)d.") % {
                        "row": ids_in_file[id_number]}))
                ids_in_file.setdefault(id_number, number)
        members = str(values[names["members"]] or "1")
        if not (members.isdigit() and 1 <= int(members) <= 99):
            problems.append(Problem(number, names["members"], _("A whole number from 1 to 99.")))
        row_tags = []
        for tag_name in filter(None, (t.strip() for t in str(values[names["tags"]]).replace("，", "、").replace(
                ",", "、").split("、"))):
            if tag_name in tags:
                row_tags.append(tags[tag_name])
            else:
                problems.append(Problem(number, names["tags"], _("No tag named %(tag)s; the tags are: %(tags)s.") % {
                    "tag": tag_name, "tags": "、".join(tags)}))
        since = _date(values[names["since"]], problems, number, names["since"])
        if since is not None and since > timezone.localdate():
            problems.append(Problem(number, names["since"], _("The registration date cannot be in the future.")))
        report.problems.extend(problems)
        parsed.append((number, problems, dict(
            village=village, head_name=head, address=address, phone=phone, id_number=id_number,
            members_count=int(members) if members.isdigit() else 1, registered_on=since, tags=row_tags)))
    # Matched on the ID number, or without one on the village, head and address.
    known = {h.id_number: h for h in Household.objects.filter(id_number__in=list(ids_in_file)).only(
        "pk", "village_id", "id_number")}
    by_place = {}
    village_ids = {row[2]["village"].pk for row in parsed if row[2]["village"] is not None}
    for h in Household.objects.filter(village__in=village_ids, is_active=True).only(
            "pk", "village_id", "head_name", "address", "id_number"):
        by_place.setdefault((h.village_id, h.head_name, h.address), h)
    for number, problems, row in parsed:
        if row["id_number"] and row["id_number"] in known:
            match = known[row["id_number"]]
            if row["village"] is not None and match.village_id != row["village"].pk:
                problem = Problem(number, names["id"], _("This ID number is already on the roll of another village."))
                problems.append(problem)
                report.problems.append(problem)
            row["match"] = match.pk
        elif row["village"] is not None:
            match = by_place.get((row["village"].pk, row["head_name"], row["address"]))
            if match is not None and (not row["id_number"] or not match.id_number):
                row["match"] = match.pk
        report.rows.append((number, row))


HOUSEHOLD_FIELDS = ("village_id", "head_name", "address", "phone", "id_number", "members_count")


def _households_write(user, report, rows):
    today = timezone.localdate()
    matched = Household.objects.in_bulk([row["match"] for row in rows if row.get("match")])
    current_tags = defaultdict(set)
    for household, tag in Household.tags.through.objects.filter(household__in=matched).values_list(
            "household_id", "householdtag_id"):
        current_tags[household].add(tag)
    new, changed, tag_sets, counted = [], [], {}, set()
    for row in rows:
        values = {"village_id": row["village"].pk, "head_name": row["head_name"], "address": row["address"],
                  "phone": row["phone"], "id_number": row["id_number"], "members_count": row["members_count"]}
        wanted_tags = {t.pk for t in row["tags"]}
        if row.get("match"):
            household = matched[row["match"]]
            counted_before = (household.village_id, household.registered_on)
            differs = [name for name in HOUSEHOLD_FIELDS if getattr(household, name) != values[name]]
            if row["registered_on"] and household.registered_on != row["registered_on"]:
                differs.append("registered_on")
                household.registered_on = row["registered_on"]
            for name in differs:
                if name in values:
                    setattr(household, name, values[name])
            if differs:
                changed.append(household)
            if (household.village_id, household.registered_on) != counted_before:
                # Counted in another village, or from another day: both, from the earlier day.
                since = min(counted_before[1], household.registered_on)
                counted.update({(counted_before[0], since), (household.village_id, since)})
            if wanted_tags != current_tags[household.pk]:
                tag_sets[household.pk] = wanted_tags
            if differs or household.pk in tag_sets:
                report.updated += 1
            else:
                report.unchanged += 1
        else:
            household = Household(registered_on=row["registered_on"] or today, **values)
            household.wanted_tags = wanted_tags
            new.append(household)
            counted.add((household.village_id, household.registered_on))
    Household.objects.bulk_create(new, batch_size=2000)
    if changed:
        Household.objects.bulk_update(changed, [*HOUSEHOLD_FIELDS, "registered_on"], batch_size=2000)
    for household in new:
        if household.wanted_tags:
            tag_sets[household.pk] = household.wanted_tags
    through = Household.tags.through
    through.objects.filter(household__in=[pk for pk in tag_sets if pk in matched]).delete()
    through.objects.bulk_create(
        [through(household_id=pk, householdtag_id=tag) for pk, tags in tag_sets.items() for tag in tags],
        batch_size=5000)
    report.created = len(new)
    _figures_changed(counted)


def _figures_changed(village_days):
    """Bulk writes send no signal: the figures are told of each town once, from its earliest day."""
    towns = dict(Village.objects.filter(pk__in={village for village, _day in village_days})
                 .values_list("pk", "town_id"))
    since = {}
    for village, day in village_days:
        town = towns[village]
        since[town] = min(day, since.get(town, day))
    for town, day in since.items():
        changes.changed(town, day)


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
    names = {key: str(col.name) for key, col in zip(("name", "phone", "town", "village", "role", "since"),
                                                      ROSTER_COLUMNS, strict=True)}
    required = _required_names(ROSTER_COLUMNS)
    teams = _teams(user)
    roles = _role_names()
    phones_in_file = {}
    parsed = []
    for number, values in rows:
        problems = []
        _required(values, required, problems, number)
        name = str(values[names["name"]])
        if len(name) > User._meta.get_field("name").max_length:
            problems.append(Problem(number, names["name"], _("At most %(n)d characters.") % {
                "n": User._meta.get_field("name").max_length}))
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
        if team is not None and phone:
            key = (phone, team.pk)
            if key in phones_in_file:
                problems.append(Problem(number, names["phone"], _(
                    "The same cadre in the same team as row %(row)d.") % {"row": phones_in_file[key]}))
            phones_in_file.setdefault(key, number)
        parsed.append((number, problems, dict(name=name, phone=phone, team=team, role=role, since=since)))
    users = defaultdict(list)
    for u in User.objects.filter(phone__in={row[2]["phone"] for row in parsed if row[2]["phone"]}):
        users[u.phone].append(u)
    taken = set(User.objects.filter(username__in={row[2]["phone"] for row in parsed})
                .values_list("username", flat=True))
    today = timezone.localdate()
    active = {}
    for m in Membership.objects.active_on(today).filter(user__phone__in=users, team__in={
            row[2]["team"].pk for row in parsed if row[2]["team"] is not None}).select_related("user"):
        active[(m.user.phone, m.team_id)] = m
    for number, problems, row in parsed:
        found = users.get(row["phone"], [])
        if len(found) > 1:
            problems.append(Problem(number, names["phone"], _("Several accounts have this mobile number; add this "
                                                             "cadre in the administration pages.")))
        elif not found and row["phone"] in taken:
            problems.append(Problem(number, names["phone"], _("An account is already named after this number.")))
        row["user"] = found[0] if len(found) == 1 else None
        if row["team"] is not None:
            membership = active.get((row["phone"], row["team"].pk))
            if membership is not None and row["role"] and membership.role != row["role"]:
                problems.append(Problem(number, names["role"], _(
                    "This cadre is already %(role)s in this team; a new role is a new membership: end the old one "
                    "first.") % {"role": membership.get_role_display()}))
            row["membership"] = membership
        if row["user"] is not None and row["role"] == Role.LEADER and row.get("membership") is None:
            try:
                check_leader_limit(user=row["user"], role=row["role"], start_date=row["since"])
            except ValidationError as error:
                problems.append(Problem(number, names["role"], _message(error)))
        report.problems.extend(problems)
        report.rows.append((number, row))


def _roster_write(user, report, rows):
    new_users = {}
    for row in rows:
        if row["user"] is None and row["phone"] not in new_users:
            account = User(username=row["phone"], name=row["name"], phone=row["phone"])
            account.set_unusable_password()
            new_users[row["phone"]] = account
    User.objects.bulk_create(list(new_users.values()))
    memberships, teams, start, counted = [], set(), timezone.localdate(), set()
    for row in rows:
        if row.get("membership") is not None:
            report.unchanged += 1
            continue
        member = row["user"] or new_users[row["phone"]]
        if row["user"] is not None and row["role"] == Role.LEADER:
            check_leader_limit(user=member, role=row["role"], start_date=row["since"])
        memberships.append(Membership(team=row["team"], user=member, role=row["role"], start_date=row["since"],
                                      public_phone=row["phone"]))
        counted.add((row["team"].village_id, row["since"]))
        teams.add(row["team"].pk)
        start = min(start, row["since"])
    Membership.objects.bulk_create(memberships)
    report.created = len(memberships)
    _figures_changed(counted)
    if teams:
        sync_attendance(team_ids=sorted(teams), start=start, end=timezone.localdate() + timedelta(weeks=52))


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
    names = {key: str(col.name) for key, col in zip(("date", "kind", "name"), HOLIDAY_COLUMNS, strict=True)}
    required = _required_names(HOLIDAY_COLUMNS)
    kinds = _holiday_kinds()
    seen = {}
    for number, values in rows:
        problems = []
        _required(values, required, problems, number)
        day = _date(values[names["date"]], problems, number, names["date"])
        kind_name = str(values[names["kind"]])
        kind = kinds.get(kind_name)
        if kind_name and kind is None:
            problems.append(Problem(number, names["kind"], _("Write %(holiday)s or %(workday)s.") % {
                "holiday": Holiday.Kind.HOLIDAY.label, "workday": Holiday.Kind.WORKDAY.label}))
        name = str(values[names["name"]])
        if len(name) > Holiday._meta.get_field("name").max_length:
            problems.append(Problem(number, names["name"], _("At most %(n)d characters.") % {
                "n": Holiday._meta.get_field("name").max_length}))
        if day is not None:
            if day in seen:
                problems.append(Problem(number, names["date"], _("The same date as row %(row)d.") % {"row": seen[day]}))
            seen.setdefault(day, number)
            if kind == Holiday.Kind.WORKDAY and day.weekday() < 5:
                problems.append(Problem(number, names["kind"], _("A make-up working day falls on a weekend.")))
        report.problems.extend(problems)
        report.rows.append((number, dict(date=day, kind=kind, name=name)))


def _holidays_write(user, report, rows):
    known = Holiday.objects.in_bulk([row["date"] for row in rows], field_name="date")
    new, changed = [], []
    for row in rows:
        holiday = known.get(row["date"])
        if holiday is None:
            new.append(Holiday(date=row["date"], kind=row["kind"], name=row["name"]))
        elif (holiday.kind, holiday.name) != (row["kind"], row["name"]):
            holiday.kind, holiday.name = row["kind"], row["name"]
            changed.append(holiday)
        else:
            report.unchanged += 1
    Holiday.objects.bulk_create(new)
    Holiday.objects.bulk_update(changed, ["kind", "name"])
    cancel_days_on_holidays(new + changed)
    report.created, report.updated = len(new), len(changed)


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


@dataclass
class Kind:
    label: object
    columns: list
    check: object
    write: object
    instructions: object


KINDS = {
    "households": Kind(gettext_lazy("Households"), HOUSEHOLD_COLUMNS, _households_check, _households_write,
                       gettext_lazy("Households: one row each; replace the example row. * marks a required column.")),
    "roster": Kind(gettext_lazy("Team roster"), ROSTER_COLUMNS, _roster_check, _roster_write,
                   gettext_lazy("Team roster: one row per cadre and team; replace the example row. * marks a "
                                "required column.")),
    "holidays": Kind(gettext_lazy("Holiday calendar"), HOLIDAY_COLUMNS, _holidays_check, _holidays_write,
                     gettext_lazy("Holiday calendar: public holidays and make-up working days (调休); replace the "
                                  "example row.")),
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
        rows = [row for number, row in report.rows if number not in bad]
        if rows:
            KINDS[kind].write(user, report, rows)
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
