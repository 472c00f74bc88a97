"""Server time and queries of every page and API list for every demo persona, on the dongguan
preset: the home page, the ledger and its queues, the visit diary, households, liaison days, teams,
the dashboards and the records behind each figure, coverage, the residents' pages, the admin's
changelists (every registered model) and every /api/v1/ list (the deep pages, read by cursor: deep_pages.py).

    createdb -T liaison_dg liaison_dg_perf    # a copy of a database seeded with --preset dongguan
    DATABASE_URL=postgres://…/liaison_dg_perf .venv/bin/python manage.py migrate
    vacuumdb --analyze liaison_dg_perf        # as autovacuum leaves a production database
    DATABASE_URL=postgres://…/liaison_dg_perf .venv/bin/python benchmarks/pages.py

As production runs (README: Production): LIAISON_PRODUCTION=1 with a SECRET_KEY, ALLOWED_HOSTS=testserver
(the test client's host), SECURE_SSL_REDIRECT=0 (the test client speaks plain HTTP, as behind the
proxy), REDIS_URL (the cache) and `manage.py collectstatic` first (production's static manifest).

Each (page, persona) the persona may open (answered 200) is asked BENCH_REQUESTS times (20) with
Django's test client through the whole stack (middleware, view, queries, template or
serializer), after freezing what the process loaded to start as each gunicorn worker does
(liaison/wsgi.py); the pages a persona may not open are listed once at the end. BENCH_ONLY=text,text…
keeps the pages whose name or path contains one of those texts. Budget: p95 at most 150 ms; rows over it are
flagged OVER and the script exits 1."""

import gc
import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")

import django

django.setup()

from dashboards import client_for, measure  # noqa: E402
from django.contrib import admin  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from issues.models import Issue, Step  # noqa: E402
from liaison.api_urls import router  # noqa: E402
from reports import periods as P  # noqa: E402
from reports.figures.registry import KEYS as METRICS  # noqa: E402
from teams.models import LiaisonDay, Position, Team, User  # noqa: E402
from visits.models import Household, Visit  # noqa: E402

PERSONAS = ["admin", "cadre", "leader", "town", "dept", "orgdept"]
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "20"))
MAX_P95_MS = 150


def pages():
    """(name, path) of every page and list, filled with the cadre's team, village and town, the
    town office's town and the department's objects, so that each persona meets them."""
    team = Team.objects.filter(memberships__user__username="cadre").select_related("village__town").first()
    village, town = team.village, team.village.town
    county = town.county
    department = Position.objects.get(user__username="dept", kind=Position.Kind.DEPARTMENT).department
    today = timezone.localdate()
    # The records behind a month's figures are measured on the last whole month, as heavy as a
    # month gets (this month may be a day old); the county's dashboard on both.
    this_month, year = P.of("month", today).key, P.of("year", today).key
    month = P.of("month", P.of("month", today).start - timedelta(days=1)).key
    household = Household.objects.filter(village=village, is_active=True).order_by("pk").first()
    visit = Visit.objects.filter(team=team).order_by("-date", "-pk").first()
    issue = Issue.objects.filter(village=village).order_by("-pk").first()
    day = LiaisonDay.objects.filter(team=team, date__lt=today).order_by("-date").first()
    department_issue = Step.objects.filter(department=department).order_by("-pk").first().issue

    result = [
        ("home", "/"),
        # The ledger.
        ("ledger", reverse("issue-list")),
        ("ledger, open", reverse("issue-list") + "?status=open"),
        ("ledger, overdue", reverse("issue-list") + "?overdue=true"),
        ("ledger, a town", reverse("issue-list") + f"?town={town.pk}"),
        ("ledger, mine", reverse("issue-list") + "?mine=true"),
        ("ledger, town queue", reverse("issue-town-queue")),
        ("ledger, department queue", reverse("issue-department-queue")),
        ("notifications", reverse("notification-list")),
        ("issue", reverse("issue-detail", args=[issue.code])),
        ("issue of a department", reverse("issue-detail", args=[department_issue.code])),
        ("register an issue", reverse("issue-register")),
        # Visits and households.
        ("visit diary", reverse("visit-diary")),
        ("visit diary, a team", reverse("visit-diary") + f"?team={team.pk}"),
        ("visit diary, household visits", reverse("visit-diary") + f"?team={team.pk}&kind=household"),
        ("visit", reverse("visit-detail", args=[visit.pk])),
        ("log a visit", reverse("visit-new")),
        ("log a visit, a village", reverse("visit-new") + f"?village={village.pk}"),
        ("households of a village", reverse("household-list", args=[village.pk])),
        ("households, not visited", reverse("household-list", args=[village.pk]) + "?not_visited=true"),
        ("households, search", reverse("household-list", args=[village.pk]) + "?q=陈"),
        ("household", reverse("household-detail", args=[household.pk])),
        ("village coverage", reverse("village-coverage", args=[village.pk])),
        ("coverage, towns", reverse("coverage")),
        ("coverage, a town", reverse("coverage") + f"?town={town.pk}"),
        # Teams and liaison days.
        ("liaison days", reverse("liaison-days")),
        ("liaison day sheet", reverse("liaison-day", args=[day.pk])),
        ("team", reverse("team-detail", args=[team.pk])),
        # Dashboards and the records behind every figure.
        ("dashboard, county", reverse("dashboard", args=["county", county.pk]) + f"?period={month}"),
        ("dashboard, county, this month", reverse("dashboard", args=["county", county.pk]) + f"?period={this_month}"),
        ("dashboard, town", reverse("dashboard", args=["town", town.pk]) + f"?period={month}"),
        ("dashboard, team", reverse("dashboard", args=["team", team.pk]) + f"?period={month}"),
        ("dashboard, department", reverse("dashboard", args=["department", department.pk]) + f"?period={month}"),
    ]
    for unit, pk in (("county", county.pk), ("town", town.pk), ("team", team.pk)):
        for metric in METRICS:
            result.append((f"records, {unit} {metric}",
                           reverse("dashboard-records", args=[unit, pk, metric]) + f"?period={month}"))
    result += [
        ("records, county coverage, year", reverse("dashboard-records", args=["county", county.pk, "coverage"])
         + f"?period={year}"),
        ("records, department timely", reverse("dashboard-records", args=["department", department.pk, "timely"])
         + f"?period={month}"),
        # The residents' pages.
        ("public index", reverse("public-index")),
        ("public statistics", reverse("public-statistics")),
        ("public village", reverse("public-village", args=[village.pk])),
        ("public village card", reverse("public-village-card", args=[village.pk])),
        # The API.
        ("api me", reverse("api:api-me")),
        ("api metrics", reverse("api:api-metrics") + f"?unit=county:{county.pk}&period={month}"),
    ]
    for prefix, _viewset, basename in router.registry:
        url = reverse(f"api:{basename}-list")
        # A deep page is reached by its cursor: benchmarks/deep_pages.py follows `next` to one.
        result.append((f"api {prefix}", url))
    result += [
        ("api households, a village", reverse("api:api-household-list") + f"?village={village.pk}"),
        ("api visits, a team", reverse("api:api-visit-list") + f"?team={team.pk}"),
        ("api issues, a town", reverse("api:issue-list") + f"?town={town.pk}"),
        ("api issues, open", reverse("api:issue-list") + "?status=open"),
    ]
    # The admin: every changelist, and the change form of the big models.
    for model in admin.site._registry:
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        result.append((f"admin {opts.model_name} list", changelist))
    for name, obj in (("household", household), ("visit", visit), ("issue", issue), ("liaisonday", day)):
        opts = obj._meta
        form = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        result.append((f"admin {name} form", form))
    return result


def main():
    if Team.objects.count() < 500 or not User.objects.filter(username="orgdept").exists():
        sys.exit("Seed the dongguan preset first (manage.py seed_demo --preset dongguan).")
    only = os.environ.get("BENCH_ONLY", "").split(",")
    rows = [(name, path) for name, path in pages() if any(text in name or text in path for text in only)]
    clients = {who: client_for(who) for who in PERSONAS}
    gc.freeze()  # what the process loaded to start, out of the collector's sight, as liaison/wsgi.py does
    print(f"{len(rows)} pages × {len(PERSONAS)} personas · {REQUESTS} requests each · budget p95 ≤ {MAX_P95_MS} ms")
    print(f"{'page':36} {'persona':8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}  path")
    over, closed = [], []
    for name, path in rows:
        for who in PERSONAS:
            status = clients[who].get(path).status_code
            if status != 200:
                closed.append(f"{name} {who} {status}")
                continue
            r = measure(clients[who], path, REQUESTS)
            ok = r["p95"] <= MAX_P95_MS
            if not ok:
                over.append((name, who, r["p95"]))
            print(f"{name:36} {who:8} {r['p50']:8.1f} {r['p95']:8.1f} {r['max']:8.1f} {r['queries']:8d}  "
                  f"{path}{'' if ok else '  OVER'}", flush=True)
    print(f"\nNot open to the persona (status): {'; '.join(closed)}")
    print(f"\n{len(over)} over {MAX_P95_MS} ms at p95" + "".join(f"\n  {n} · {w} · {p:.0f} ms" for n, w, p in over))
    sys.exit(1 if over else 0)


if __name__ == "__main__":
    main()
