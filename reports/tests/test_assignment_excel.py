"""定点联系 in Excel: the import (every row checked as one assignment is, each problem named by row
and column in Chinese, nothing written unless every row is valid, the same file twice changing
nothing, a change made meanwhile refused whole) and the export (the households' members, then
those without one, within the user's scope, re-importable)."""

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from conftest import TODAY
from core.web import Conflict
from factories import HouseholdFactory
from reports.excel import imports
from reports.models import ImportBatch
from reports.tests.test_imports import upload, xlsx
from visits import assignments
from visits.models import Assignment

pytestmark = pytest.mark.django_db
HEADER = ["镇街", "村（社区）", "户主姓名", "地址", "身份证号", "联系成员（手机号或姓名）", "起始日期", "结对联系"]
A = ["罗阳街道", "西区社区"]


@pytest.fixture
def roll(world, liaison_tuesday):
    def make(village, name, address, id_number=""):
        return HouseholdFactory(village=village, head_name=name, address=address, id_number=id_number,
                                registered_on=TODAY - timedelta(days=400))

    r = type("Roll", (), {})()
    r.wang = make(world.village_a, "王秀英", "建设路12号", "441322195001010025")
    r.zhang = make(world.village_a, "张国强", "建设路14号")
    r.chen = make(world.village_a, "陈桂兰", "人民路3号")
    r.east = make(world.village_b, "黄美玲", "东堤路8号")
    r.longxi = make(world.village_c, "刘德华", "一组6号")
    return r


def members(household, day=TODAY):
    return sorted(Assignment.objects.active_on(day).filter(household=household)
                  .values_list("membership__user__username", flat=True))


def everything():
    return list(Assignment.objects.order_by("pk").values_list("pk", "household", "membership", "start_date",
                                                              "end_date"))


def test_the_leader_imports_by_id_number_or_head_and_address_and_again_changes_nothing(world, roll, client):
    rows = [[*A, "王秀英", "", "441322195001010025", "13800000002", "", ""],  # the cadre, by phone
            [*A, "张国强", "建设路14号", "", "李丽芳", "", ""],  # the cadre, by name
            [*A, "陈桂兰", "人民路3号", "", "黄志明", "", ""],
            [*A, "陈桂兰", "人民路3号", "", "张小燕", "", "是"]]  # and a pair
    content = xlsx(HEADER, rows)
    response = upload(client, world.leader, "assignments", content)
    page = response.content.decode()
    assert response.status_code == 200, page
    assert "新增 4 条" in page
    assert members(roll.wang) == members(roll.zhang) == ["cadre"]
    assert members(roll.chen) == ["lawyer", "volunteer"]
    assert all(a.assigned_by == world.leader for a in Assignment.objects.all())
    before = everything()
    response = upload(client, world.leader, "assignments", content)
    assert "新增 0 条，更新 0 条" in response.content.decode()
    assert everything() == before

    # A new member for 王: the cadre's row ends the day before, kept.
    later = TODAY + timedelta(days=7)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.utils.timezone.localdate", lambda *a: later)
        report = imports.run(world.town_office, "assignments", xlsx(HEADER, [[*A, "王秀英", "建设路12号", "", "黄志明",
                                                                           "", ""]]))
    assert (report.created, report.updated, report.problems) == (0, 1, [])
    assert members(roll.wang, later) == ["lawyer"] and members(roll.wang, TODAY) == ["cadre"]


def test_bad_rows_are_named_by_row_and_column_and_nothing_is_written(world, roll, client):
    assignments.assign(by=world.leader, team=world.team_a, households=[roll.zhang], member=world.cadre)
    assignments.assign(by=world.leader, team=world.team_a, households=[roll.zhang], member=world.lawyer, pair=True)
    membership = world.volunteer.memberships.get(team=world.team_a)
    membership.end_date = TODAY - timedelta(days=1)
    membership.save()
    before = everything()
    rows = [
        [*A, "王秀英", "建设路12号", "", "黄志明", "", ""],  # row 2 (under the header): fine
        [*A, "黄美玲", "东堤路8号", "", "黄志明", "", ""],  # 3: a household of another village
        [*A, "陈桂兰", "人民路3号", "", "刘伟强", "", ""],  # 4: not a member of team A
        [*A, "陈桂兰", "人民路3号", "", "张小燕", "", ""],  # 5: an ended membership
        [*A, "张国强", "建设路14号", "", "李丽芳", "", ""],  # 6: already the cadre's (of a pair)
        [*A, "陈桂兰", "人民路3号", "", "黄志明", (TODAY + timedelta(days=1)).isoformat(), ""],  # 7: a future date
        ["龙溪街道", "龙溪村", "刘德华", "一组6号", "", "刘伟强", "", ""],  # 8: a village the leader does not assign
        [*A, "王秀英", "建设路12号", "", "李丽芳", "", ""],  # 9: 王 again, not as a pair
        [*A, "", "人民路3号", "", "", "明天", "也许"],  # 10: required cells, a date, the pair cell
    ]
    response = upload(client, world.leader, "assignments", xlsx(HEADER, rows))
    assert response.status_code == 400
    assert everything() == before
    report = imports.check(world.leader, "assignments", xlsx(HEADER, rows))
    found = {(p.row, p.column): p.message for p in report.problems}
    member = "联系成员（手机号或姓名）"
    assert set(found) == {
        (3, "户主姓名"), (4, member), (5, member), (6, member), (7, "起始日期"), (8, "村（社区）"), (9, "结对联系"),
        (10, "户主姓名"), (10, member), (10, "起始日期"), (10, "结对联系")}
    assert "没有住在东堤路8号的户主黄美玲" in found[(3, "户主姓名")]
    assert "刘伟强不是" in found[(4, member)]
    assert "张小燕不是" in found[(5, member)]
    assert "已由李丽芳联系" in found[(6, member)]
    assert "未来" in found[(7, "起始日期")]
    assert "龙溪村" in found[(8, "村（社区）")]
    assert "第 2 行" in found[(9, "结对联系")]
    assert found[(10, "户主姓名")] == "必填。"
    # After reading the report, the valid row only.
    batch = ImportBatch.objects.get()
    assert client.post(f"/reports/imports/batches/{batch.pk}/").status_code == 200
    assert members(roll.wang) == ["lawyer"]


def test_an_assignment_made_while_the_file_was_checked_refuses_the_whole_import(world, roll):
    rows = [(3, dict(village=world.village_a, head_name="王秀英", address="建设路12号", id_number="",
                     member="李丽芳", start_date=None, pair=False)),
            (4, dict(village=world.village_a, head_name="陈桂兰", address="人民路3号", id_number="",
                     member="李丽芳", start_date=None, pair=False))]
    checked = assignments.check_assignments(by=world.town_office, rows=rows)
    assert checked.problems == []
    assignments.assign(by=world.leader, team=world.team_a, households=[roll.chen], member=world.lawyer)
    before = everything()
    with pytest.raises(Conflict, match="1"):
        assignments.import_assignments(checked=checked, keys=[3, 4])
    assert everything() == before


def test_who_imports_assignments_and_the_template_imports_as_it_is(world, roll, client):
    assert imports.kinds_for(world.leader) == ["assignments"]
    assert "assignments" in imports.kinds_for(world.town_office)
    assert imports.kinds_for(world.cadre) == imports.kinds_for(world.org_department) == []
    client.force_login(world.leader)
    assert "定点联系" in client.get("/reports/imports/").content.decode()
    response = client.get("/reports/imports/assignments/template/")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    ws = load_workbook(io.BytesIO(content)).active
    assert [c.value for c in ws[2]] == ["镇街*", "村（社区）*", "户主姓名*", "地址", "身份证号",
                                        "联系成员（手机号或姓名）*", "起始日期", "结对联系"]
    # The first household by address, the team's first member.
    assert [c.value for c in ws[3]][:6] == [*A, "陈桂兰", "人民路3号", None, "13800000001"]
    report = imports.run(world.leader, "assignments", content)
    assert report.problems == [] and report.created == 1
    assert client.get("/reports/imports/assignments/template/").status_code == 200
    client.force_login(world.cadre)
    assert client.get("/reports/imports/assignments/template/").status_code == 403


def export_rows(client, user, query=""):
    client.force_login(user)
    response = client.post(f"/reports/exports/assignments/{query}")
    assert response.status_code == 200, response.content[:300]
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    assert [c.value for c in ws[2]] == HEADER
    return [[c.value for c in row] for row in ws.iter_rows(min_row=3)]


def test_the_export_lists_the_members_then_the_households_without_one(world, roll, client):
    assignments.assign(by=world.leader, team=world.team_a, households=[roll.wang, roll.zhang], member=world.cadre)
    assignments.assign(by=world.leader, team=world.team_a, households=[roll.zhang], member=world.lawyer, pair=True)
    assignments.assign(by=world.other_leader, team=world.team_c, households=[roll.longxi], member=world.other_cadre)
    rows = export_rows(client, world.leader)
    assert [(r[2], r[5] or "", r[7] or "") for r in rows] == [
        ("王秀英", "李丽芳", ""), ("张国强", "李丽芳", ""), ("张国强", "黄志明", "是"), ("陈桂兰", "", "")]
    assert rows[0][4] == "441322195001010025"  # the leader's own team's village: in full
    assert rows[0][6].date() == TODAY
    # The town office: its town's, the ID number masked; 东区社区's household unassigned.
    rows = export_rows(client, world.town_office)
    assert rows[0][4] == "441***********0025"
    assert {r[2] for r in rows if not r[5]} == {"陈桂兰", "黄美玲"}
    assert "陈桂兰" not in {r[2] for r in export_rows(client, world.cadre)}
    assert [r[2] for r in export_rows(client, world.town_office, f"?village={world.village_b.pk}")] == ["黄美玲"]
    # A member: their own households only.
    assert [r[2] for r in export_rows(client, world.cadre)] == ["王秀英", "张国强"]
    assert [r[2] for r in export_rows(client, world.org_department, f"?town={world.town2.pk}")] == ["刘德华"]
    # The file imports back as it is, changing nothing.
    client.force_login(world.leader)
    content = b"".join(client.post("/reports/exports/assignments/").streaming_content)
    before = everything()
    report = imports.run(world.leader, "assignments", content, valid_only=True)
    assert report.unchanged == 3 and everything() == before
    assert {p.row for p in report.problems} == {6}  # 陈桂兰: no member yet
