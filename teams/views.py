"""The team page, and the liaison day: the member's check-in and leave, the leader's
attendance sheet, rescheduling and cancelling. Objects come through the scope module; the
work is the services'."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.web import Conflict, add_service_error, conflict_page, flash_errors, whole_number
from teams import attendance, scope, selectors, services
from teams.forms import MARKS, CancelForm, LeaveForm, RescheduleForm, SheetForm
from teams.models import LiaisonDay, Membership, Team


@login_required
def team_detail(request, pk):
    team = get_object_or_404(selectors.teams_of(request.user), pk=pk)
    today = timezone.localdate()
    members = (
        Membership.objects.active_on(today).filter(team=team).select_related("user").order_by("start_date", "pk")
    )
    days = list(
        LiaisonDay.objects.filter(team=team, date__gte=today).order_by("date")[:8]
    )
    can_change_days = scope.changeable(request.user, LiaisonDay).filter(team=team).exists()
    return render(
        request,
        "teams/team_detail.html",
        {
            "team": team,
            "members": members,
            "days": days,
            "past_days": selectors.past_days(team, today),
            "can_change_days": can_change_days,
            "reschedule_form": RescheduleForm(),
            "cancel_form": CancelForm(),
        },
    )


def _change_day(request, pk, form_class, change):
    """Reschedule or cancel: the service decides who may; its answer is shown on the team page."""
    day = get_object_or_404(scope.visible(request.user, LiaisonDay), pk=pk)
    form = form_class(request.POST)
    if not form.is_valid():
        flash_errors(request, form.errors)
        return redirect("team-detail", day.team_id)
    try:
        change(day, form.cleaned_data)
    except PermissionDenied as refusal:
        messages.error(request, str(refusal))
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, _("The liaison day was updated."))
    return redirect("team-detail", day.team_id)


@login_required
@require_POST
def reschedule_day(request, pk):
    return _change_day(
        request, pk, RescheduleForm,
        lambda day, data: services.reschedule_liaison_day(
            liaison_day=day, new_date=data["new_date"], reason=data["reason"], by=request.user
        ),
    )


@login_required
@require_POST
def cancel_day(request, pk):
    return _change_day(
        request, pk, CancelForm,
        lambda day, data: services.cancel_liaison_day(liaison_day=day, reason=data["reason"], by=request.user),
    )


@login_required
def liaison_days(request):
    teams = selectors.my_liaison_days(request.user)
    return render(request, "teams/liaison_days.html", {"teams": teams})


@login_required
@require_POST
def check_in(request):
    team_id = whole_number(request.POST.get("team", ""))
    if team_id is None:
        raise Http404
    team = get_object_or_404(Team, pk=team_id, pk__in=scope.member_teams(request.user))
    try:
        attendance.check_in(user=request.user, team=team)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, _("Checked in. Thank you for being here today."))
    return redirect("liaison-days")


@login_required
@require_POST
def ask_leave(request, pk):
    day = get_object_or_404(scope.visible(request.user, LiaisonDay), pk=pk)
    form = LeaveForm(request.POST)
    if not form.is_valid():
        flash_errors(request, form.errors)
        return redirect("liaison-days")
    try:
        attendance.ask_leave(user=request.user, liaison_day=day, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, _("Your leave for %(date)s is recorded.") % {"date": day.date.isoformat()})
    return redirect("liaison-days")


@login_required
def day_sheet(request, pk):
    """The day's attendance; its leader marks it here. A refused sheet comes back (400) as it
    was sent, with the reasons."""
    try:
        day, rows, changes = selectors.day_sheet(request.user, pk)
    except LiaisonDay.DoesNotExist:
        raise Http404 from None
    can_mark = scope.may_mark_sheet(request.user, day) and day.sheet_is_open(timezone.localdate())
    form, status = None, 200
    if request.method == "POST":
        if not can_mark:
            raise Http404
        form = SheetForm(request.POST, rows=rows)
        if form.is_valid():
            try:
                changed = attendance.record_attendance(liaison_day=day, by=request.user, entries=form.entries())
            except ValidationError as error:
                add_service_error(form, error)
            except Conflict as conflict:
                return conflict_page(request, conflict, redirect("liaison-day", day.pk))
            else:
                messages.success(request, _("The sheet is saved (%(n)d changed).") % {"n": len(changed)})
                return redirect("liaison-day", day.pk)
        form.show_as_typed()
        status = 400
    return render(
        request,
        "teams/day_sheet.html",
        {
            "day": day, "rows": rows, "changes": changes, "can_mark": can_mark, "form": form,
            "statuses": MARKS, "note_limit": attendance.ATTENDANCE_NOTE.chars,
        },
        status=status,
    )
