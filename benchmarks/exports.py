"""Excel exports and imports on the dongguan preset, in one run:

1. the yearly issue ledger (~29,000 rows): our export's rows/s, database included, beside raw
   openpyxl write-only writing the same values with no database, best of three runs each taken in
   turn (target: at least 0.8×);
2. the peak memory of a 100,000-row export (the visit ledger), in a fresh subprocess (its peak
   resident set, VmHWM: resource.getrusage's maximum would count the parent's, inherited through
   fork and exec; target: at most 200 MB);
3. checking and importing 10,000 households from one .xlsx, then the same file again (target:
   at most 15 s).

    DATABASE_URL=postgres://…/liaison_bench python manage.py seed_demo --preset dongguan
    DATABASE_URL=postgres://…/liaison_bench .venv/bin/python benchmarks/exports.py

The imported households are deleted at the end: the database is left as it was."""

import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")

import django

django.setup()

from django.db.models import Count  # noqa: E402
from django.utils import timezone, translation  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from issues.models import Issue  # noqa: E402
from reports.excel import exports, imports  # noqa: E402
from teams.models import Team, User, Village  # noqa: E402
from visits.models import Household, Visit  # noqa: E402
from visits.validators import id_check_digit  # noqa: E402

VISIT_ROWS = 100_000
HOUSEHOLDS = 10_000


def ledger_year():
    year = timezone.localdate().year
    counts = dict(Issue.objects.values_list("received_at__year").annotate(n=Count("pk")).values_list(
        "received_at__year", "n"))
    year = max(counts, key=counts.get) if counts else year
    return {"received_after": f"{year}-01-01", "received_before": f"{year}-12-31"}


def export_rate(admin, repeats=3):
    """(filters, rows, bytes, our rows/s, raw rows/s), each the best of `repeats` runs taken in
    turn, so that a busy machine slows both alike."""
    data = ledger_year()
    values = list(exports.prepare(admin, "issues", data).rows())
    ours, raw, ours_cpu, raw_cpu = [], [], [], []
    for _ in range(repeats):
        export = exports.prepare(admin, "issues", data)
        with tempfile.TemporaryFile() as target:
            started, cpu = time.perf_counter(), time.process_time()
            rows = exports.write(export, target)
            ours.append(time.perf_counter() - started)
            ours_cpu.append(time.process_time() - cpu)
            size = target.tell()
        with tempfile.TemporaryFile() as target:
            started, cpu = time.perf_counter(), time.process_time()
            book = Workbook(write_only=True)
            sheet = book.create_sheet("raw")
            for row in values:
                sheet.append(row)
            book.save(target)
            raw.append(time.perf_counter() - started)
            raw_cpu.append(time.process_time() - cpu)
    return data, rows, size, rows / min(ours), len(values) / min(raw), min(raw_cpu) / min(ours_cpu)


CHILD = """
import os, sys, tempfile, time
sys.path.insert(0, {root!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
import django
django.setup()
from django.utils import translation
from reports.excel import exports
from teams.models import User
translation.activate("zh-hans")
admin = User.objects.get(username="admin")
def peak_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
base = peak_kb()
export = exports.prepare(admin, "visits", {data!r})
with tempfile.TemporaryFile() as target:
    started = time.perf_counter()
    rows = exports.write(export, target)
    seconds = time.perf_counter() - started
print(rows, base, peak_kb(), seconds)
"""


def memory_of_a_large_export():
    """The visit ledger from the day that makes it at least VISIT_ROWS rows, in a fresh process."""
    total, first = 0, None
    for day, n in Visit.objects.values_list("date").annotate(n=Count("pk")).order_by("-date").values_list("date", "n"):
        total, first = total + n, day
        if total >= VISIT_ROWS:
            break
    data = {"date_after": first.isoformat()}
    script = CHILD.format(root=str(Path(__file__).resolve().parent.parent), data=data)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=os.environ)
    rows, base, peak, seconds = out.stdout.split()
    return data, int(rows), int(base) / 1024, int(peak) / 1024, float(seconds)


def households_file(villages):
    """HOUSEHOLDS rows across `villages`, with ID numbers (valid check digits) no household has."""
    from openpyxl import Workbook as Book

    book = Book()
    ws = book.active
    ws.append([str(c.name) for c in imports.HOUSEHOLD_COLUMNS])
    ids = []
    born = date(1950, 1, 1)
    for i in range(HOUSEHOLDS):
        village = villages[i % len(villages)]
        first17 = f"659001{born + timedelta(days=i):%Y%m%d}{i % 1000:03d}"
        id_number = first17 + id_check_digit(first17)
        ids.append(id_number)
        ws.append([village.town.name, village.name, f"测试户{i}", f"导入路{i}号", f"139{i:08d}", id_number, 1 + i % 6,
                   "低保" if i % 10 == 0 else "", "2026-01-05"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), ids


def import_time(admin):
    villages = list(Village.objects.filter(team__isnull=False).select_related("town").order_by("pk")[:10])
    content, ids = households_file(villages)
    assert not Household.objects.filter(id_number__in=ids).exists()
    try:
        started = time.perf_counter()
        report = imports.run(admin, "households", content)
        first = time.perf_counter() - started
        assert not report.problems and report.created == HOUSEHOLDS, (report.problems[:5], report.created)
        started = time.perf_counter()
        again = imports.run(admin, "households", content)
        second = time.perf_counter() - started
        assert again.created == 0 and again.unchanged == HOUSEHOLDS
    finally:
        doomed = Household.objects.filter(id_number__in=ids)
        Household.tags.through.objects.filter(household__in=doomed).delete()
        doomed.delete()
    return len(content), first, second


def main():
    if Team.objects.count() < 500:
        sys.exit("Seed the dongguan preset first (manage.py seed_demo --preset dongguan).")
    translation.activate("zh-hans")
    admin = User.objects.get(username="admin")
    data, rows, size, ours, raw, cpu_ratio = export_rate(admin)
    print(f"Issue ledger {data['received_after']}..{data['received_before']}: {rows} rows, {size / 1e6:.1f} MB")
    print(f"  ours (database included): {ours:,.0f} rows/s; raw openpyxl write-only, same values, no database: "
          f"{raw:,.0f} rows/s; ratio {ours / raw:.2f}× (target ≥ 0.8×); in this process's CPU time "
          f"{cpu_ratio:.2f}× (the database's own work is in its server)")
    data, rows, base, peak, seconds = memory_of_a_large_export()
    print(f"Visit ledger from {data['date_after']}: {rows} rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s)")
    print(f"  peak RSS {peak:.0f} MB (process after start-up {base:.0f} MB, export adds {peak - base:.0f} MB; "
          f"target ≤ 200 MB)")
    size, first, second = import_time(admin)
    print(f"Import of {HOUSEHOLDS} households ({size / 1e6:.2f} MB .xlsx): checked and written in {first:.1f} s "
          f"(target ≤ 15 s); the same file again (nothing changes) {second:.1f} s")
    print(f"  (this process's peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
