from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from teams import scope, selectors, services
from teams.forms import CancelForm, RescheduleForm
from teams.models import LiaisonDay, Membership


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
            "can_change_days": can_change_days,
            "reschedule_form": RescheduleForm(),
            "cancel_form": CancelForm(),
        },
    )


def _day_form_view(request, pk, form_class, action):
    day = get_object_or_404(scope.visible(request.user, LiaisonDay), pk=pk)
    if not scope.can_change(request.user, day):
        messages.error(request, _("Only the team leader or the town office can change a liaison day."))
        return redirect("team-detail", day.team_id)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            action(day, form.cleaned_data)
        except ValidationError as error:
            for field_messages in error.message_dict.values():
                for message in field_messages:
                    messages.error(request, message)
        else:
            messages.success(request, _("The liaison day was updated."))
    else:
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, message)
    return redirect("team-detail", day.team_id)


@login_required
@require_POST
def reschedule_day(request, pk):
    return _day_form_view(
        request, pk, RescheduleForm,
        lambda day, data: services.reschedule_liaison_day(
            liaison_day=day, new_date=data["new_date"], reason=data["reason"], by=request.user
        ),
    )


@login_required
@require_POST
def cancel_day(request, pk):
    return _day_form_view(
        request, pk, CancelForm,
        lambda day, data: services.cancel_liaison_day(liaison_day=day, reason=data["reason"], by=request.user),
    )
