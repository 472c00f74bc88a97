"""Pages of visits, the visit diary, households and coverage. Each gets its objects through
the scope module and hands the work to a service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from core.web import Conflict, add_service_error, conflict_page, cursor_page, flash_errors, paginate, whole_number
from teams import scope
from teams.models import LiaisonDay, Team
from visits import assignments, plans, selectors, services
from visits.filters import HouseholdFilter, VisitFilter
from visits.forms import AssignForm, DistributeForm, HouseholdForm, MoveOutForm, ReassignForm, VisitForm
from visits.models import Household, HouseholdTag
from visits.scope import (
    assigning_villages,
    assigns_anywhere,
    keeps_roll,
    may_assign,
    sees_assignments,
    shows_personal_data,
    watches_plans,
)

PAGE_SIZE = 30
# A link ticks a liaison day's few households (the plan's); more are ignored.
TICKED_FROM_A_LINK = 50


def _get(queryset_fn, *args):
    try:
        return queryset_fn(*args)
    except ObjectDoesNotExist:
        raise Http404


# Visits


def _register_issue_url(visit):
    try:
        return f"{reverse('issue-register')}?visit={visit.pk}"
    except NoReverseMatch:
        return None


@login_required
def visit_new(request):
    """Log a visit: the village first (`?village=`, or the user's only one), then the form with
    that village's team's cadres."""
    villages = list(selectors.villages_for_visits(request.user))
    if not villages:
        messages.error(request, _("You can log visits only in the villages your teams cover."))
        return redirect("home")
    village = _chosen_village(request, villages)
    if village is None:
        return render(request, "visits/visit_village.html", {"villages": villages})
    form = VisitForm(request.POST or None, user=request.user, villages=selectors.villages_for_visits(request.user),
                     village=village, initial=_visit_initial(request))
    context = {"form": form, "village": village, "villages": villages}
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


def _chosen_village(request, villages):
    """The village the visit is logged in: the one posted or asked for among `villages`, or the
    only one there is; None until one is chosen."""
    if len(villages) == 1:
        return villages[0]
    pk = whole_number(request.POST.get("village", "") or request.GET.get("village", ""))
    return next((v for v in villages if v.pk == pk), None)


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
    """Households ticked from a link: `?household=<id>`, `?households=<id>,<id>` or the plan's
    form's `?households=<id>&households=<id>`."""
    asked = [request.GET.get("household", ""), *request.GET.getlist("households")]
    ids = [whole_number(part) for text in asked for part in text.split(",")[:TICKED_FROM_A_LINK]]
    ids = [i for i in ids if i is not None][:TICKED_FROM_A_LINK]
    return {"households": ids} if ids else {}


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
    """The visit diary (民情日记): the visits of a team, a village, or by default the user's
    only team, newest first, through the same filters as the API."""
    team = village = None
    cadres = []
    team_id, village_id = whole_number(request.GET.get("team", "")), whole_number(request.GET.get("village", ""))
    if team_id is not None:
        team, cadres = _get(selectors.team_and_cadres, scope.visible(request.user, Team), team_id)
    elif village_id is not None:
        village = get_object_or_404(selectors.working_villages(request.user).select_related("team"), pk=village_id)
        cadres = selectors.cadres_of(getattr(village, "team", None))
    elif len(own := scope.member_teams(request.user)) == 1:
        team, cadres = selectors.team_and_cadres(Team.objects.all(), next(iter(own)))
    data = request.GET.copy()
    for name, chosen in (("team", team), ("village", village)):
        data.pop(name, None)
        if chosen is not None:
            data[name] = chosen.pk
    filters = VisitFilter(data, queryset=selectors.diary(request.user), request=request, cadres=cadres)
    return render(
        request,
        "visits/diary.html",
        {"page": cursor_page(request, filters.qs, PAGE_SIZE), "filters": filters, "team": team, "village": village},
    )


# Households and coverage


@login_required
def household_list(request, village_pk):
    """The village's roll; with each household's members (定点联系) for those who see them, who
    also filter by member or the unassigned; and for those who assign, ticks and the action."""
    village = get_object_or_404(selectors.working_villages(request.user).select_related("town", "team"), pk=village_pk)
    today = timezone.localdate()
    sees = sees_assignments(request.user, village)
    households = selectors.with_members(selectors.household_list(request.user, village=village), request.user, today,
                                        everyone=sees)
    team = getattr(village, "team", None)
    assigns = team is not None and may_assign(request.user, team)
    member = whole_number(request.GET.get("member", "")) if sees else None
    unassigned_only = sees and request.GET.get("member") == "none"
    if member is not None:
        households = selectors.assigned_to(households, request.user, member, today, everyone=sees)
    elif unassigned_only:
        households = selectors.unassigned(households, today)
    filters = HouseholdFilter(request.GET, queryset=households, request=request)
    page = cursor_page(request, filters.qs, PAGE_SIZE)
    loads = selectors.team_members_and_loads(team, today) if sees and team is not None else []
    # Whoever sees every member of the village has them all in `loads`; a member sees their own.
    names = {request.user.pk: str(request.user), **{user.pk: str(user) for user, _n in loads}}
    for household in page:
        household.members = selectors.members_of(household, names)
        household.seen = f"{household.pk}:" + ".".join(str(pk) for pk, _name in household.members)
    return render(
        request,
        "visits/household_list.html",
        {"village": village, "page": page, "filters": filters,
         "tags": HouseholdTag.objects.all(),
         "can_log": shows_personal_data(scope.scope_for(request.user), village),
         "keeps_roll": keeps_roll(request.user, village),
         "sees_assignments": sees, "assigns": assigns, "members": loads, "member": member,
         "unassigned_only": unassigned_only, "keep_query": _query_without(request, "tag", "cursor", "page"),
         "assign_form": AssignForm(team=team, day=today, members=[user for user, _n in loads]) if assigns else None,
         "here": request.get_full_path()},
    )


def _query_without(request, *names):
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


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
            "visits": paginate(request, selectors.household_visits(household), PAGE_SIZE),
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
def village_coverage(request, pk):
    village = get_object_or_404(selectors.working_villages(request.user).select_related("town"), pk=pk)
    row = selectors.coverage_row(village, selectors.coverage_counts([village.pk], selectors.year_start()))
    return render(
        request,
        "visits/village_coverage.html",
        {"village": village, "row": row, "year": timezone.localdate().year,
         "page": paginate(request, selectors.not_visited(request.user, village=village), PAGE_SIZE)},
    )


# 定点联系: a member's own households; assigning from the roll; the unassigned

# The member's lists: all their households, those not visited this year, the priority ones not this quarter.
MY_LISTS = ("not_visited", "priority")


@login_required
@require_GET
def my_households(request):
    """The member's households in all their teams, never visited first, with this year's round."""
    if not scope.member_teams(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    mine = selectors.my_households(request.user, today)
    show = request.GET.get("show", "")
    listed = {
        "not_visited": lambda: selectors.not_visited_since(mine, selectors.year_start(today)),
        "priority": lambda: selectors.priority_not_visited_since(mine, selectors.quarter_start(today)),
    }.get(show, lambda: mine)()
    page = cursor_page(request, selectors.my_households_list(listed), PAGE_SIZE)
    s = scope.scope_for(request.user)
    for household in page:
        household.full = shows_personal_data(s, household.village)
    return render(request, "visits/my_households.html", {
        "page": page, "progress": selectors.my_progress(mine, today), "show": show if show in MY_LISTS else "",
        "year": today.year, "quarter": (today.month - 1) // 3 + 1,
        "several_villages": len(scope.member_teams(request.user)) > 1,
    })


def _assigning_team(request, village_pk):
    """The village's team, for someone who assigns its households: 404 if the user does not see
    the village, 403 if they see it but do not assign there."""
    village = get_object_or_404(selectors.working_villages(request.user).select_related("town", "team"),
                                pk=village_pk)
    team = getattr(village, "team", None)
    if team is None:
        raise Http404
    if not may_assign(request.user, team):
        raise PermissionDenied
    return village, team


@login_required
@require_GET
def village_assignments(request, village_pk):
    """The team's assignments at a glance: each member's households, the unassigned, and the
    two actions on the whole village (distribute evenly, hand all of one member's to another)."""
    village, team = _assigning_team(request, village_pk)
    today = timezone.localdate()
    loads = selectors.team_members_and_loads(team, today)
    members = [user for user, _n in loads]
    unassigned = selectors.unassigned(village.households.all(), today).count()
    # The preview of distributing among every member: about this many each, as the service shares them.
    each = -(-(sum(n for _user, n in loads) + unassigned) // len(loads)) if loads else None
    return render(request, "visits/village_assignments.html", {
        "village": village, "team": team, "loads": loads, "unassigned": unassigned, "each": each,
        "distribute_form": DistributeForm(team=team, day=today, members=members, initial={"members": members}),
        "reassign_form": ReassignForm(team=team, day=today, members=members),
    })


@login_required
@require_POST
def assignment_change(request, village_pk):
    """Every assignment action of the pages, one service each: assign or unassign the households
    ticked on the roll, distribute the unassigned evenly, hand all of one member's to another.
    Refusals come back as messages on the page the user came from; nothing is written."""
    village, team = _assigning_team(request, village_pk)
    today = timezone.localdate()
    action = request.POST.get("action", "")
    back = _back(request, village)
    forms_by_action = {"assign": AssignForm, "unassign": AssignForm, "distribute": DistributeForm,
                       "reassign": ReassignForm}
    if action not in forms_by_action:
        messages.error(request, _("Choose what to do with the households."))
        return redirect(back)
    form = forms_by_action[action](request.POST, team=team, day=today)
    if not form.is_valid():
        flash_errors(request, form.errors)
        return redirect(back)
    data = form.cleaned_data
    try:
        done = _change(request.user, team, action, data)
    except ValidationError as error:
        flash_errors(request, error)
    except Conflict as conflict:
        return conflict_page(request, conflict, redirect(back))
    else:
        messages.success(request, done)
    return redirect(back)


def _change(by, team, action, data):
    """Runs the action's service; returns the message saying what changed."""
    if action == "assign":
        created = assignments.as_seen(assignments.assign, seen=data["households"], by=by, team=team,
                                      households=_households(data), member=data["member"], pair=data["pair"])
        text = (ngettext("%(member)s now also contacts %(count)d household, beside its member.",
                         "%(member)s now also contacts %(count)d households, beside their members.", len(created))
                if data["pair"] else
                ngettext("%(count)d household assigned to %(member)s.", "%(count)d households assigned to %(member)s.",
                         len(created)))
        return text % {"count": len(created), "member": data["member"]}
    if action == "unassign":
        ended = assignments.as_seen(assignments.unassign, seen=data["households"], by=by, team=team,
                                    households=_households(data))
        count = len(data["households"])
        return ngettext("%(count)d household has no named member now (%(ended)d assignments ended).",
                        "%(count)d households have no named member now (%(ended)d assignments ended).",
                        count) % {"count": count, "ended": ended}
    if action == "distribute":
        given = assignments.distribute_evenly(by=by, team=team, members=data["members"])
        names = {u.pk: u for u in data["members"]}
        shares = "、".join(_("%(member)s %(count)d") % {"member": names[pk], "count": n} for pk, n in given.items())
        total = sum(given.values())
        return ngettext("%(count)d household distributed: %(shares)s.", "%(count)d households distributed: %(shares)s.",
                        total) % {"count": total, "shares": shares}
    moved = assignments.reassign_all(by=by, team=team, from_member=data["from_member"], to_member=data["to_member"])
    return ngettext("%(count)d household of %(from)s handed to %(to)s.", "All %(count)d households of %(from)s "
                    "handed to %(to)s.", moved) % {"count": moved, "from": data["from_member"], "to": data["to_member"]}


def _households(data):
    return list(Household.objects.filter(pk__in=list(data["households"])))


def _back(request, village):
    """Where the action returns: the page it was sent from (the roll with its filters), else the roll."""
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                                require_https=request.is_secure()):
        return back
    return reverse("household-list", args=[village.pk])


@login_required
@require_GET
def unassigned_households(request):
    """The unassigned households of the villages the user assigns (a leader's teams, a town
    office's town): a count a village, each opening its roll on them, and the list."""
    if not assigns_anywhere(request.user):
        raise PermissionDenied
    villages = assigning_villages(request.user)
    today = timezone.localdate()
    households = Household.objects.filter(village__in=villages)
    counts = selectors.unassigned_by_village(households, today)
    by_village = list(villages.filter(pk__in=list(counts)).select_related("town").order_by("town__name", "name"))
    chosen = whole_number(request.GET.get("village", ""))
    listed = selectors.unassigned(households, today)
    if chosen is not None:
        listed = listed.filter(village=chosen)
    listed = (listed.select_related("village")
              .prefetch_related(Prefetch("tags", queryset=HouseholdTag.objects.order_by("priority", "code")))
              .order_by("village__name", "address", "pk"))
    return render(request, "visits/unassigned.html", {
        "page": cursor_page(request, listed, PAGE_SIZE), "total": sum(counts.values()),
        "villages": [(v, counts[v.pk]) for v in by_village], "chosen": chosen,
    })



@login_required
@require_GET
def plan(request):
    """The coverage planner: the user's coming day in each team, and for those who watch others'
    (leader, town office, organization department) the villages and members at risk."""
    watching = watches_plans(request.user)
    context = {"my_plans": plans.my_plans(request.user), "watching": watching}
    if watching:
        villages = plans.villages_at_risk(request.user)
        context.update(villages=villages[:plans.VILLAGES_SHOWN], villages_count=villages.count(),
                       page=paginate(request, plans.members_at_risk(request.user), PAGE_SIZE))
    return render(request, "visits/plan.html", context)


@login_required
@require_GET
def plan_day(request, pk):
    """A liaison day's plan by member of its team: whoever sees the day sees the plans they may."""
    day = get_object_or_404(scope.visible(request.user, LiaisonDay).select_related("team__village"), pk=pk)
    return render(request, "visits/plan_day.html", {"day": day, "rows": plans.day_plan(request.user, day)})
