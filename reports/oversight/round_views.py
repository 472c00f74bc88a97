"""The pages of assessment rounds (考核). Thin: the rules are in assessments.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.web import Conflict, add_service_error, conflict_page, flash_errors, whole_number
from reports import periods as P
from reports import scope as reports_scope
from reports.figures import members as by_member
from reports.figures import registry, services
from reports.models import Unit
from reports.oversight import assessments
from reports.oversight.forms import RoundForm, WithdrawForm
from teams.models import Town


def ended_periods(today=None):
    """The quarters and years that have ended within the figures' window, newest first."""
    today = today or timezone.localdate()
    first, _last = services.window(today)
    return [p for kind in assessments.KINDS for p in P.between(kind, first, today)[::-1] if p.end < today]


@login_required
@require_GET
def round_list(request):
    rounds = list(assessments.rounds(request.user).order_by("-start", "-pk"))
    counties = list(reports_scope.managed_counties(request.user).order_by("name"))
    form = RoundForm(periods=ended_periods()) if counties else None
    return render(request, "reports/rounds.html", {"rounds": rounds, "form": form, "counties": counties})


@login_required
@require_POST
def round_new(request):
    counties = {c.pk: c for c in reports_scope.managed_counties(request.user)}
    if not counties:
        raise PermissionDenied
    county = counties.get(whole_number(request.POST.get("county", ""))) or (
        next(iter(counties.values())) if len(counties) == 1 else None)
    form = RoundForm(request.POST, periods=ended_periods())
    if county is not None and form.is_valid():
        try:
            round_ = assessments.create_round(by=request.user, county=county, period=form.cleaned_data["period"],
                                              title=form.cleaned_data["title"], weights=form.weights())
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The round is computed as a draft. Check it, then publish it."))
            return redirect("assessment-detail", round_.pk)
    elif county is None:
        form.add_error(None, _("Choose the county."))
    rounds = list(assessments.rounds(request.user).order_by("-start", "-pk"))
    return render(request, "reports/rounds.html", {
        "rounds": rounds, "form": form, "counties": sorted(counties.values(), key=lambda c: c.name)}, status=400)


def _round_or_404(user, pk):
    round_ = assessments.round_for(user, pk)
    if round_ is None:
        raise Http404
    return round_


def _chart(rows):
    return {"labels": [row.name for row in rows if row.score is not None],
            "scores": [float(row.score) for row in rows if row.score is not None]}


@login_required
@require_GET
def round_detail(request, pk):
    """The round's ranking of towns with a chart of scores, the red and black lists once
    published, and (for the organization department) what may be done with it."""
    round_ = _round_or_404(request.user, pk)
    sees_all = reports_scope.sees_all_results(request.user, round_)
    standings = assessments.standings(round_)
    towns = assessments.seen(request.user, round_, standings[Unit.TOWN].ranked)
    places = {row.pk: row.place for standing in standings.values() for row in standing.ranked}
    teams = [] if sees_all else _placed(assessments.results(request.user, round_, Unit.TEAM), places)
    form = None
    if sees_all and not round_.is_published:
        form = RoundForm(initial={"title": round_.title, **{
            f"weight_{m}": w for m, w in assessments.weights_of(round_).items()}})
    return render(request, "reports/round.html", {
        "round": round_, "period": P.Period(round_.period, round_.start), "towns": towns, "teams": teams,
        "sees_all": sees_all, "chart": _chart(towns), **_lists(standings),
        "office_towns": reports_scope.result_towns(request.user),
        "weights": [(m, registry.get(m).label, w) for m, w in assessments.weights_of(round_).items()],
        "form": form, "withdraw_form": WithdrawForm() if reports_scope.may_withdraw_round(request.user) else None,
        "events": list(round_.events.select_related("by").order_by("at", "pk")),
    })


def _placed(rows, places):
    """`rows` (results ranked in their town) with each one's place in the county, from `places`."""
    rows = list(rows)
    for row in rows:
        row.place = places[row.pk]
    return rows


def _lists(standings):
    """The red and black lists as the round's page and its print show them, with the rule's sizes."""
    return {"lists": [(unit, standing) for unit, standing in standings.items() if standing.red],
            "list_sizes": assessments.RED_BLACK}


def _results_context(request, round_, unit, unit_id):
    result = assessments.result_for(request.user, round_, unit, unit_id)
    if result is None:
        raise Http404
    places = assessments.places(round_)
    _placed([result], places)
    lines, counted = assessments.breakdown(round_, result)
    period = P.Period(round_.period, round_.start)
    teams = _placed(assessments.results(request.user, round_, Unit.TEAM).filter(town_id=unit_id), places) \
        if unit == Unit.TOWN else []
    return {
        "round": round_, "period": period, "result": result, "unit": unit, "lines": lines, "counted": counted,
        "town": Town.objects.filter(pk=unit_id).first() if unit == Unit.TOWN else None,
        "teams": teams, "inspections": list(result.inspections.all()),
        "points": sum((line.points for line in lines if line.points is not None), 0),
        "scored_total": sum(1 for row in teams if row.score is not None),
        # The team's visit coverage by member (定点联系), from the current figures.
        "by_member": by_member.team_period_members(round_.county_id, unit_id, period) if unit == Unit.TEAM else [],
    }


@login_required
@require_GET
def round_unit(request, pk, unit, unit_id):
    """A unit's breakdown: why this score."""
    if unit not in (Unit.TOWN, Unit.TEAM):
        raise Http404
    round_ = _round_or_404(request.user, pk)
    return render(request, "reports/round_unit.html", _results_context(request, round_, unit, unit_id))


@login_required
@require_GET
def round_print(request, pk):
    """The round on A4 paper: the red and black lists, the towns ranked, then every team ranked
    across the county (those the user sees), as the Excel export has them."""
    round_ = _round_or_404(request.user, pk)
    standings = assessments.standings(round_)
    return render(request, "reports/round_print.html", {
        "round": round_, "period": P.Period(round_.period, round_.start),
        "towns": assessments.seen(request.user, round_, standings[Unit.TOWN].ranked),
        "teams": assessments.seen(request.user, round_, standings[Unit.TEAM].ranked),
        "weights": [(registry.get(m).label, w) for m, w in assessments.weights_of(round_).items()],
        **_lists(standings), "now": timezone.now(),
    })


ROUND_ACTIONS = ("edit", "recompute", "publish", "delete", "withdraw")


@login_required
@require_POST
def round_action(request, pk, action):
    """Change a round: new title or weights, compute afresh, publish, delete (drafts), withdraw
    (administrators). A refusal is shown on the round's page."""
    round_ = _round_or_404(request.user, pk)
    if action not in ROUND_ACTIONS:
        raise Http404
    try:
        if action == "edit":
            form = RoundForm(request.POST)
            if not form.is_valid():
                flash_errors(request, form.errors)
                return redirect("assessment-detail", round_.pk)
            assessments.update_round(round_=round_, by=request.user, title=form.cleaned_data["title"],
                                     weights=form.weights())
            messages.success(request, _("The weights are saved and the round computed afresh."))
        elif action == "recompute":
            assessments.recompute(round_=round_, by=request.user)
            messages.success(request, _("The round is computed afresh from the current figures."))
        elif action == "publish":
            assessments.publish(round_=round_, by=request.user)
            messages.success(request, _("The round is published: its results are frozen."))
        elif action == "delete":
            assessments.delete_round(round_=round_, by=request.user)
            messages.success(request, _("The draft round is deleted."))
            return redirect("assessment-list")
        else:
            assessments.withdraw(round_=round_, by=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, _("The publication is withdrawn; the round is a draft again."))
    except Conflict as conflict:
        return conflict_page(request, conflict, redirect("assessment-detail", round_.pk))
    except ValidationError as error:
        flash_errors(request, error)
    return redirect("assessment-detail", round_.pk)
