"""How the costs grow from one county to four: the full refresh per county, every page × persona
p95 and its queries (benchmarks/pages.py's pages, measured the same way), and the database size.

    createdb -T liaison_dg liaison_p1        # or seed: manage.py seed_demo --preset dongguan
    createdb liaison_p4 && DATABASE_URL=postgres://…/liaison_p4 .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://…/liaison_p4 .venv/bin/python manage.py seed_demo --preset dongguan --counties 4
    vacuumdb --analyze liaison_p1 && vacuumdb --analyze liaison_p4
    BENCH_DATABASE_1=postgres://…/liaison_p1 BENCH_DATABASE_4=postgres://…/liaison_p4 \\
        REDIS_URL=redis://127.0.0.1:6379/4 .venv/bin/python benchmarks/province.py

Both databases must be seeded with the same preset and --seed, so that their first county is the
same county. The refresh writes new figures (a full refresh of each county), so run it on copies,
not on a database in use. Each database is measured in a process of its own (the settings read one
DATABASE_URL); the demo personas live in the first county, so their pages are the same pages at 1
and at 4 counties, only the database around them grows (the admin sees every county).

The refresh must not grow with the number of counties: its figures per county at 4 counties should
match the one county's. To show why, the statements of the first county's refresh are explained
(EXPLAIN, not run), as planned and with sequential scans disabled. A table read whole as planned
costs in proportion to the province; at Dongguan × 1 the planner still reads teams_attendance and
visits_visit_households whole per town (a hash join, which EXPLAIN costs about the same as the
~4,000 index probes while the table is one county's), and should take the probes once the table
is several counties' — the listing at 4 counties tells. A table read whole even with sequential scans disabled
has no index the plan can probe.

Options (environment): BENCH_ROUNDS (refreshes of each county, 3), BENCH_REQUESTS (requests per page
and persona, 20), BENCH_ONLY (pages.py's filter), BENCH_PAGES=0 to skip the pages."""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK = "PROVINCE-RESULT "
EXPLAINED = ("select", "with", "insert", "update", "delete")


def measure_here():
    """In the child process, against DATABASE_URL: prints one MARK line of JSON."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
    os.environ.setdefault("CACHE_KEY_PREFIX", "bench-province")
    import django

    django.setup()
    from django.db import connection

    from teams.models import County, Team
    from visits.models import Household

    counties = list(County.objects.order_by("pk"))
    result = {"counties": len(counties), "teams": Team.objects.count(), "households": Household.objects.count()}
    # The size as seeded, before the refreshes below leave their dead snapshot rows.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        result["bytes"] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relkind = 'r' "
            "AND relnamespace = 'public'::regnamespace ORDER BY 2 DESC LIMIT 8"
        )
        result["largest"] = cursor.fetchall()
    result["refresh"] = _refreshes(counties)
    result["pages"] = _pages() if os.environ.get("BENCH_PAGES", "1") != "0" else {}
    print(MARK + json.dumps(result), flush=True)


def _refreshes(counties):
    """Seconds and queries of each county's full refresh, and the first county's unindexed reads."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.figures import services

    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    seconds, queries, captured = {}, {}, None
    for _ in range(rounds):
        for county in counties:
            with CaptureQueriesContext(connection) as context:
                started = time.perf_counter()
                services.refresh_in_process(county)
                seconds.setdefault(county.name, []).append(time.perf_counter() - started)
            queries[county.name] = len(context)
            if captured is None:
                captured = [q["sql"] for q in context.captured_queries]
    return {
        "seconds": {name: statistics.median(times) for name, times in seconds.items()},
        "queries": queries,
        "whole_reads": _whole_reads(captured),
    }


def _whole_reads(statements):
    """The tables the plans of `statements` read whole, as the planner chooses ("chosen": table →
    the most rows so read) and with sequential scans disabled ("unindexed": no index the plan
    can probe). A table read whole in a county's refresh makes the refresh grow with the
    province; "chosen" without "unindexed" is the planner preferring a hash join over index probes."""
    from django.db import connection, transaction

    found = {"explained": 0, "chosen": {}, "unindexed": {}}
    for sql in statements:
        if not sql.lstrip().lower().startswith(EXPLAINED):
            continue
        found["explained"] += 1
        for setting, key in (("on", "chosen"), ("off", "unindexed")):
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL enable_seqscan = {setting}")
                    cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
                    plan = cursor.fetchone()[0]
                    transaction.set_rollback(True)
            except Exception:  # a statement on a temporary table that is gone: nothing to learn
                continue
            plan = plan if isinstance(plan, list) else json.loads(plan)
            for table, rows in _whole_scans(plan[0]["Plan"]):
                found[key][table] = max(found[key].get(table, 0), rows)
    return found


def _whole_scans(node):
    """(table, estimated rows) of the scans reading a table whole: a sequential scan, or an index
    scan with no condition on the index (what is left when sequential scans are disabled)."""
    kind = node.get("Node Type")
    if kind == "Seq Scan" or (kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node):
        yield node["Relation Name"], node.get("Plan Rows", 0)
    for child in node.get("Plans", []):
        yield from _whole_scans(child)


def _pages():
    """{"page | persona": [p95 ms, queries]} for every page the persona may open (pages.py)."""
    import gc

    import pages as bench_pages
    from dashboards import client_for, measure

    only = os.environ.get("BENCH_ONLY", "").split(",")
    rows = [(name, path) for name, path in bench_pages.pages() if any(t in name or t in path for t in only)]
    clients = {who: client_for(who) for who in bench_pages.PERSONAS}
    gc.freeze()
    result = {}
    for name, path in rows:
        for who in bench_pages.PERSONAS:
            if clients[who].get(path).status_code != 200:
                continue
            r = measure(clients[who], path, bench_pages.REQUESTS)
            result[f"{name} | {who}"] = [r["p95"], r["queries"]]
    return result


def run(url):
    env = dict(os.environ, DATABASE_URL=url)
    started = time.monotonic()
    process = subprocess.run([sys.executable, __file__, "--here"], env=env, cwd=ROOT, capture_output=True, text=True)
    line = next((x for x in process.stdout.splitlines() if x.startswith(MARK)), None)
    if process.returncode or line is None:
        sys.exit(f"measuring {url} failed:\n{process.stderr[-3000:]}")
    result = json.loads(line[len(MARK):])
    print(f"  {url.rsplit('/', 1)[-1]}: {result['counties']} counties, {result['teams']} teams, "
          f"{result['households']} households, measured in {time.monotonic() - started:.0f}s", flush=True)
    return result


def growth(a, b):
    return f"{b / a:5.2f}×" if a else "    —"


def report(one, four):
    print("\nFull refresh of one county (median of the rounds)")
    first = next(iter(one["refresh"]["seconds"]))
    base = one["refresh"]["seconds"][first]
    print(f"  {'county':12} {'s at 1':>8} {'s at 4':>8} {'growth':>7} {'queries':>8}")
    for name, seconds in four["refresh"]["seconds"].items():
        at_one = one["refresh"]["seconds"].get(name)
        print(f"  {name:12} {'—' if at_one is None else f'{at_one:.2f}':>8} {seconds:8.2f} "
              f"{growth(base, seconds)} {four['refresh']['queries'][name]:8d}")
    total = sum(four["refresh"]["seconds"].values())
    print(f"  the province one county after another: {total:.2f}s ({total / base:.2f}× one county; "
          f"the towns' tasks spread over workers)")
    for label, result in (("1", one), ("4", four)):
        reads = result["refresh"]["whole_reads"]
        print(f"  at {label} county(ies), {reads['explained']} statements explained; tables read whole "
              "(estimated rows) —")
        for key, meaning in (("chosen", "as planned"), ("unindexed", "even with sequential scans disabled")):
            listed = ", ".join(f"{table} ({rows:,})" for table, rows in
                               sorted(reads[key].items(), key=lambda x: -x[1]) if rows >= 1000) or "none of 1,000+ rows"
            print(f"    {meaning}: {listed}")

    pages = sorted(set(one["pages"]) & set(four["pages"]))
    if pages:
        print(f"\nPages × personas ({len(pages)} measured in both)")
        print(f"  {'page | persona':52} {'p95 1':>7} {'p95 4':>7} {'growth':>7} {'q 1':>4} {'q 4':>4}")
        ratios, changed = [], 0
        for key in pages:
            (p1, q1), (p4, q4) = one["pages"][key], four["pages"][key]
            ratios.append(p4 / p1 if p1 else 1)
            changed += q1 != q4
            flag = ("  queries" if q1 != q4 else "") + ("  OVER" if p4 > 150 else "")
            print(f"  {key[:52]:52} {p1:7.1f} {p4:7.1f} {growth(p1, p4)} {q1:4d} {q4:4d}{flag}")
        ratios.sort()
        print(f"  p95 growth: median {statistics.median(ratios):.2f}×, 90th percentile "
              f"{ratios[int(len(ratios) * 0.9) - 1]:.2f}×, max {ratios[-1]:.2f}×; "
              f"query counts changed on {changed} of {len(pages)}")

    print("\nDatabase size")
    size1, size4 = one["bytes"] / 2**20, four["bytes"] / 2**20
    print(f"  {size1:9.1f} MB at 1, {size4:9.1f} MB at 4: {growth(size1, size4)} "
          f"({size4 / four['counties']:.1f} MB a county)")
    print("  largest tables at 4: " + ", ".join(f"{name} {size / 2**20:.0f} MB" for name, size in four["largest"]))


def main():
    if "--here" in sys.argv:
        measure_here()
        return
    urls = [os.environ.get("BENCH_DATABASE_1"), os.environ.get("BENCH_DATABASE_4")]
    if not all(url and url.startswith("postgres") for url in urls):
        sys.exit("Set BENCH_DATABASE_1 and BENCH_DATABASE_4 (PostgreSQL URLs): see the docstring.")
    print("Measuring each database in turn")
    one, four = (run(url) for url in urls)
    report(one, four)


if __name__ == "__main__":
    main()
