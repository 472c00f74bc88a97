"""The pages of inspections (督查) and criticism notices. Thin: the rules are in inspections.py."""

from datetime import date as date_type

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.web import Conflict, add_service_error, conflict_page, paginate, query_without_page, whole_number
from reports import scope as reports_scope
from reports.oversight import inspections
from reports.oversight.forms import InspectionForm
from teams import scope
from teams.models import Team

PAGE_SIZE = 50


@login_required
@require_GET
def inspection_list(request):
    """The inspections the user sees, newest first; the organization department records them here."""
    found = inspections.inspections(request.user)
    team_id = whole_number(request.GET.get("team", ""))
    if team_id is not None:
        found = found.filter(team=team_id)
    page = paginate(request, found, PAGE_SIZE)
    return render(request, "reports/inspections.html", {
        "page": page, "query": query_without_page(request),
        "may_record": reports_scope.may_record_inspections(request.user),
    })


def _recordable_teams(user):
    return list(
        scope.visible(user, Team).filter(is_active=True, village__town__county__in=reports_scope.managed_counties(user))
        .select_related("village__town").order_by("village__town__name", "village__name")
    )


def _date(value):
    try:
        return date_type.fromisoformat(value or "")
    except ValueError:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def inspection_new(request):
    """Record an inspection: first the team and the day, then what was found."""
    if not reports_scope.may_record_inspections(request.user):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    teams = _recordable_teams(request.user)
    team_id, day = whole_number(source.get("team", "")), _date(source.get("date"))
    team = next((t for t in teams if t.pk == team_id), None)
    if team is None or day is None:
        return render(request, "reports/inspection_pick.html", {
            "teams": teams, "team_id": team_id, "day": day or timezone.localdate(),
            "asked": bool(source.get("team") or source.get("date")),
        })
    members = inspections.team_members(team, day)
    form = InspectionForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        try:
            inspection = inspections.record(by=request.user, team=team, date=day, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The inspection is recorded."))
            return redirect("inspection-detail", inspection.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "reports/inspection_form.html", {"form": form, "team": team, "day": day}, status=status)


def _inspection_or_404(user, pk):
    inspection = inspections.inspection_for(user, pk)
    if inspection is None:
        raise Http404
    return inspection


@login_required
@require_GET
def inspection_detail(request, pk):
    inspection = _inspection_or_404(request.user, pk)
    return render(request, "reports/inspection_detail.html", _detail_context(request, inspection))


def _detail_context(request, inspection):
    return {
        "inspection": inspection, "may_change": scope.can_change(request.user, inspection),
        "frozen": inspections.used_by_published_round(inspection),
        "checklist": [(inspection._meta.get_field(name).verbose_name, getattr(inspection, name))
                      for name in inspections.CHECKLIST],
    }


@login_required
@require_http_methods(["GET", "POST"])
def inspection_edit(request, pk):
    inspection = _inspection_or_404(request.user, pk)
    if not scope.can_change(request.user, inspection):
        raise PermissionDenied
    members = inspections.team_members(inspection.team, inspection.date)
    initial = {name: getattr(inspection, name) for name in (
        "inspectors", "findings", "deduction", "criticism", *inspections.CHECKLIST)}
    initial.update(absent_members=list(inspection.absent_members.all()), criticised=list(inspection.criticised.all()))
    form = InspectionForm(request.POST or None, initial=initial, members=members)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                inspections.update(inspection=inspection, by=request.user, **form.cleaned_data)
            except Conflict as conflict:
                return conflict_page(request, conflict, _edit_page(request, form, inspection))
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("The inspection is corrected."))
                return redirect("inspection-detail", inspection.pk)
    return _edit_page(request, form, inspection, status)


def _edit_page(request, form, inspection, status=200):
    return render(request, "reports/inspection_form.html", {
        "form": form, "team": inspection.team, "day": inspection.date, "inspection": inspection,
    }, status=status)


@login_required
@require_POST
def inspection_delete(request, pk):
    inspection = _inspection_or_404(request.user, pk)
    if not scope.can_change(request.user, inspection):
        raise PermissionDenied
    try:
        inspections.delete(inspection=inspection, by=request.user)
    except Conflict as conflict:
        return conflict_page(request, conflict, render(
            request, "reports/inspection_detail.html", _detail_context(request, inspection)))
    messages.success(request, _("The inspection is deleted."))
    return redirect("inspection-list")


@login_required
@require_GET
def notice_list(request):
    """Criticism notices: those naming the user, and those in their scope."""
    page = paginate(request, inspections.notices(request.user), PAGE_SIZE)
    return render(request, "reports/notices.html", {"page": page, "query": query_without_page(request)})
