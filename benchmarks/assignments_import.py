"""定点联系: importing 100,000 assignment rows from one .xlsx on the dongguan preset (target: at
most 30 s, checked and written), beside the reference measured in the same run: raw openpyxl
reading the same file (read-only, every row's values), the least any import of it costs.

The workbook is made from the database: the first 100,000 households on the roll (by village),
each given a member of its village's team other than the one it has (so that most rows end an
assignment and start one), by mobile number, the household by ID number or, without one, by
head and address. Each run checks and writes the file as `reports.excel.imports.run` does (the
same functions, timed apart), then checks the same file again (every row unchanged), and is
rolled back: the database is left as it was. Median of `--repeats` runs (3), taken in turn with
the reference, so that a busy machine slows both alike.

    DATABASE_URL=postgres://…/liaison_bench python manage.py seed_demo --preset dongguan
    DATABASE_URL=postgres://…/liaison_bench .venv/bin/python benchmarks/assignments_import.py

The import's own bounds (IMPORT_MAX_ROWS, IMPORT_MAX_MB) are raised for the run: a production
file of this size is split, or the bounds raised the same way."""

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone, translation  # noqa: E402
from openpyxl import Workbook, load_workbook  # noqa: E402

from reports.excel import imports  # noqa: E402
from teams.models import Membership, Team, User  # noqa: E402
from visits.assignments import import_assignments  # noqa: E402
from visits.models import Assignment, Household  # noqa: E402

ROWS = 100_000


def workbook(rows):
    """The .xlsx of `rows` households, as a user fills the template, and its row count."""
    today = timezone.localdate()
    members = {}
    for village, phone, name in (Membership.objects.active_on(today).filter(team__is_active=True)
                                 .order_by("team", "start_date", "pk")
                                 .values_list("team__village_id", "user__phone", "user__name")):
        members.setdefault(village, {})[phone or name] = None
    members = {village: list(cells) for village, cells in members.items()}
    current = dict(Assignment.objects.active_on(today).values_list("household_id", "membership__user__phone"))
    places = {}
    chosen = []
    for pk, village, town, village_name, head, address, number in (
            Household.objects.filter(is_active=True, registered_on__lte=today, village__team__is_active=True)
            .order_by("village_id", "pk").values_list("pk", "village_id", "village__town__name", "village__name",
                                                      "head_name", "address", "id_number")[:rows * 2]):
        if len(members.get(village, ())) < 2:
            continue
        if not number:
            places[(village, head, address)] = places.get((village, head, address), 0) + 1
        chosen.append((pk, village, town, village_name, head, address, number))
    columns = [str(c.name) for c in imports.KINDS["assignments"].columns]
    book = Workbook(write_only=True)
    sheet = book.create_sheet("定点联系")
    sheet.append(columns)
    written = 0
    for pk, village, town, village_name, head, address, number in chosen:
        if not number and places[(village, head, address)] > 1:
            continue  # two households of one head at one address: the file would need their ID numbers
        team_members = members[village]
        member = next(m for m in team_members[pk % len(team_members):] + team_members if m != current.get(pk))
        sheet.append([town, village_name, head, address, number, member, "", ""])
        written += 1
        if written == rows:
            break
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), written


def raw_read(content):
    """The reference: openpyxl reading every row's values, read-only. Seconds (wall, this
    process's CPU) and rows."""
    started, cpu = time.perf_counter(), time.process_time()
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    count = sum(1 for _row in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return time.perf_counter() - started, time.process_time() - cpu, count


def ours(user, content):
    """Check and write as `imports.run` does, then check again; rolled back. Seconds of each, and
    this process's CPU seconds for the check and write (the database's work is in its server)."""
    with transaction.atomic():
        started, cpu = time.perf_counter(), time.process_time()
        report = imports.check(user, "assignments", content)
        checked = time.perf_counter()
        if report.problems:
            problem = report.problems[0]
            sys.exit(f"{len(report.problems)} problems, the first: row {problem.row}, {problem.column}: "
                     f"{problem.message}")
        written = import_assignments(checked=report.checked, keys=[n for n, _row in report.rows])
        wrote, cpu = time.perf_counter(), time.process_time() - cpu
        again = imports.check(user, "assignments", content)
        unchanged = sum(1 for row in again.checked.rows.values() if row["unchanged"])
        rechecked = time.perf_counter()
        transaction.set_rollback(True)
    return checked - started, wrote - checked, rechecked - wrote, cpu, written, unchanged


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    if Team.objects.count() < 500:
        sys.exit("Seed the dongguan preset first (manage.py seed_demo --preset dongguan).")
    translation.activate("zh-hans")
    settings.IMPORT_MAX_ROWS = options.rows + 10
    settings.IMPORT_MAX_BYTES = 100 * 1024 * 1024
    user = User.objects.get(username="admin")
    made = time.perf_counter()
    content, rows = workbook(options.rows)
    print(f"Workbook: {rows:,} rows, {len(content) / 1e6:.1f} MB, made in {time.perf_counter() - made:.1f} s "
          f"({Assignment.objects.count():,} assignments in the database)", flush=True)
    raw, raw_cpu, check, write, recheck, cpus = [], [], [], [], [], []
    for run in range(options.repeats):
        seconds, seconds_cpu, count = raw_read(content)
        raw.append(seconds)
        raw_cpu.append(seconds_cpu)
        c, w, r, cpu, written, unchanged = ours(user, content)
        check.append(c)
        write.append(w)
        recheck.append(r)
        cpus.append(cpu)
        print(f"  run {run + 1}: raw read {seconds:.1f} s (CPU {seconds_cpu:.1f} s, {count:,} rows); check {c:.1f} s, "
              f"write {w:.1f} s (CPU {cpu:.1f} s; {written.created:,} new, {written.updated:,} reassigned, "
              f"{written.unchanged:,} unchanged); the same file again {r:.1f} s ({unchanged:,} unchanged)",
              flush=True)
    median = statistics.median
    total = median(c + w for c, w in zip(check, write, strict=True))
    print(f"Median of {options.repeats}: check {median(check):.1f} s + write {median(write):.1f} s = {total:.1f} s "
          f"for {rows:,} rows (target ≤ 30 s), {rows / total:,.0f} rows/s; raw openpyxl reading the file "
          f"{median(raw):.1f} s: ours is {total / median(raw):.1f}× the reading alone (in this process's CPU: "
          f"{median(cpus):.1f} s vs {median(raw_cpu):.1f} s, {median(cpus) / median(raw_cpu):.1f}×); the same file "
          f"again {median(recheck):.1f} s")


if __name__ == "__main__":
    main()
