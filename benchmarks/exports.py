"""Excel exports and imports on the dongguan preset, in one run:

1. the whole visit ledger (557,000 rows on the preset): our export, from the request's filters
   to the saved file, beside the reference: raw openpyxl write-only writing the same rows, read
   the same way from the database (the ledger's own SQL, through a plain server-side cursor),
   each row appended as it comes. Best of three runs each, taken in turn so that a busy machine
   slows both alike; once with lxml writing the XML and once with openpyxl's own et_xmlfile
   (OPENPYXL_LXML=False), each in a fresh process, as openpyxl chooses its writer at import
   (target: at least 0.8× the reference);
2. the peak memory of that export, in a fresh subprocess (its peak resident set, VmHWM:
   resource.getrusage's maximum would count the parent's, inherited through fork and exec;
   target: at most 200 MB, flat whatever the rows);
3. checking and importing 10,000 households from one .xlsx, then the same file again (target:
   at most 15 s).

    DATABASE_URL=postgres://…/liaison_bench python manage.py seed_demo --preset dongguan
    DATABASE_URL=postgres://…/liaison_bench .venv/bin/python benchmarks/exports.py

`--since 2026-10-01` exports the visits from that day only (a smaller run); `--repeats N`;
`--no-import` leaves out 3, which writes (a database others read is then left untouched).
The imported households are deleted at the end: the database is left as it was."""

import argparse
import io
import json
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

from django.db import connection, transaction  # noqa: E402
from django.utils import translation  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from reports.excel import exports, imports  # noqa: E402
from reports.excel.sheets import CHUNK, visit_ledger  # noqa: E402
from teams.models import Team, User, Village  # noqa: E402
from visits.models import Household  # noqa: E402
from visits.validators import id_check_digit  # noqa: E402

HOUSEHOLDS = 10_000
ROOT = str(Path(__file__).resolve().parent.parent)


def reference(sql, params, target):
    """Raw openpyxl: the ledger's rows from a server-side cursor, appended as they come. Returns
    the rows written."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("raw")
    rows = 0
    with transaction.atomic():
        connection.ensure_connection()
        with connection.connection.cursor(name="reference") as cursor:
            cursor.itersize = CHUNK
            cursor.execute(sql, params)
            for row in cursor:
                sheet.append(row)
                rows += 1
    book.save(target)
    return rows


def compare(data, repeats):
    """The visit ledger, ours and the reference, in this process: {figures}."""
    translation.activate("zh-hans")
    admin = User.objects.get(username="admin")
    ours, raw, ours_cpu, raw_cpu, sizes = [], [], [], [], []
    for _ in range(repeats):
        with tempfile.TemporaryFile() as target:
            started, cpu = time.perf_counter(), time.process_time()
            rows = exports.write(exports.prepare(admin, "visits", data), target)
            ours.append(time.perf_counter() - started)
            ours_cpu.append(time.process_time() - cpu)
            size = target.tell()
        with tempfile.TemporaryFile() as target:
            started, cpu = time.perf_counter(), time.process_time()
            # The same query as ours, built from the same filters: part of the reference's time too.
            sql, params = visit_ledger(admin, data).query.sql_with_params()
            reference_rows = reference(sql, params, target)
            raw.append(time.perf_counter() - started)
            raw_cpu.append(time.process_time() - cpu)
            sizes.append((size, target.tell()))
    assert rows == reference_rows, (rows, reference_rows)
    return {"rows": rows, "ours": min(ours), "raw": min(raw), "ours_cpu": min(ours_cpu), "raw_cpu": min(raw_cpu),
            "size": sizes[0][0], "raw_size": sizes[0][1]}


def compare_in_a_process(data, repeats, lxml):
    env = dict(os.environ, OPENPYXL_LXML=str(lxml))
    script = (f"import sys, json; sys.argv = ['exports.py']; sys.path.insert(0, {ROOT!r}); "
              f"import benchmarks.exports as b; import openpyxl.xml as x; "
              f"print(json.dumps(dict(b.compare({data!r}, {repeats}), lxml=x.LXML)))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.splitlines()[-1])


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


def memory_of_the_export(data):
    """The visit ledger's export in a fresh process: (rows, base MB, peak MB, seconds)."""
    script = CHILD.format(root=ROOT, data=data)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=os.environ)
    rows, base, peak, seconds = out.stdout.split()
    return int(rows), int(base) / 1024, int(peak) / 1024, float(seconds)


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
    parser = argparse.ArgumentParser()
    parser.add_argument("--since", help="export the visits from this day (YYYY-MM-DD) only")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-import", action="store_true", help="leave out the import, which writes")
    options = parser.parse_args()
    if Team.objects.count() < 500:
        sys.exit("Seed the dongguan preset first (manage.py seed_demo --preset dongguan).")
    data = {"date_after": options.since} if options.since else {}
    print(f"Visit ledger ({'from ' + options.since if options.since else 'all of it'}), best of {options.repeats}:")
    for lxml in (True, False):
        f = compare_in_a_process(data, options.repeats, lxml)
        print(f"  {'lxml' if f['lxml'] else 'et_xmlfile'}: {f['rows']:,} rows, {f['size'] / 1e6:.1f} MB "
              f"(reference {f['raw_size'] / 1e6:.1f} MB); "
              f"ours {f['ours']:.1f} s ({f['rows'] / f['ours']:,.0f} rows/s), "
              f"raw openpyxl reading the same query {f['raw']:.1f} s ({f['rows'] / f['raw']:,.0f} rows/s): "
              f"ratio {f['raw'] / f['ours']:.2f}× (target ≥ 0.8×); in this process's CPU time "
              f"{f['ours_cpu']:.1f} s vs {f['raw_cpu']:.1f} s, {f['raw_cpu'] / f['ours_cpu']:.2f}× (the database's "
              f"own work is in its server, alike for both)")
    rows, base, peak, seconds = memory_of_the_export(data)
    print(f"  memory: {rows:,} rows in {seconds:.1f} s; peak RSS {peak:.0f} MB (process after start-up {base:.0f} MB, "
          f"export adds {peak - base:.0f} MB; target ≤ 200 MB)")
    if options.no_import:
        return
    translation.activate("zh-hans")
    size, first, second = import_time(User.objects.get(username="admin"))
    print(f"Import of {HOUSEHOLDS} households ({size / 1e6:.2f} MB .xlsx): checked and written in {first:.1f} s "
          f"(target ≤ 15 s); the same file again (nothing changes) {second:.1f} s")
    print(f"  (this process's peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
