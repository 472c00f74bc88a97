from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseNotFound, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found
from prometheus_client import CONTENT_TYPE_LATEST

from issues import selectors as issue_selectors
from liaison import health, metrics
from reports.scope import imports_offered
from teams import selectors as team_selectors


def home(request):
    """The logged-in home for the user's positions; anonymous visitors go to the public pages."""
    if not request.user.is_authenticated:
        return redirect("public-index")
    return _home(request)


# Each queue's list, open issues only: the home's figures add ?overdue=true and the like.
QUEUES = {
    "team": (gettext_lazy("My teams' open issues"), "issue-list", "status=open&level=village&"),
    "town": (gettext_lazy("Issues escalated to the town"), "issue-town-queue", ""),
    "department": (gettext_lazy("Issues with my department"), "issue-department-queue", ""),
    "county": (gettext_lazy("Open issues in the county"), "issue-list", "status=open&"),
}


def _work(user):
    """The position's queues in figures, each figure opening its filtered list."""
    work = []
    for kind, counts in issue_selectors.work(user, timezone.now()):
        title, url_name, query = QUEUES[kind]
        base = f"{reverse(url_name)}?{query}"
        work.append({
            "kind": kind, "title": title,
            "figures": [
                ("open", _("Open"), counts["open"], base.rstrip("&?")),
                ("overdue", _("Overdue"), counts["overdue"], f"{base}overdue=true"),
                ("due_soon", _("Due within a working day"), counts["due_soon"], f"{base}due_soon=true"),
                ("reopened", _("Reopened"), counts["reopened"], f"{base}reopened=true"),
            ],
        })
    return work


@login_required
def _home(request):
    context = team_selectors.home_sections(request.user)
    context["work"] = _work(request.user)
    context["imports_offered"] = imports_offered(request.user)
    return render(request, "home.html", context)


def not_found(request, exception):
    """API clients get JSON like every other API answer; people get the site's page."""
    if request.path.startswith("/api/"):
        return api_not_found(request)
    return page_not_found(request, exception)


@csrf_exempt
def api_not_found(request, rest=""):
    """Every path under /api/ that no route takes (the last route of liaison/urls.py): JSON in the
    user's language, in development too, where DEBUG's technical page would answer HTML. A path
    that misses only its trailing slash is sent to it, as CommonMiddleware's APPEND_SLASH would.
    Exempt from the CSRF check, which would answer a POST with its HTML 403 (it changes nothing)."""
    if settings.APPEND_SLASH and not request.path_info.endswith("/"):
        try:
            match = resolve(f"{request.path_info}/", urlconf=getattr(request, "urlconf", None))
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return JsonResponse({"detail": _("Not found.")}, status=404)


@require_GET
def healthz(request):
    """For a load balancer: 200 when every check passes, else 503 naming the failing ones.
    `?checks=database,redis` asks only those (a probe that should drop this node for its own
    faults, not for a lagging worker every node shares)."""
    only = {name for name in request.GET.get("checks", "").split(",") if name}
    healthy, results = health.report(only)
    body = {"status": "ok" if healthy else "failing", "checks": results}
    if not healthy:
        body["failing"] = [name for name, result in results.items() if not result["ok"]]
    response = JsonResponse(body, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def prometheus_metrics(request):
    """Prometheus's scrape, for a bearer of METRICS_TOKEN only; a bare 404 to anyone else, so the
    address says nothing to a stranger (and a probe costs no page)."""
    if not metrics.authorized(request):
        return HttpResponseNotFound()
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
