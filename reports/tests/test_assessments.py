"""Assessment rounds against the hand-computed third quarter (assessment_world): scores, ranks
with ties, a unit with a 0/0 metric, the freeze, withdrawal, and every refusal saving nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from reports.figures import services
from reports.models import AssessmentEvent, AssessmentResult, AssessmentRound, Snapshot, Unit
from reports.oversight import assessments
from reports.oversight.inspections import Frozen

from .assessment_world import EXPECTED, Q3, build_quarter


@pytest.fixture
def q3(world, now):
    return build_quarter(world)


def scores(round_):
    rows = {(r.unit, r.unit_id): r for r in AssessmentResult.objects.filter(round=round_)}
    return rows


def check_expected(w, round_):
    rows = scores(round_)
    for name, (score, rank) in EXPECTED.items():
        unit = Unit.TOWN if name.startswith("town") else Unit.TEAM
        row = rows[(unit, getattr(w, name).pk)]
        assert (row.score, row.rank) == (score, rank), name


def test_scoring_by_hand():
    weights = assessments.DEFAULT_WEIGHTS
    full = dict.fromkeys(assessments.WEIGHED, (10, 10))
    assert assessments.total(full, weights, 0) == Decimal("100.00")
    b = {"attendance": (9, 10), "timely": (4, 5), "coverage": (50, 100), "satisfaction": (0, 0), "feedback": (1, 2)}
    assert assessments.metric_points(b, weights) == {
        "attendance": Decimal("26.47"), "timely": Decimal("23.53"), "coverage": Decimal("11.76"),
        "satisfaction": None, "feedback": Decimal("8.82"),
    }
    assert assessments.total(dict.fromkeys(assessments.WEIGHED, (0, 0)), weights, 0) is None
    assert assessments.competition_ranks({"a": 9, "b": 7, "c": 7, "d": 5, "e": None}) == {
        "a": 1, "b": 2, "c": 2, "d": 4, "e": None}


def test_round_scores_and_ranks_every_unit_as_computed_by_hand(q3):
    round_ = assessments.create_round(by=q3.org_department, county=q3.county, period=Q3)
    check_expected(q3, round_)
    team_a = AssessmentResult.objects.get(round=round_, unit=Unit.TEAM, unit_id=q3.team_a.pk)
    assert team_a.deduction == Decimal("1.5")
    assert list(team_a.inspections.all()) == [q3.inspection]
    town1 = AssessmentResult.objects.get(round=round_, unit=Unit.TOWN, unit_id=q3.town1.pk)
    assert list(town1.inspections.all()) == [q3.inspection]
    assert round_.title == "博罗县驻点联系群众工作考核（2026年第3季度）"


def test_weights_change_the_scores(q3):
    weights = {"attendance": 100, "timely": 0, "coverage": 0, "satisfaction": 0, "feedback": 0}
    round_ = assessments.create_round(by=q3.org_department, county=q3.county, period=Q3, weights=weights)
    rows = scores(round_)
    assert rows[(Unit.TEAM, q3.team_a.pk)].score == Decimal("88.50")  # 90.00 − 1.5
    assert rows[(Unit.TEAM, q3.team_b.pk)].score == Decimal("90.00")
    assert rows[(Unit.TEAM, q3.team_b.pk)].rank == 2


def test_publishing_freezes_the_round(q3, settings):
    round_ = assessments.create_round(by=q3.org_department, county=q3.county, period=Q3)
    assessments.publish(round_=round_, by=q3.org_department)
    # The figures change, and are even computed afresh: the published round does not move.
    Snapshot.objects.filter(unit=Unit.TEAM, unit_id=q3.team_a.pk).update(attendance_num=0)
    services.refresh_in_process(q3.county)
    check_expected(q3, round_)
    with pytest.raises(Frozen):
        assessments.update_round(round_=round_, by=q3.org_department, weights=assessments.DEFAULT_WEIGHTS)
    with pytest.raises(Frozen):
        assessments.recompute(round_=round_, by=q3.org_department)
    with pytest.raises(Frozen):
        assessments.delete_round(round_=round_, by=q3.org_department)
    check_expected(q3, round_)
    event = AssessmentEvent.objects.get(round=round_)
    assert (event.kind, event.by) == ("published", q3.org_department)
    round_.refresh_from_db()
    assert round_.published_by == q3.org_department and round_.published_at is not None


def test_only_an_administrator_withdraws_with_a_reason(q3):
    round_ = assessments.create_round(by=q3.org_department, county=q3.county, period=Q3)
    assessments.publish(round_=round_, by=q3.org_department)
    with pytest.raises(PermissionDenied):
        assessments.withdraw(round_=round_, by=q3.org_department, reason="数据有误")
    with pytest.raises(ValidationError):
        assessments.withdraw(round_=round_, by=q3.admin, reason="  ")
    assert AssessmentRound.objects.get(pk=round_.pk).is_published
    assessments.withdraw(round_=round_, by=q3.admin, reason="龙溪街道数据录入有误，重新核算")
    round_.refresh_from_db()
    assert round_.status == "draft"
    assert list(round_.events.order_by("pk").values_list("kind", "reason")) == [
        ("published", ""), ("withdrawn", "龙溪街道数据录入有误，重新核算")]
    with pytest.raises(Frozen):
        assessments.withdraw(round_=round_, by=q3.admin, reason="再次撤回")


def test_a_round_once_published_keeps_its_record(q3, as_user):
    round_ = assessments.create_round(by=q3.org_department, county=q3.county, period=Q3)
    assessments.publish(round_=round_, by=q3.org_department)
    assessments.withdraw(round_=round_, by=q3.admin, reason="补充新团队")
    with pytest.raises(Frozen):
        assessments.delete_round(round_=round_, by=q3.org_department)
    page = as_user(q3.org_department).get(reverse("assessment-detail", args=[round_.pk])).content.decode()
    assert "删除草稿" not in page and "撤回" in page
    assert list(round_.events.values_list("kind", flat=True).order_by("pk")) == ["published", "withdrawn"]
    # A draft never published has no record to keep.
    draft = assessments.create_round(by=q3.org_department, county=q3.county, period="quarter:2026-Q2")
    assert "删除草稿" in as_user(q3.org_department).get(reverse("assessment-detail", args=[draft.pk])).content.decode()
    assessments.delete_round(round_=draft, by=q3.org_department)
    assert list(AssessmentRound.objects.all()) == [round_]


@pytest.mark.parametrize("weights, field", [
    ({"attendance": 30}, "weights"),  # 105
    ({"attendance": -5, "timely": 55}, "weight_attendance"),
    ({"attendance": "二十五"}, "weight_attendance"),
])
def test_bad_weights_are_refused_and_nothing_is_saved(q3, weights, field):
    with pytest.raises(ValidationError) as refused:
        assessments.create_round(by=q3.org_department, county=q3.county, period=Q3, weights=weights)
    assert field in refused.value.message_dict
    assert not AssessmentRound.objects.exists() and not AssessmentResult.objects.exists()


@pytest.mark.parametrize("period", ["quarter:2026-Q4", "year:2026", "month:2026-09", "quarter:2026-Q5", "x"])
def test_periods_not_ended_or_not_quarters_are_refused(q3, period):
    with pytest.raises(ValidationError) as refused:
        assessments.create_round(by=q3.org_department, county=q3.county, period=period)
    assert "period" in refused.value.message_dict
    assert not AssessmentRound.objects.exists()


def test_an_empty_round_is_not_published(q3):
    # The first quarter of last year: outside the figures' window, nothing to score.
    round_ = assessments.create_round(by=q3.org_department, county=q3.county, period="quarter:2025-Q1")
    assert not AssessmentResult.objects.filter(round=round_, score__isnull=False).exists()
    with pytest.raises(ValidationError):
        assessments.publish(round_=round_, by=q3.org_department)
    round_.refresh_from_db()
    assert round_.status == "draft" and not round_.events.exists()


@pytest.mark.parametrize("persona", ["cadre", "leader", "town_office", "department", "other_cadre"])
def test_only_the_organization_department_creates_rounds(q3, persona):
    with pytest.raises(PermissionDenied):
        assessments.create_round(by=getattr(q3, persona), county=q3.county, period=Q3)
    assert not AssessmentRound.objects.exists()


def test_red_and_black_lists_of_a_published_round(q3):
    round_ = assessments.create_round(by=q3.org_department, county=q3.county, period=Q3)
    assert all(not s.red and not s.black for s in assessments.standings(round_).values())
    round_ = assessments.publish(round_=round_, by=q3.org_department)
    teams = assessments.standings(round_)[Unit.TEAM]
    # Four teams scored, two on each list: B and E tied at 2 are both red, and so not black.
    assert [(r.unit_id, r.place, r.tied) for r in teams.red] == [
        (q3.team_d.pk, 1, False), *sorted([(q3.team_e.pk, 2, True), (q3.team_b.pk, 2, True)],
                                          key=lambda t: AssessmentResult.objects.get(unit_id=t[0], unit="team").name)]
    assert [r.unit_id for r in teams.black] == [q3.team_a.pk]
    town = assessments.standings(round_)[Unit.TOWN]
    assert not town.red and not town.black  # one town scored: no list of one
