"""The organization department's assignment health (定点联系): per town, households no member has,
members over or under the load, members far behind the year's pace; a town's members named."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.numbers import whole_number
from reports import periods as P
from reports import scope as reports_scope
from reports.figures import members


@login_required
@require_GET
def assignment_health(request):
    if not reports_scope.sees_assignment_health(request.user):
        raise Http404
    today = timezone.localdate()
    context = {
        "year": P.of("year", today), "elapsed": round(100 * members.year_elapsed(today)),
        "load": settings.ASSIGNMENT_LOAD,
        "under": settings.ASSIGNMENT_LOAD * settings.ASSIGNMENT_UNDER_PERCENT // 100,
        "pace": settings.ASSIGNMENT_PACE_PERCENT,
    }
    town_id = whole_number(request.GET.get("town", ""))
    if town_id is not None:
        town, flagged, left = members.town_members(request.user, town_id, today)
        if town is None:
            raise Http404
        context.update(town=town, flagged=flagged, unassigned=left)
    else:
        context["towns"] = members.assignment_health(request.user, today)
    return render(request, "reports/assignment_health.html", context)
