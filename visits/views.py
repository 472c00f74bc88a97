"""Pages of the liaison day (check-in, leave, the leader's sheet), visits, the visit diary,
households and coverage. Each gets its objects through the scope module and hands the work
to a service."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from teams import scope
from teams import services as team_services
from teams.forms import MAX_PAGE, whole_number
from teams.models import Attendance, LiaisonDay, Team
from visits import selectors, services
from visits.forms import (
    DiaryFilterForm,
    HouseholdFilterForm,
    HouseholdForm,
    LeaveForm,
    MoveOutForm,
    VisitForm,
    add_service_error,
)
from visits.models import HouseholdTag
from visits.scope import keeps_roll, shows_personal_data

PAGE_SIZE = 30


def _flash(request, error):
    for message in error.messages:
        messages.error(request, message)


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@dataclass
class Window:
    """One page of a long list, without counting the whole list: one row more than the page
    is read to know whether there is a next page."""

    object_list: list
    number: int
    has_next: bool

    def __iter__(self):
        return iter(self.object_list)

    @property
    def has_previous(self):
        return self.number > 1


def _window(request, queryset):
    size = PAGE_SIZE
    number = whole_number(request.GET.get("page", ""), upper=MAX_PAGE) or 1
    rows = list(queryset[(number - 1) * size:number * size + 1])
    return Window(object_list=rows[:size], number=number, has_next=len(rows) > size)


def _get(queryset_fn, *args):
    try:
        return queryset_fn(*args)
    except ObjectDoesNotExist:
        raise Http404


# The liaison day


@login_required
def liaison_days(request):
    teams = selectors.my_liaison_days(request.user)
    return render(request, "visits/liaison_days.html", {"teams": teams})


@login_required
@require_POST
def check_in(request):
    team_id = whole_number(request.POST.get("team", ""))
    if team_id is None:
        raise Http404
    team = get_object_or_404(Team, pk=team_id, pk__in=scope.scope_for(request.user).member_team_ids)
    try:
        team_services.check_in(user=request.user, team=team)
    except ValidationError as error:
        _flash(request, error)
    else:
        messages.success(request, _("Checked in. Thank you for being here today."))
    return redirect("liaison-days")


@login_required
@require_POST
def ask_leave(request, pk):
    day = get_object_or_404(scope.visible(request.user, LiaisonDay), pk=pk)
    form = LeaveForm(request.POST)
    if form.is_valid():
        try:
            team_services.ask_leave(user=request.user, liaison_day=day, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            _flash(request, error)
        else:
            messages.success(request, _("Your leave for %(date)s is recorded.") % {"date": day.date.isoformat()})
    else:
        messages.error(request, _("Give the reason for your leave."))
    return redirect("liaison-days")


@login_required
def day_sheet(request, pk):
    day, rows, changes = _get(selectors.day_sheet, request.user, pk)
    s = scope.scope_for(request.user)
    closes_on = team_services.attendance_closes_on(day)
    can_mark = (
        (s.is_admin or day.team_id in s.leader_team_ids)
        and not day.is_cancelled
        and timezone.localdate() <= closes_on
    )
    if request.method == "POST":
        if not can_mark:
            raise Http404
        entries = [
            {
                "member": row.member_id,
                "status": request.POST.get(f"status-{row.member_id}", row.status),
                "note": request.POST.get(f"note-{row.member_id}", row.note),
            }
            for row in rows
            if request.POST.get(f"status-{row.member_id}", Attendance.Status.PENDING) != Attendance.Status.PENDING
        ]
        try:
            changed = team_services.record_attendance(liaison_day=day, by=request.user, entries=entries)
        except ValidationError as error:
            _flash(request, error)
            for row in rows:
                row.status = request.POST.get(f"status-{row.member_id}", row.status)
                row.note = request.POST.get(f"note-{row.member_id}", row.note)
        else:
            messages.success(request, _("The sheet is saved (%(n)d changed).") % {"n": len(changed)})
            return redirect("liaison-day", day.pk)
    return render(
        request,
        "visits/day_sheet.html",
        {
            "day": day, "rows": rows, "changes": changes, "can_mark": can_mark,
            "closes_on": closes_on,
            "statuses": [(v, label) for v, label in Attendance.Status.choices if v != Attendance.Status.PENDING],
        },
    )


# Visits


def _register_issue_url(visit):
    try:
        return f"{reverse('issue-register')}?visit={visit.pk}"
    except NoReverseMatch:
        return None


@login_required
def visit_new(request):
    form = VisitForm(request.POST or None, user=request.user, initial=_visit_initial(request))
    if not form.fields["village"].queryset:
        messages.error(request, _("You can log visits only in the villages your teams cover."))
        return redirect("home")
    context = {"form": form}
    if request.method == "POST" and "find" in request.POST:
        # Without JavaScript the picker searches by submitting; the rest of the form is kept.
        form.errors.clear()
        context.update(_found_households(request, form), searched=True)
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visit = services.log_visit(
                by=request.user, kind=data["kind"], date=data["date"], village=data["village"],
                cadres=data["cadres"], households=data["households"], notes=data["notes"],
                needs_follow_up=data["needs_follow_up"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The visit is saved in the visit diary."))
            return redirect("visit-detail", visit.pk)
    chosen = form.chosen_households()
    context.setdefault("found", [])
    context["found"] = [h for h in context["found"] if h not in chosen]
    context.update(chosen=chosen, find_text=request.POST.get("find_text", ""))
    return render(request, "visits/visit_form.html", context)


def _found_households(request, form):
    village = whole_number(form.data.get("village", ""))
    text = request.POST.get("find_text", "")
    if village is None or not text.strip():
        return {"found": []}
    households = selectors.search_households(
        form.fields["households"].queryset.filter(village=village), text, user=request.user
    ).order_by("address", "pk")[:20]
    return {"found": list(households)}


def _visit_initial(request):
    initial = {}
    village, household = whole_number(request.GET.get("village", "")), whole_number(request.GET.get("household", ""))
    if village is not None:
        initial["village"] = village
    if household is not None:
        initial["households"] = [household]
    return initial


@login_required
def visit_detail(request, pk):
    visit = _get(selectors.visit_detail, request.user, pk)
    can_change = scope.can_change(request.user, visit)
    if request.method == "POST":
        if not can_change:
            raise Http404
        services.set_follow_up(by=request.user, visit=visit, needs_follow_up=request.POST.get("follow_up") == "1")
        return redirect("visit-detail", visit.pk)
    return render(
        request,
        "visits/visit_detail.html",
        {"visit": visit, "can_change": can_change, "register_issue_url": _register_issue_url(visit)},
    )


@login_required
def household_search(request):
    """JSON for the visit form's household picker: a village's active households by name,
    address or the phone's last digits (masked)."""
    village = whole_number(request.GET.get("village", ""))
    text = request.GET.get("q", "").strip()
    if village is None or not text:
        return JsonResponse({"results": []})
    households = selectors.search_households(
        selectors.households_visible(request.user).filter(village=village, is_active=True), text, user=request.user
    ).prefetch_related("tags").order_by("address", "pk")[:20]
    return JsonResponse(
        {
            "results": [
                {
                    "id": h.pk, "name": h.head_name, "address": h.address, "phone": h.masked_phone,
                    "tags": [t.name for t in h.tags.all()],
                }
                for h in households
            ]
        }
    )


@login_required
def diary(request):
    s = scope.scope_for(request.user)
    team = village = None
    team_id, village_id = whole_number(request.GET.get("team", "")), whole_number(request.GET.get("village", ""))
    if team_id is not None:
        team = get_object_or_404(scope.visible(request.user, Team).select_related("village"), pk=team_id)
    elif village_id is not None:
        village = get_object_or_404(selectors.working_villages(request.user), pk=village_id)
    elif len(s.member_team_ids) == 1:
        team = Team.objects.select_related("village").get(pk=next(iter(s.member_team_ids)))
    filters = DiaryFilterForm(request.GET or None, team=team or (village and selectors.team_of(village)))
    data = filters.cleaned_data if filters.is_valid() else {}
    visits = selectors.diary(
        request.user, team=team, village=village, kind=data.get("kind", ""), cadre=data.get("cadre"),
        date_after=data.get("date_after"), date_before=data.get("date_before"),
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "visits/diary.html",
        {"page": _window(request, visits), "filters": filters, "team": team, "village": village,
         "query": query.urlencode()},
    )


# Households and coverage


@login_required
def household_list(request, village_pk):
    village = get_object_or_404(selectors.working_villages(request.user).select_related("town", "team"), pk=village_pk)
    filters = HouseholdFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    households = selectors.household_list(
        request.user, village=village, text=data.get("q", ""), not_visited=data.get("not_visited", False),
        tag=data.get("tag", ""),
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "visits/household_list.html",
        {"village": village, "page": _page(request, households), "filters": filters,
         "tags": HouseholdTag.objects.all(), "query": query.urlencode(),
         "can_log": shows_personal_data(scope.scope_for(request.user), village),
         "keeps_roll": keeps_roll(request.user, village)},
    )


def _household_page(request, household, move_out_form=None):
    own_team = shows_personal_data(scope.scope_for(request.user), household.village)
    can_change = scope.can_change(request.user, household)
    if can_change and household.is_active and move_out_form is None:
        move_out_form = MoveOutForm()
    return render(
        request,
        "visits/household_detail.html",
        {
            "household": household,
            "full": own_team,
            "can_log": own_team,
            "can_change": can_change,
            "move_out_form": move_out_form,
            "visits": _page(request, selectors.household_visits(household)),
        },
    )


@login_required
def household_detail(request, pk):
    return _household_page(request, _get(selectors.household_detail, request.user, pk))


@login_required
def household_new(request, village_pk):
    village = get_object_or_404(selectors.working_villages(request.user).select_related("town", "team"), pk=village_pk)
    if not keeps_roll(request.user, village):
        raise PermissionDenied
    form = HouseholdForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            household = services.create_household(
                by=request.user, village=village, tags=form.cleaned_data["tags"], **form.household_fields()
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("%(name)s is added to the household roll.") % {"name": household.head_name})
            return redirect("household-detail", household.pk)
    return render(request, "visits/household_form.html", {"form": form, "village": village, "household": None})


@login_required
def household_edit(request, pk):
    household = _get(selectors.household_detail, request.user, pk)
    if not scope.can_change(request.user, household):
        raise PermissionDenied
    full = shows_personal_data(scope.scope_for(request.user), household.village)
    form = HouseholdForm(request.POST or None, household=household, full=full)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_household(
                by=request.user, household=household, tags=form.cleaned_data["tags"], **form.household_fields()
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The household is saved."))
            return redirect("household-detail", household.pk)
    return render(
        request, "visits/household_form.html", {"form": form, "village": household.village, "household": household}
    )


@login_required
@require_POST
def household_move_out(request, pk):
    household = _get(selectors.household_detail, request.user, pk)
    if not scope.can_change(request.user, household):
        raise PermissionDenied
    form = MoveOutForm(request.POST)
    if form.is_valid():
        try:
            services.move_out(by=request.user, household=household, on=form.cleaned_data["moved_out_on"])
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The household is recorded as moved out."))
            return redirect("household-detail", household.pk)
    return _household_page(request, household, move_out_form=form)


@login_required
def coverage(request):
    rows = selectors.coverage(request.user)
    if len(rows) == 1:
        return redirect("village-coverage", rows[0]["village"].pk)
    return render(request, "visits/coverage.html", {"rows": rows, "year": timezone.localdate().year})


@login_required
def village_coverage(request, pk):
    village = get_object_or_404(selectors.working_villages(request.user).select_related("town"), pk=pk)
    row = selectors.coverage_row(village, selectors.coverage_counts([village.pk], selectors.year_start()))
    return render(
        request,
        "visits/village_coverage.html",
        {"village": village, "row": row, "page": _page(request, selectors.not_visited(request.user, village=village)),
         "year": timezone.localdate().year},
    )

