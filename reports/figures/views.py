"""The dashboards: a unit's figures for a period, its members ranked, its trend, 重点提示 and
the records behind every figure; the organization department's "refresh now"; the household
coverage overview and the residents' statistics, both read from the figures."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST, require_safe

from core.web import query_without_page, whole_number
from reports import periods as P
from reports import scope as reports_scope
from reports.figures import members as by_member
from reports.figures import registry, selectors, services, tasks, units
from reports.models import COUNTS, Refresh, Unit

TREND_KINDS = ("week", "month")
QUICK = {"week": gettext_lazy("This week"), "month": gettext_lazy("This month"),
         "quarter": gettext_lazy("This quarter"), "year": gettext_lazy("This year")}
RECORDS_PAGE_SIZE = 50


def _unit_or_404(user, unit, pk):
    obj = units.of(unit).load(pk)
    if obj is None or not reports_scope.sees_unit(user, unit, obj):
        raise Http404
    return obj


def _period(request):
    """The period `?period=` names (this month without one), or None for a malformed one."""
    raw = request.GET.get("period")
    if not raw:
        return P.of("month", timezone.localdate())
    try:
        return P.parse(raw)
    except ValueError:
        return None


def _bad_period(request):
    return render(request, "reports/bad_period.html", {"value": request.GET.get("period", "")}, status=400)


@login_required
@require_GET
def my_dashboards(request):
    """The user's own dashboard, or the list of them when their positions open several."""
    units = reports_scope.dashboards(request.user)
    if len(units) == 1:
        unit, obj = units[0]
        return redirect("dashboard", unit, obj.pk)
    return render(request, "reports/dashboards.html", {"units": units})


@login_required
@require_GET
def dashboard(request, unit, pk):
    obj = _unit_or_404(request.user, unit, pk)
    period = _period(request)
    if period is None:
        return _bad_period(request)
    kind = units.of(unit)
    county = kind.county(obj)
    refresh, latest = selectors.refreshes(county.pk)
    trend_kind = request.GET.get("trend")
    if trend_kind not in TREND_KINDS:
        trend_kind = period.kind if period.kind in TREND_KINDS else "month"
    row, trend = selectors.figures(refresh, unit, pk, period, trend_kind)
    metrics = registry.owned_by(unit)
    sort, descending = request.GET.get("sort"), request.GET.get("order") != "asc"
    if sort not in registry.KEYS:
        sort = None
    now = timezone.now()
    members = selectors.members(refresh, unit, pk, period, now)
    percent = settings.DASHBOARD_ALERT_PERCENT
    today = timezone.localdate(now)
    # The trend ends on today's period, not over yet: its rates are to date (a month's issues
    # mostly still open, so its resolution rate far below a finished month's).
    trend_current = P.of(trend_kind, today)
    context = {
        "unit": unit, "obj": obj, "county": county, "period": period,
        "metrics": [(m.key, m.label) for m in metrics], "row": row, "refresh": refresh,
        # The snapshot's counts are the teams' (visits, the issues of their villages): not a department's.
        "counts": [(name, label, getattr(row, name)) for name, label in COUNTS.items()]
        if row and kind.has_teams else [],
        "current": selectors.current_issues(request.user, unit, pk, now),
        "current_lists": _current_lists(request.user, unit, obj),
        "quick": [(label, P.of(kind, today)) for kind, label in QUICK.items()],
        "parents": [(u, o, reports_scope.sees_unit(request.user, u, o)) for u, o in kind.parents(obj)],
        "offered": [(P.KIND_LABELS[kind], periods) for kind, periods in selectors.periods_offered(today).items()],
        "trend_kind": trend_kind, "trend": trend, "trend_current": trend_current,
        "trend_chart": _trend_chart(trend, metrics, trend_current), "sort": sort, "descending": descending,
        "ranking": selectors.ranked([m for m in members if m.unit != Unit.DEPARTMENT], sort, descending),
        "departments": [m for m in members if m.unit == Unit.DEPARTMENT],
        "department_metrics": [(m.key, m.label) for m in registry.owned_by(Unit.DEPARTMENT)],
        "highlights": selectors.highlights(request.user, unit, pk, period, refresh, percent),
        "percent": percent,
        "updating": selectors.changes_waiting(county.pk, period, kind.town_id(obj), today),
    }
    if unit == Unit.COUNTY:
        context["latest"] = latest
    if unit == Unit.TEAM:
        context["days"] = selectors.team_days(request.user, pk, period)
        context["team_members"] = by_member.team_members(refresh, obj, period, today)
    return render(request, "reports/dashboard.html", context)


def _current_lists(user, unit, obj):
    """{figure: link} of the lists behind the figures of now: the ledger of the unit's villages
    (the county's: all the organization department sees), or the department's queue for its own
    staff (the ledger has no filter for it). The home's queues link the same way."""
    if unit == Unit.DEPARTMENT:
        if not reports_scope.works_in_department(user, obj.pk):
            return {}
        base = reverse("issue-department-queue") + "?"
    else:
        base = f"{reverse('issue-list')}?{units.of(unit).ledger_place(obj)}status=open&"
    return {"open": base.rstrip("&?"), "overdue": f"{base}overdue=true"}


def _trend_chart(trend, metrics, current):
    """The trend as the chart script reads it (json_script): rates in percent, None as a gap;
    the index of the `current` period, unfinished, which the chart draws apart, and its mark."""
    def value(row, metric):
        rate = metric.rate(row) if row is not None else None
        return None if rate is None else round(100 * rate, 1)

    return {
        "labels": [str(period.label) for period, _row in trend],
        "current": next((i for i, (period, _row) in enumerate(trend) if period == current), None),
        "current_label": _("to date"),
        "series": [{"name": str(m.label), "data": [value(row, m) for _period, row in trend]} for m in metrics],
    }


@login_required
@require_GET
def records(request, unit, pk, metric):
    """The records behind a figure, within what the user sees: those that fall short (the
    absent and pending rows, the late steps, the households not visited…) or all it counts."""
    obj = _unit_or_404(request.user, unit, pk)
    if not registry.get(metric).owned_by(unit):
        raise Http404
    period = _period(request)
    if period is None:
        return _bad_period(request)
    kind = units.of(unit)
    county = kind.county(obj)
    refresh, _latest = selectors.refreshes(county.pk)
    row = selectors.snapshot(unit, pk, period, refresh=refresh) if refresh else None
    behind = selectors.records(request.user, metric, unit, pk, period)
    member = by_member.member_of_records(request.GET.get("member"), unit, pk, metric)
    if member is not None:
        # One member's households (定点联系): the figure above them is the member's.
        behind = by_member.assigned_records(behind, member.pk, pk, period)
        row = by_member.team_member_figure(refresh, pk, member.pk, period)
    show_all = request.GET.get("show") == "all"
    counted, short = selectors.record_counts(behind, row, unit, metric, period)
    # The list's length is known already: the paginator need not count it again.
    paginator = Paginator(behind.counted if show_all else behind.short, RECORDS_PAGE_SIZE)
    paginator.count = counted if show_all else short
    m = registry.get(metric)
    return render(request, "reports/records.html", {
        "unit": unit, "unit_label": kind.label, "obj": obj, "metric": metric, "label": m.label,
        "period": period, "row": row, "counted_label": m.counted_label, "short_label": m.short_label,
        "explanation": m.explanation, "template": m.template,
        "refresh": refresh, "show_all": show_all, "counted": counted, "short": short,
        "parents": [(u, o, reports_scope.sees_unit(request.user, u, o)) for u, o in kind.parents(obj)],
        "page": paginator.get_page(request.GET.get("page")),
        "query": query_without_page(request), "now": timezone.now(), "member": member,
    })


def _county_for_refresh(user, pk):
    """The county whose figures the user may refresh: its organization department, administrators."""
    county = units.of(Unit.COUNTY).load(pk)
    if county is None or not reports_scope.sees_unit(user, Unit.COUNTY, county):
        raise Http404
    return county


@login_required
@require_POST
def refresh(request, pk):
    """Refresh now: the county's figures afresh, town by town on the workers (in-process
    without Redis); the dashboard shows the progress."""
    county = _county_for_refresh(request.user, pk)
    running = selectors.running_refresh(county.pk)
    if running is not None:
        messages.info(request, _("The figures are already being computed; they will show when done."))
    else:
        tasks.dispatch_full_refresh(services.start_full_refresh(county, by=request.user))
        messages.success(request, _("Computing the figures afresh."))
    url = reverse("dashboard", args=[Unit.COUNTY, county.pk])
    period = request.POST.get("period")
    return redirect(f"{url}?period={period}" if period and _valid_key(period) else url)


def _valid_key(key):
    try:
        P.parse(key)
    except ValueError:
        return False
    return True


@login_required
@require_GET
def refresh_status(request, pk):
    """The newest refresh's state, for the dashboard to follow its progress."""
    county = _county_for_refresh(request.user, pk)
    latest = selectors.latest_refresh(county.pk)
    if latest is None:
        return JsonResponse({"status": None, "progress": 0})
    return JsonResponse({
        "id": latest.pk, "status": latest.status, "status_display": latest.get_status_display(),
        "progress": latest.progress, "computed_at": latest.computed_at.isoformat(),
        "done": latest.status in (Refresh.Status.DONE, Refresh.Status.FAILED),
    })


@login_required
@require_GET
def coverage(request):
    """This year's household coverage from the figures: per town for those who see whole
    counties, per village of a town (`?town=`) or of the villages the user works in."""
    town_id = whole_number(request.GET.get("town", ""))
    by_town = town_id is None and reports_scope.oversees_counties(request.user)
    if by_town:
        year, rows = selectors.town_coverage(request.user)
    else:
        year, rows = selectors.coverage(request.user, town_id=town_id)
        if len(rows) == 1 and town_id is None:
            return redirect("village-coverage", rows[0][0].village_id)
    figures = [row for _unit, row in rows if row is not None]
    return render(request, "reports/coverage.html", {
        "year": year, "rows": rows, "by_town": by_town, "town_id": town_id,
        "num": sum(row.coverage_num for row in figures), "den": sum(row.coverage_den for row in figures),
        "computed_at": min((row.computed_at for row in figures), default=None),
    })


@require_safe
def public_statistics(request):
    """The residents' statistics: per town, this year's issues and how they were handled."""
    year, computed_at, rows = selectors.public_statistics()
    return render(request, "public/statistics.html", {"year": year, "computed_at": computed_at, "rows": rows,
                                                      "metrics": selectors.public_metrics()})
