"""An assessment round's record and a published round's results hold against the application
itself, run as the database role `grant_app_role` prepares (as the ledger's trail does, see
liaison/tests/test_audit_trail.py): the record of publications and withdrawals is append-only; a
published round, its results, the inspections it used and their members absent or criticised
change only once the round is withdrawn, which leaves its own entry in the record. The services
and pages publish, withdraw, correct and publish again as that role."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from liaison.tests.test_audit_trail import ROLE, connected_as, raw
from reports.models import AssessmentEvent, AssessmentResult, AssessmentRound, Inspection, Unit
from reports.oversight import assessments, inspections

from .assessment_world import Q3, build_quarter


@pytest.fixture
def app_role(tworld):
    """A role that does not own the tables, granted as the README's deployment does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [ROLE])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {ROLE} LOGIN")
    call_command("grant_app_role", ROLE, stdout=StringIO())
    return ROLE


@pytest.fixture
def published(tworld, liaison_tuesday):
    """Assessment_world's quarter, committed and published: team A's result used the inspection
    that criticised the cadre."""
    w = build_quarter(tworld)
    w.round = assessments.create_round(by=w.org_department, county=w.county, period=Q3)
    assessments.publish(round_=w.round, by=w.org_department)
    return w


def as_published(w):
    """Everything a published round shows: the round, its results and the inspections behind
    them, the inspection with its members absent and criticised, and the round's record."""
    results = AssessmentResult.objects.filter(round=w.round)
    through = AssessmentResult.inspections.through.objects.filter(assessmentresult__round=w.round)
    return (
        AssessmentRound.objects.filter(pk=w.round.pk).values_list(
            "status", "title", "weight_attendance", "published_by", "published_at").first(),
        sorted(results.values_list("unit", "unit_id", "score", "rank", "deduction", "attendance_num")),
        sorted(through.values_list("assessmentresult__unit", "inspection_id")),
        list(Inspection.objects.filter(pk=w.inspection.pk).values_list("deduction", "findings", "criticism")),
        sorted(Inspection.criticised.through.objects.filter(inspection=w.inspection).values_list("user_id")),
        sorted(Inspection.absent_members.through.objects.filter(inspection=w.inspection).values_list("user_id")),
        list(AssessmentEvent.objects.filter(round=w.round).order_by("pk").values_list("kind", "by", "at", "reason")),
    )


FROZEN = "frozen until the round is withdrawn"
# (statements run in one transaction as the application's role, what the database answers)
TAMPERING = [
    (["DELETE FROM reports_assessmentevent"], "permission denied"),
    (["UPDATE reports_assessmentevent SET reason = '数据有误', by_id = {admin}"], "permission denied"),
    (["TRUNCATE reports_assessmentevent"], "permission denied"),
    (["ALTER TABLE reports_assessmentevent DISABLE TRIGGER ALL"], "must be owner"),
    (["DROP TRIGGER reports_assessmentevent_append_only ON reports_assessmentevent"], "must be owner"),
    (["UPDATE reports_assessmentresult SET score = 99.5 WHERE round_id = {round}"], FROZEN),
    (["UPDATE reports_assessmentresult SET rank = 1, attendance_num = attendance_den WHERE round_id = {round}"],
     FROZEN),
    (["DELETE FROM reports_assessmentresult WHERE round_id = {round}"], FROZEN),
    (["INSERT INTO reports_assessmentresult (round_id, unit, unit_id, name, town_id, attendance_num,"
      " attendance_den, timely_num, timely_den, coverage_num, coverage_den, satisfaction_num, satisfaction_den,"
      " feedback_num, feedback_den, deduction, score, rank) VALUES ({round}, 'team', 999999, '假团队', {town},"
      " 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 100, 1)"], FROZEN),
    (["TRUNCATE reports_assessmentresult CASCADE"], "permission denied"),
    (["DELETE FROM reports_assessmentresult_inspections"], FROZEN),
    (["UPDATE reports_inspection SET deduction = 0 WHERE id = {inspection}"], FROZEN),
    (["UPDATE reports_inspection SET criticism = '', log_kept = true WHERE id = {inspection}"], FROZEN),
    (["DELETE FROM reports_inspection_criticised WHERE inspection_id = {inspection}"], FROZEN),
    (["INSERT INTO reports_inspection_absent_members (inspection_id, user_id) VALUES ({inspection}, {lawyer})"],
     FROZEN),
    (["DELETE FROM reports_assessmentresult_inspections", "DELETE FROM reports_inspection_criticised",
      "DELETE FROM reports_inspection WHERE id = {inspection}"], FROZEN),
    (["UPDATE reports_assessmentround SET weight_attendance = 100, weight_timely = 0, weight_coverage = 0,"
      " weight_satisfaction = 0, weight_feedback = 0 WHERE id = {round}"], "changes only by being withdrawn"),
    (["UPDATE reports_assessmentround SET published_by_id = {admin} WHERE id = {round}"],
     "changes only by being withdrawn"),
    (["DELETE FROM reports_assessmentround WHERE id = {round}"], "never deleted"),
    # Withdrawn behind the record's back: refused when the transaction commits.
    (["UPDATE reports_assessmentround SET status = 'draft' WHERE id = {round}",
      "UPDATE reports_assessmentresult SET score = 99.5 WHERE round_id = {round}",
      "UPDATE reports_assessmentround SET status = 'published' WHERE id = {round}"], "without its entry in the record"),
]


@pytest.mark.parametrize("statements, refusal", TAMPERING)
def test_the_application_role_cannot_rewrite_a_published_round(published, app_role, statements, refusal):
    w = published
    ids = {"round": w.round.pk, "inspection": w.inspection.pk, "admin": w.admin.pk, "lawyer": w.lawyer.pk,
           "town": w.town1.pk}
    before = as_published(w)
    error = raw(app_role, *[statement.format(**ids) for statement in statements])
    assert error is not None and refusal in str(error), error
    assert as_published(w) == before


def test_the_owner_is_held_to_it_as_well(published):
    w = published
    before = as_published(w)
    for change in (
        lambda: AssessmentResult.objects.filter(round=w.round).update(score=Decimal("99.50")),
        lambda: Inspection.objects.filter(pk=w.inspection.pk).update(deduction=0),
        lambda: w.inspection.criticised.clear(),
        lambda: AssessmentEvent.objects.filter(round=w.round).delete(),
    ):
        with pytest.raises(DatabaseError, match="frozen|append-only"), transaction.atomic():
            change()
    assert as_published(w) == before


def test_a_withdrawal_behind_the_services_back_is_a_withdrawal_on_record(published, app_role):
    """The one way to change a published round is to withdraw it; done by hand, it leaves the
    withdrawal in the record, as the service does."""
    w = published
    error = raw(app_role, *(s.format(round=w.round.pk, admin=w.admin.pk) for s in (
        "UPDATE reports_assessmentround SET status = 'draft', published_by_id = NULL, published_at = NULL"
        " WHERE id = {round}",
        "INSERT INTO reports_assessmentevent (round_id, kind, by_id, at, reason)"
        " VALUES ({round}, 'withdrawn', {admin}, now(), '手工撤回')",
        "UPDATE reports_assessmentresult SET score = 99.5 WHERE round_id = {round} AND unit = 'town'",
    )))
    assert error is None
    assert list(w.round.events.order_by("pk").values_list("kind", "reason")) == [
        ("published", ""), ("withdrawn", "手工撤回")]


def test_withdrawn_the_round_is_corrected_and_published_again_by_the_application_role(
        published, app_role):
    w = published
    correction = {"inspectors": "县委组织部 邓志红、周文静", "findings": "民情日记未按周记录，工作日志缺记。",
                  "deduction": "3", "criticism": "驻点工作日志缺记，予以通报批评。", "criticised": [w.cadre],
                  "log_kept": False}
    with connected_as(app_role):
        with pytest.raises(inspections.Frozen):
            inspections.update(inspection=w.inspection, by=w.org_department, **correction)
        assessments.withdraw(round_=w.round, by=w.admin, reason="西区社区督查扣分录入有误，重新核算")
        inspections.update(inspection=w.inspection, by=w.org_department, **correction)
        assessments.recompute(round_=w.round, by=w.org_department)
        assessments.publish(round_=w.round, by=w.org_department)
        with pytest.raises(inspections.Frozen):
            inspections.update(inspection=w.inspection, by=w.org_department, **{**correction, "deduction": "0"})
    team_a = AssessmentResult.objects.get(round=w.round, unit=Unit.TEAM, unit_id=w.team_a.pk)
    assert (team_a.deduction, team_a.score) == (Decimal("3.0"), Decimal("68.25"))  # 71.25 − 3
    assert list(w.round.events.order_by("pk").values_list("kind", "by")) == [
        ("published", w.org_department.pk), ("withdrawn", w.admin.pk), ("published", w.org_department.pk)]
    # Published again, frozen again.
    error = raw(app_role, f"UPDATE reports_assessmentresult SET score = 99.5 WHERE round_id = {w.round.pk}")
    assert error is not None and FROZEN in str(error)


def test_the_pages_publish_withdraw_and_correct_as_the_application_role(published, app_role, client):
    w = published
    with connected_as(app_role):
        client.force_login(w.org_department)
        edit = reverse("inspection-edit", args=[w.inspection.pk])
        assert client.post(edit, {"inspectors": "督查组", "deduction": "2"}).status_code == 409
        client.force_login(w.admin)
        response = client.post(reverse("assessment-action", args=[w.round.pk, "withdraw"]), {"reason": "重新核算"})
        assert response.status_code == 302
        client.force_login(w.org_department)
        assert client.post(edit, {"inspectors": "督查组", "deduction": "2"}).status_code == 302
        for action in ("recompute", "publish"):
            assert client.post(reverse("assessment-action", args=[w.round.pk, action])).status_code == 302
        page = client.get(reverse("assessment-detail", args=[w.round.pk])).content.decode()
    assert "重新核算" in page
    w.round.refresh_from_db()
    assert w.round.is_published
    assert AssessmentResult.objects.get(round=w.round, unit=Unit.TEAM, unit_id=w.team_a.pk).deduction == 2
