"""Inspections (督查): the organization department records them on a team's liaison day; bad
input is refused in Chinese with nothing saved; nobody is notified; each persona sees what
its position covers; a criticised member sees the notice naming them; an inspection a
published round used is frozen (409)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from issues.models import Notification
from reports.models import Inspection
from reports.oversight import assessments, inspections

from .assessment_world import INSPECTED_ON, Q3, build_quarter


@pytest.fixture
def q3(world, now):
    return build_quarter(world)


def record(w, **extra):
    values = {"by": w.org_department, "team": w.team_a, "date": INSPECTED_ON, "inspectors": "县委组织部督查组 邓志红",
              **extra}
    return inspections.record(**values)


def test_recording_an_inspection_tells_nobody(q3):
    before = Notification.objects.count()
    record(q3, deduction="2", absent_members=[q3.lawyer], findings="律师无故缺勤")
    assert Notification.objects.count() == before


@pytest.mark.parametrize("extra, field, message", [
    ({"deduction": "10.5"}, "deduction", "扣分须在 0 到 10 分之间。"),
    ({"deduction": "-1"}, "deduction", "扣分须在 0 到 10 分之间。"),
    ({"deduction": "abc"}, "deduction", "扣分请填写数字。"),
    ({"date": date(2026, 9, 2)}, "date", "2026-09-02 不是西区社区驻点团队的驻点工作日。"),
    ({"date": date(2026, 12, 1)}, "date", "不能登记未来日期的督查。"),
    ({"inspectors": "  "}, "inspectors", "请填写督查人员。"),
    ({"criticised": "cadre"}, "criticism", "点名成员时请填写通报批评内容。"),
    ({"absent_members": "other_cadre"}, "absent_members", "只能选择当天的驻点团队成员。"),
])
def test_bad_input_is_refused_in_chinese_and_nothing_saved(q3, extra, field, message):
    before = Inspection.objects.count()
    for name in ("criticised", "absent_members"):
        if name in extra:
            extra[name] = [getattr(q3, extra[name])]
    with pytest.raises(ValidationError) as refused:
        record(q3, **extra)
    assert refused.value.message_dict[field] == [message]
    assert Inspection.objects.count() == before


def test_the_maximum_deduction_is_a_setting(q3, settings):
    settings.INSPECTION_MAX_DEDUCTION = 20
    assert record(q3, deduction="15").deduction == 15


@pytest.mark.parametrize("persona", ["cadre", "leader", "town_office", "department", "other_cadre"])
def test_only_the_organization_department_records(q3, persona):
    with pytest.raises(PermissionDenied):
        record(q3, by=getattr(q3, persona))


SEES = {"org_department": True, "admin": True, "leader": True, "town_office": True, "cadre": False,
        "department": False, "other_cadre": False}


@pytest.mark.parametrize("persona", SEES)
def test_who_sees_team_a_inspections(q3, persona, as_user):
    user = getattr(q3, persona)
    plain = record(q3, findings="日志齐全")
    assert (plain in inspections.inspections(user)) is SEES[persona]
    client = as_user(user)
    assert client.get(reverse("inspection-detail", args=[plain.pk])).status_code == (200 if SEES[persona] else 404)
    body = client.get(reverse("inspection-list")).content.decode()
    assert (f'data-inspection="{plain.pk}"' in body) is SEES[persona]


def test_a_criticised_member_sees_the_notice_naming_them(q3, as_user):
    # q3.inspection criticises the cadre (a plain member, who sees no inspections otherwise).
    client = as_user(q3.cadre)
    home = client.get("/").content.decode()
    assert "点名通报您的批评" in home and "驻点工作日志缺记" in home
    notices = client.get(reverse("criticism-notices")).content.decode()
    assert "驻点工作日志缺记，予以通报批评。" in notices
    assert client.get(reverse("inspection-detail", args=[q3.inspection.pk])).status_code == 200
    # The lawyer, of the same team but not named, sees none of it.
    other = as_user(q3.lawyer)
    assert "驻点工作日志缺记" not in other.get("/").content.decode()
    assert "驻点工作日志缺记" not in other.get(reverse("criticism-notices")).content.decode()
    assert other.get(reverse("inspection-detail", args=[q3.inspection.pk])).status_code == 404


def test_an_inspection_a_published_round_used_is_frozen(q3, as_user, api_as):
    round_ = assessments.create_round(by=q3.org_department, county=q3.county, period=Q3)
    # A draft's inspections may still be corrected.
    inspections.update(inspection=q3.inspection, by=q3.org_department, inspectors="督查组", deduction="2")
    assessments.publish(round_=round_, by=q3.org_department)
    with pytest.raises(inspections.Frozen):
        inspections.update(inspection=q3.inspection, by=q3.org_department, inspectors="督查组", deduction="5")
    client = as_user(q3.org_department)
    response = client.post(reverse("inspection-delete", args=[q3.inspection.pk]))
    assert response.status_code == 409 and "已发布的考核已采用这次督查" in response.content.decode()
    response = client.post(reverse("inspection-edit", args=[q3.inspection.pk]),
                           {"inspectors": "督查组", "deduction": "9"})
    assert response.status_code == 409
    q3.inspection.refresh_from_db()
    assert q3.inspection.deduction == 2


def test_an_inspection_of_no_round_can_be_deleted(q3, as_user):
    client = as_user(q3.org_department)
    response = client.post(reverse("inspection-delete", args=[q3.inspection.pk]))
    assert response.status_code == 302 and not Inspection.objects.exists()


def test_the_api_records_and_lists(q3, api_as):
    api = api_as(q3.org_department)
    body = {"team": q3.team_a.pk, "date": "2026-09-08", "inspectors": "县委组织部督查组", "log_kept": False,
            "deduction": "1.5", "criticism": "通报", "criticised": [q3.cadre.pk], "absent_members": [q3.lawyer.pk]}
    response = api.post("/api/v1/inspections/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["deduction"], data["log_kept"], data["criticised"]) == (1.5, False, [q3.cadre.pk])
    listed = api.get("/api/v1/inspections/", {"team": q3.team_a.pk}).json()
    assert listed["count"] == 2
    for persona, count in (("leader", 2), ("town_office", 2), ("department", 0), ("cadre", 0), ("other_cadre", 0)):
        assert api_as(getattr(q3, persona)).get("/api/v1/inspections/").json()["count"] == count, persona


@pytest.mark.parametrize("body, field", [
    ({"deduction": "11"}, "deduction"),
    ({"date": "2026-09-09"}, "date"),
    ({"date": (date(2026, 11, 24) + timedelta(days=7)).isoformat()}, "date"),
    ({"team": 999999}, "team"),
    ({"criticised": [999999], "criticism": "通报"}, "criticised"),
])
def test_the_api_refuses_bad_input_with_400_and_saves_nothing(q3, api_as, body, field):
    before = Inspection.objects.count()
    payload = {"team": q3.team_a.pk, "date": "2026-09-08", "inspectors": "县委组织部督查组", **body}
    response = api_as(q3.org_department).post("/api/v1/inspections/", payload, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert Inspection.objects.count() == before


def test_the_api_refuses_those_who_do_not_record(q3, api_as):
    payload = {"team": q3.team_a.pk, "date": "2026-09-08", "inspectors": "督查组"}
    for persona in ("leader", "town_office", "department"):
        assert api_as(getattr(q3, persona)).post("/api/v1/inspections/", payload, format="json").status_code == 403


def test_recording_through_the_pages(q3, as_user):
    client = as_user(q3.org_department)
    pick = client.get(reverse("inspection-new"))
    assert pick.status_code == 200 and "西区社区驻点团队" in pick.content.decode()
    url = reverse("inspection-new")
    form = client.get(url, {"team": q3.team_a.pk, "date": "2026-09-08"}).content.decode()
    assert "陈建华" in form and "李丽芳" in form  # the team's members, to name
    response = client.post(url, {"team": q3.team_a.pk, "date": "2026-09-08", "inspectors": "督查组",
                                 "team_present": "on", "deduction": "12"})
    assert response.status_code == 400 and "扣分须在 0 到 10 分之间。" in response.content.decode()
    response = client.post(url, {"team": q3.team_a.pk, "date": "2026-09-08", "inspectors": "督查组",
                                 "team_present": "on", "deduction": "0.5", "absent_members": [q3.lawyer.pk]})
    assert response.status_code == 302
    made = Inspection.objects.latest("pk")
    assert (made.deduction, made.notice_posted, list(made.absent_members.all())) == (0.5, False, [q3.lawyer])


def test_the_lists_take_a_constant_number_of_queries(q3, as_user, django_assert_max_num_queries):
    client = as_user(q3.org_department)
    for day in ("2026-09-08", "2026-09-15", "2026-09-22", "2026-09-29"):
        for team in (q3.team_a, q3.team_b, q3.team_c, q3.team_d):
            record(q3, team=team, date=date.fromisoformat(day), criticism="通报",
                   criticised=[q3.cadre] if team == q3.team_a else [])
    # session, user, scope (2), the page's count and rows, the criticised members, the header's notifications
    for url in (reverse("inspection-list"), reverse("criticism-notices"), reverse("assessment-list")):
        with django_assert_max_num_queries(9):
            assert client.get(url).status_code == 200
    member = as_user(q3.cadre)
    with django_assert_max_num_queries(9):
        assert member.get(reverse("criticism-notices")).status_code == 200


def test_the_inspection_form_shows_every_error_at_once(q3, as_user):
    """No inspectors, too many points and a notice naming no one's fault: one answer names them all."""
    url = reverse("inspection-new")
    response = as_user(q3.org_department).post(url, {
        "team": q3.team_a.pk, "date": "2026-09-08", "inspectors": " ", "deduction": "12",
        "findings": "记" * (inspections.FINDINGS.chars + 1), "criticised": [q3.lawyer.pk],
    })
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"inspectors", "deduction", "findings", "criticism"}
    assert errors["deduction"] == ["扣分须在 0 到 10 分之间。"]
    assert not Inspection.objects.filter(date=date(2026, 9, 8)).exists()
    assert 'class="card stack inspection-form" novalidate>' in response.content.decode()


def test_ids_outside_the_team_that_day_are_refused_without_naming_anyone(q3, api_as):
    """Ids of any account (they are sequential) never answer with a name (issue 20, item 6): an
    account of another county, of another team of the county, with no team, or none at all,
    gets one and the same refusal; nothing is written."""
    from teams.models import Membership, Role, User

    outsider = User.objects.create_user(username="longmen_cadre", name="赵外县")
    Membership.objects.create(team=q3.other_team, user=outsider, role=Role.TOWN_CADRE, start_date=date(2025, 1, 1))
    api = api_as(q3.org_department)
    before = Inspection.objects.count()
    answers = set()
    for person, username, name in ((outsider.pk, "longmen_cadre", "赵外县"),
                                   (q3.other_cadre.pk, "other_cadre", "刘伟强"),
                                   (q3.town_office.pk, "town", "叶嘉欣"), (999999, None, None)):
        for field in ("criticised", "absent_members"):
            payload = {"team": q3.team_a.pk, "date": "2026-09-08", "inspectors": "县委组织部督查组",
                       "criticism": "通报", field: [q3.cadre.pk, person]}
            response = api.post("/api/v1/inspections/", payload, format="json")
            body = response.content.decode()
            assert response.status_code == 400, body
            assert set(response.json()) == {field}, body
            for text in filter(None, (name, username)):
                assert text not in body, (field, text)
            answers.add((field, body))
    # The same refusal whoever the id is, or if it is nobody's: the answer tells nothing apart.
    assert len(answers) == 2
    assert "只能选择当天的驻点团队成员。" in answers.pop()[1]
    assert Inspection.objects.count() == before
    # Members of the team that day are taken.
    payload = {"team": q3.team_a.pk, "date": "2026-09-08", "inspectors": "督查组", "criticism": "通报",
               "criticised": [q3.cadre.pk], "absent_members": [q3.lawyer.pk]}
    assert api.post("/api/v1/inspections/", payload, format="json").status_code == 201


def test_the_service_refuses_outsiders_without_naming_them(q3):
    with pytest.raises(ValidationError) as refused:
        record(q3, date=date(2026, 9, 8), criticism="通报", criticised=[q3.other_cadre],
               absent_members=[q3.town_office])
    assert set(refused.value.message_dict) == {"criticised", "absent_members"}
    assert "刘伟强" not in str(refused.value) and "叶嘉欣" not in str(refused.value)
