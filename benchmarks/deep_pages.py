"""Each long API list at its first page and at a cursor 200 pages deep (row 10,001 of 50 a page):
median server time, queries, and the plan of the query that reads the page's rows, on the dongguan
preset; then the ledger, the visit diary and the biggest village's household list (pages, read by
cursor too) at page 1 and at the page their `下一页` links reach after DEPTH pages (or their last).

    createdb -T liaison_dg liaison_dg_deep    # a copy of a database seeded with --preset dongguan
    DATABASE_URL=postgres://…/liaison_dg_deep .venv/bin/python manage.py migrate
    vacuumdb --analyze liaison_dg_deep
    DATABASE_URL=postgres://…/liaison_dg_deep .venv/bin/python benchmarks/deep_pages.py

The deep cursor is reached as a client reaches it, by following `next` (1,000 rows a page, then 50
again: a cursor does not hold the page size); a list shorter than 10,050 rows is measured at its
last full page, and the row it starts at is printed. Requests go through the whole stack with DRF's
test client, authenticated without a token or a session; the pages sign in (a session row): run it
on a copy. BENCH_REQUESTS sets
the requests per row (20), BENCH_USER the user (admin), BENCH_DEPTH the depth in pages of 50 (200:
row 10,001; 500 reaches row 25,001 of the ledger's 29,000). Expectation: the deep page costs what page 1
costs — the same queries, and its plan reads an index range (no Sort of the scope)."""

import html
import os
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from teams.models import Village  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "20"))
DEPTH = int(os.environ.get("BENCH_DEPTH", "200"))
SIZE = 50
LISTS = [
    ("steps", "api:step-list"),
    ("ratings", "api:rating-list"),
    ("visits", "api:api-visit-list"),
    ("households", "api:api-household-list"),
    ("issues", "api:issue-list"),
    ("liaison days", "api:api-liaison-day-list"),
]


def path_of(url):
    """A `next` link as the test client asks for it, at SIZE rows a page."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["page_size"] = str(SIZE)
    return f"{parts.path}?{urlencode(query)}"


def deep_cursor(client, url):
    """Follow `next` 1,000 rows at a time to row DEPTH × SIZE + 1, or to the last 1,000 of a
    shorter list: the link at SIZE a page and the rows before it."""
    link, skipped, reached = f"{url}?page_size=1000", 0, None
    while skipped < DEPTH * SIZE:
        following = client.get(link).json()["next"]
        if following is None:
            break
        reached, skipped = path_of(following), skipped + 1000
        link = following
    return reached, skipped


PAGE_READ = re.compile(r"LIMIT (31|51)$")
NEXT = re.compile(r'rel="next" href="\?([^"]+)"')


def deep_page(client, url):
    """Follow a page's 下一页 links to page DEPTH (or to the list's last page): its link, and the
    page number reached."""
    link, number = url, 1
    while number < DEPTH:
        found = NEXT.search(client.get(link).content.decode())
        if found is None:
            break
        link, number = f"{url.split('?')[0]}?{html.unescape(found.group(1))}", number + 1
    return link, number


def measure(client, url):
    times, queries, page_query = [], set(), None
    client.get(url)  # warm up the connection and the caches
    for _ in range(REQUESTS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        queries.add(len(captured))
        # The page's rows: the query that reads one row more than a page (the API's 50, the pages' 30 or 50).
        page_query = next((q["sql"] for q in captured.captured_queries if PAGE_READ.search(q["sql"])), None)
    return statistics.median(times), max(queries), page_query


def plan(sql):
    """The page query's plan: its execution time, and whether it sorts or reads an index range."""
    if sql is None:
        return "-", "-"
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        found = cursor.fetchone()[0][0]
    nodes, stack = [], [found["Plan"]]
    while stack:
        node = stack.pop()
        nodes.append(node["Node Type"] + (f" {node['Index Name']}" if "Index Name" in node else ""))
        stack.extend(node.get("Plans", []))
    sorts = sum(1 for n in nodes if n.startswith("Sort") or n.startswith("Incremental Sort"))
    indexed = sorted({n.split(" ", 1)[1] for n in nodes if " " in n and "Index" in n})
    return f"{found['Execution Time']:.1f}", f"{'sort ×' + str(sorts) if sorts else 'no sort'}; {', '.join(indexed)}"


def main():
    user = get_user_model().objects.get(username=os.environ.get("BENCH_USER", "admin"))
    client = APIClient()
    client.force_authenticate(user)
    print(f"{'list':<14} {'page':<22} {'median ms':>10} {'queries':>8} {'plan ms':>8}  plan")
    for name, route in LISTS:
        url = reverse(route)
        first = f"{url}?page_size={SIZE}"
        deep, row = deep_cursor(client, url)
        for label, link in (("1", first), (f"cursor at row {row + 1:,}", deep)):
            if link is None:
                print(f"{name:<14} {label:<22} {'(list too short)':>10}")
                continue
            median, queries, sql = measure(client, link)
            plan_ms, shape = plan(sql)
            print(f"{name:<14} {label:<22} {median:>10.1f} {queries:>8} {plan_ms:>8}  {shape}")
    browser = Client()
    browser.force_login(user)
    village = Village.objects.annotate(homes=Count("households")).order_by("-homes", "pk").first()
    for name, url in (("ledger", reverse("issue-list")), ("visit diary", reverse("visit-diary")),
                      ("households", reverse("household-list", args=[village.pk]))):
        deep, number = deep_page(browser, url)
        for label, link in (("1", url), (f"page {number} by cursor", deep)):
            median, queries, sql = measure(browser, link)
            plan_ms, shape = plan(sql)
            print(f"{name:<14} {label:<22} {median:>10.1f} {queries:>8} {plan_ms:>8}  {shape}")


if __name__ == "__main__":
    main()
