"""Assessment rounds (考核): the towns and teams of a county scored over a quarter or a year.

How a unit is scored, the rule every page, the API and the tests share:

- each metric's rate is read from the dashboards' figures (numerator/denominator) of the period;
- a metric earns weight × rate points; a metric with nothing to count (0/0) earns none and its
  weight is shared out: the points of the metrics that have a rate are scaled by
  100 ÷ (the sum of their weights), so a unit is judged on what it had to do. Each metric's
  points are rounded to two decimals;
- the total is the points added up, minus the points the period's inspections deducted (a
  team's own inspections; a town's, those of all its teams). It may fall below zero;
- a unit with no metric to count at all has no score and no rank;
- ranks: equal totals share a rank and the next rank skips (1, 2, 2, 4). A result's `rank` is
  a town's among the county's towns and a team's among its own town's teams; a team's place in
  the county, which the red and black lists (红黑榜), the print and the export use, is read from
  the frozen scores by the same rule (`standings`).

A draft is computed afresh from the county's current figures whenever it changes and once more
when it is published; publishing freezes it (its results are rows of their own, never computed
again), until an administrator withdraws the publication, with a reason. The database holds
the application to it (reports/migrations/*_assessment_audit.py): a published round, its
results, the inspections behind them and their members named change only once the round is a
draft again, and a round is published or withdrawn only with its entry in the record
(`AssessmentEvent`), which nobody changes or deletes.

Over 400 lines because scoring, ranking, publishing and withdrawing are one rule read top-down;
each step is a short function."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import texts
from reports import periods as P
from reports import scope as reports_scope
from reports.figures import registry, services
from reports.models import (
    AssessmentEvent,
    AssessmentResult,
    AssessmentRound,
    Inspection,
    Snapshot,
    Unit,
)
from reports.oversight.inspections import Frozen
from teams.models import Team, Town

# The metrics an assessment weighs, in the order pages show them, and DESIGN.md's default weights.
WEIGHED = registry.WEIGHED
DEFAULT_WEIGHTS = {m: registry.get(m).weight for m in WEIGHED}
KINDS = ("quarter", "year")
TITLE = texts.Bound.of(AssessmentRound, "title", gettext_lazy("Title"))
REASON = texts.Bound.of(AssessmentEvent, "reason", gettext_lazy("Reason"))
CENT = Decimal("0.01")
# How many towns and teams the red and black lists (红黑榜) name at most.
RED_BLACK = {Unit.TOWN: 3, Unit.TEAM: 10}


def weights_of(round_):
    return {m: getattr(round_, f"weight_{m}") for m in WEIGHED}


# Scoring: plain functions of numbers, so a test can check them by hand.


def metric_points(figures, weights):
    """{metric: points or None} for `figures` {metric: (num, den)}: see the module's rule."""
    rated = [m for m in WEIGHED if figures[m][1]]
    total_weight = sum(weights[m] for m in rated)
    points = dict.fromkeys(WEIGHED)
    if not total_weight:
        return points
    for m in rated:
        num, den = figures[m]
        points[m] = (Decimal(weights[m] * num * 100) / Decimal(den * total_weight)).quantize(CENT, ROUND_HALF_UP)
    return points


def total(figures, weights, deduction):
    """The unit's score, or None when it has nothing to count."""
    points = [p for p in metric_points(figures, weights).values() if p is not None]
    if not points:
        return None
    return sum(points, Decimal(0)) - Decimal(deduction)


def competition_ranks(scores):
    """{key: rank} for {key: score}: equal scores share a rank, the next skips (1, 2, 2, 4);
    a score of None gets no rank."""
    ordered = sorted((s for s in scores.values() if s is not None), reverse=True)
    first = {}
    for index, s in enumerate(ordered):
        first.setdefault(s, index + 1)
    return {key: (first[s] if s is not None else None) for key, s in scores.items()}


def figures_of(row):
    """{metric: (num, den)} of a snapshot or a result; (0, 0) for none."""
    return {m: registry.get(m).pair(row) if row else (0, 0) for m in WEIGHED}


# Who may do what.


def _require_manager(user, county_id):
    if not reports_scope.manages(user, county_id):
        raise PermissionDenied(_("Only the county's organization department manages assessment rounds."))


def rounds(user):
    """The rounds the user sees: the organization department its county's, drafts included; a
    town office its county's published rounds (its own results only, see `results`)."""
    return reports_scope.rounds_visible(user).select_related("county")


def round_for(user, pk):
    return rounds(user).filter(pk=pk).first()


def results(user, round_, unit):
    """The round's results of `unit` (towns or teams) the user sees, best first (unscored last):
    all of them for the organization department, a town office its town's and its teams'."""
    qs = AssessmentResult.objects.filter(round=round_, unit=unit)
    if not reports_scope.sees_all_results(user, round_):
        qs = qs.filter(town_id__in=reports_scope.result_towns(user))
    order = [F("rank").asc(nulls_last=True), "name"]
    return qs.order_by(*(["town_id", *order] if unit == Unit.TEAM else order))


def result_for(user, round_, unit, unit_id):
    behind = Inspection.objects.select_related("team").order_by("date", "pk")
    return results(user, round_, unit).filter(unit_id=unit_id).prefetch_related(
        Prefetch("inspections", queryset=behind)).first()


@dataclass
class Standing:
    """One kind of unit (towns or teams) of a round ranked across the county: `ranked`, every
    result best first, each with its `place` in the county, `tied` when it shares it, and its
    `town_name`, the unscored last; `red` and `black`, the lists (红黑榜) of a published round."""

    ranked: list
    red: list
    black: list


def standings(round_):
    """{unit: Standing}: every town and every team of the county ranked by the score frozen in
    its result, equal scores sharing a place (1, 2, 2, 4), equal places by name; and the red
    and black lists taken from that ranking. The one source of what the round's page, its
    print and its Excel export rank and list. One query.

    The place is read from the frozen scores, not stored: it follows from them by this rule
    alone (a team's stored `rank` is its rank in its town), so a round published before the
    place existed reads as right as one published after, and nothing stored can disagree."""
    # Equal places by name, in Python's order so that it does not hang on the database's collation.
    rows = sorted(AssessmentResult.objects.filter(round=round_), key=lambda row: (row.name, row.unit_id))
    town_names = {row.unit_id: row.name for row in rows if row.unit == Unit.TOWN}
    placed = _places((row.pk, row.unit, row.score) for row in rows)
    found = {}
    for unit, size in RED_BLACK.items():
        of_unit = [row for row in rows if row.unit == unit]
        sharing = Counter(placed[row.pk] for row in of_unit)
        for row in of_unit:
            row.place, row.town_name = placed[row.pk], town_names.get(row.town_id, "")
            row.tied = row.place is not None and sharing[row.place] > 1
        scored = sorted((row for row in of_unit if row.place is not None), key=lambda row: row.place)
        red, black = _red_black(scored, size) if round_.is_published else ([], [])
        found[unit] = Standing(scored + [row for row in of_unit if row.place is None], red, black)
    return found


def _places(scores):
    """{result pk: its place among the county's units of its kind} for (pk, unit, score) of a round."""
    by_unit = defaultdict(dict)
    for pk, unit, score in scores:
        by_unit[unit][pk] = score
    return {pk: place for of_unit in by_unit.values() for pk, place in competition_ranks(of_unit).items()}


def places(round_):
    """{result pk: its place in the county}, as `standings` places it, for the pages that show a
    unit's place without the lists. One light query."""
    return _places(AssessmentResult.objects.filter(round=round_).values_list("pk", "unit", "score"))


def _red_black(scored, size):
    """The red list: the `size` best of `scored` (ranked best first) and whoever ties the last
    of them; the black list: the `size` worst likewise, worst first, none of them red. With
    fewer than twice `size` scored, half of them each; fewer than two, no lists."""
    n = min(size, len(scored) // 2)
    if not n:
        return [], []
    red = [row for row in scored if row.score >= scored[n - 1].score]
    named = {row.pk for row in red}
    black = sorted((row for row in scored if row.score <= scored[-n].score and row.pk not in named),
                   key=lambda row: -row.place)
    return red, black


def seen(user, round_, rows):
    """Those of `rows` (results) the user sees, as `results` chooses them."""
    if reports_scope.sees_all_results(user, round_):
        return rows
    towns = reports_scope.result_towns(user)
    return [row for row in rows if row.town_id in towns]


def applied_weights(figures, weights):
    """{metric: the weight it counted with, or None for a 0/0 metric}: its weight × 100 ÷ the
    sum of the weights of the metrics that have a rate, to two decimals; the weight itself when
    every metric has one."""
    rated = [m for m in WEIGHED if figures[m][1]]
    total_weight = sum(weights[m] for m in rated)
    applied = dict.fromkeys(WEIGHED)
    for m in rated if total_weight else ():
        applied[m] = (Decimal(weights[m] * 100) / Decimal(total_weight)).quantize(CENT, ROUND_HALF_UP)
    return applied


@dataclass
class Line:
    metric: str
    label: str
    num: int
    den: int
    rate: float | None
    nominal: int
    weight: Decimal | None
    points: Decimal | None


def breakdown(round_, result):
    """Why this score: each metric's figures, its weight as set and as applied, and its points;
    the weights that counted."""
    weights = weights_of(round_)
    figures = figures_of(result)
    points = metric_points(figures, weights)
    applied = applied_weights(figures, weights)
    lines = [Line(m, registry.get(m).label, *figures[m], result.rate(m), weights[m], applied[m], points[m])
             for m in WEIGHED]
    counted = sum(weights[m] for m in WEIGHED if figures[m][1])
    return lines, counted


# Changing rounds.


def _period(key):
    try:
        period = P.parse(key)
    except ValueError:
        period = None
    if period is None or period.kind not in KINDS:
        raise ValidationError({"period": _("Choose a quarter or a year, such as quarter:2026-Q3 or year:2026.")})
    return period


def _weights(weights):
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    errors = {}
    for m in WEIGHED:
        value = weights[m]
        if isinstance(value, str):
            value = value.strip()
            value = int(value) if value.isascii() and value.isdigit() and len(value) <= 3 else None
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
            errors[f"weight_{m}"] = _("A weight is a whole number from 0 to 100.")
        weights[m] = value
    if not errors and sum(weights.values()) != 100:
        errors["weights"] = _("The weights must add up to 100; they add up to %(sum)d.") % {
            "sum": sum(weights.values())}
    if errors:
        raise ValidationError(errors)
    return weights


def _title(title, county, period):
    title = (title or "").strip()
    texts.check(title=(title, TITLE))
    return title or _("%(county)s liaison work assessment, %(period)s") % {"county": county.name,
                                                                           "period": period.label}


@transaction.atomic
def create_round(*, by, county, period, title="", weights=None):
    """A draft round of the county over an ended quarter or year, computed at once."""
    _require_manager(by, county.pk)
    period = _period(period)
    weights = _weights(weights)
    title = _title(title, county, period)
    if period.end >= timezone.localdate():
        raise ValidationError({"period": _("%(period)s has not ended yet: assess it once it is over.") % {
            "period": period.label}})
    round_ = AssessmentRound.objects.create(
        county=county, title=title, period=period.kind, start=period.start, end=period.end, created_by=by,
        **{f"weight_{m}": weights[m] for m in WEIGHED},
    )
    compute(round_)
    return round_


def _lock_draft(round_, by):
    _require_manager(by, round_.county_id)
    locked = AssessmentRound.objects.select_for_update().select_related("county").get(pk=round_.pk)
    if locked.is_published:
        raise Frozen(_("This round is published: its results are frozen. An administrator may withdraw it."))
    return locked


@transaction.atomic
def update_round(*, round_, by, title="", weights=None):
    """New title or weights for a draft, computed afresh."""
    locked = _lock_draft(round_, by)
    weights = _weights(weights)
    locked.title = _title(title, locked.county, P.Period(locked.period, locked.start))
    for m in WEIGHED:
        setattr(locked, f"weight_{m}", weights[m])
    locked.save()
    compute(locked)
    return locked


@transaction.atomic
def recompute(*, round_, by):
    """A draft computed afresh from the current figures and inspections."""
    locked = _lock_draft(round_, by)
    compute(locked)
    return locked


@transaction.atomic
def delete_round(*, round_, by):
    """Delete a draft never published: a round once published keeps its record, and so is kept."""
    locked = _lock_draft(round_, by)
    if locked.events.exists():
        raise Frozen(_("This round has been published: it is kept with the record of its publication and "
                       "withdrawal. Compute it afresh and publish it again."))
    locked.delete()


@transaction.atomic
def publish(*, round_, by):
    """Compute the draft one last time and freeze it. Refused for a round with no unit scored."""
    locked = _lock_draft(round_, by)
    compute(locked)
    if not locked.results.filter(score__isnull=False).exists():
        raise ValidationError({"detail": _(
            "Nothing in this round has a score: there are no figures to assess. It cannot be published.")})
    locked.status, locked.published_by, locked.published_at = AssessmentRound.Status.PUBLISHED, by, timezone.now()
    locked.save(update_fields=["status", "published_by", "published_at"])
    AssessmentEvent.objects.create(round=locked, kind=AssessmentEvent.Kind.PUBLISHED, by=by)
    return locked


@transaction.atomic
def withdraw(*, round_, by, reason):
    """An administrator takes a publication back, with a reason: the round is a draft again."""
    if not reports_scope.may_withdraw_round(by):
        raise PermissionDenied(_("Only an administrator can withdraw a published round."))
    reason = (reason or "").strip()
    texts.check(reason=(reason, REASON))
    if not reason:
        raise ValidationError({"reason": _("Give the reason for withdrawing the round.")})
    locked = AssessmentRound.objects.select_for_update().get(pk=round_.pk)
    if not locked.is_published:
        raise Frozen(_("This round is not published."))
    # A draft again, and so free to change, only in the transaction that records the withdrawal
    # (the database checks it at commit).
    locked.status, locked.published_by, locked.published_at = AssessmentRound.Status.DRAFT, None, None
    locked.save(update_fields=["status", "published_by", "published_at"])
    AssessmentEvent.objects.create(round=locked, kind=AssessmentEvent.Kind.WITHDRAWN, by=by, reason=reason)
    return locked


def compute(round_):
    """The round's results afresh, inside the caller's transaction: every active team of the
    county and every town, from the county's current figures. A handful of queries, however
    many units."""
    refresh = services.current(round_.county_id)
    if refresh is None:
        raise ValidationError({"detail": _("The county's figures have not been computed yet.")})
    if timezone.localdate(refresh.computed_at) <= round_.end:
        raise ValidationError({"detail": _(
            "The figures were computed before the period ended; refresh the figures first.")})
    towns = dict(Town.objects.filter(county=round_.county_id).values_list("pk", "name"))
    teams = list(Team.objects.filter(village__town__in=towns, is_active=True).values_list(
        "pk", "name", "village__town_id"))
    snapshots = {
        (row.unit, row.unit_id): row for row in Snapshot.objects.filter(
            refresh=refresh, unit__in=(Unit.TOWN, Unit.TEAM), period=round_.period, start=round_.start,
        ).filter(Q(unit=Unit.TOWN, unit_id__in=list(towns)) | Q(unit=Unit.TEAM, unit_id__in=[t[0] for t in teams]))
    }
    # Locked, so that an inspection corrected while the round is published is either in it as
    # corrected or refused as used (inspections.update checks under the same lock).
    found = list(Inspection.objects.select_for_update(of=("self",)).filter(
        team__village__town__in=towns, date__range=(round_.start, round_.end),
    ).values_list("pk", "team_id", "team__village__town_id", "deduction"))
    by_team, by_town = defaultdict(list), defaultdict(list)
    for pk, team_id, town_id, points in found:
        by_team[team_id].append((pk, points))
        by_town[town_id].append((pk, points))
    weights = weights_of(round_)
    units = [(Unit.TOWN, pk, name, pk, by_town[pk]) for pk, name in towns.items()]
    units += [(Unit.TEAM, pk, name, town_id, by_team[pk]) for pk, name, town_id in teams]
    rows = []
    for unit, unit_id, name, town_id, behind in units:
        figures = figures_of(snapshots.get((unit, unit_id)))
        deduction = sum((points for _pk, points in behind), Decimal(0))
        rows.append(AssessmentResult(
            round=round_, unit=unit, unit_id=unit_id, name=name, town_id=town_id, deduction=deduction,
            score=total(figures, weights, deduction),
            **{f"{m}_num": num for m, (num, _den) in figures.items()},
            **{f"{m}_den": den for m, (_num, den) in figures.items()},
        ))
    groups = defaultdict(dict)
    for index, row in enumerate(rows):
        groups[(row.unit, row.town_id if row.unit == Unit.TEAM else None)][index] = row.score
    for scores in groups.values():
        for index, rank in competition_ranks(scores).items():
            rows[index].rank = rank
    AssessmentResult.objects.filter(round=round_).delete()
    rows = AssessmentResult.objects.bulk_create(rows, batch_size=2000)
    through = AssessmentResult.inspections.through
    links = [(row.pk, pk) for row, (*_rest, behind) in zip(rows, units, strict=True) for pk, _points in behind]
    through.objects.bulk_create(
        [through(assessmentresult_id=result_id, inspection_id=pk) for result_id, pk in links], batch_size=5000)
    round_.figures_at = refresh.computed_at
    round_.save(update_fields=["figures_at"])
    return rows
