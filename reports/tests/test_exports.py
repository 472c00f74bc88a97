"""Excel exports: what an officer files. Each file is read back twice, by openpyxl and by an
independent reader (calamine), and compared with the ledger; its content follows the page's
filters and the user's scope, personal data masked for those who may not see it."""

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from issues import services as issue_services
from issues.models import Issue
from liaison.tests.conftest import populate
from reports import exports

XLSX = exports.XLSX


@pytest.fixture
def busy(world, now, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return populate(world)


def export(client, user, kind, query="", data=None):
    client.force_login(user)
    response = client.post(f"/reports/exports/{kind}/{query}", data or {})
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == XLSX
    return b"".join(response.streaming_content)


def sheet(content):
    """(openpyxl's sheet, calamine's rows): both readers must open the file."""
    book = load_workbook(io.BytesIO(content))
    other = CalamineWorkbook.from_filelike(io.BytesIO(content))
    rows = other.get_sheet_by_index(0).to_python()
    return book.worksheets[0], rows


def codes(ws):
    return {row[0].value.replace("-", "") for row in ws.iter_rows(min_row=3) if row[0].value}


def test_the_ledger_round_trips_with_chinese_headers_real_dates_and_its_print_set_up(busy, client):
    ws, rows = sheet(export(client, busy.admin, "issues"))
    assert "问题台账" in ws["A1"].value
    headers = [c.value for c in ws[2]]
    assert headers[:6] == ["跟踪码", "受理时间", "镇街", "村（社区）", "类别", "标题"]
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == f"A2:T{2 + Issue.objects.count()}"
    assert ws.print_title_rows == "$2:$2"
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert codes(ws) == set(Issue.objects.values_list("code", flat=True))
    row = next(r for r in ws.iter_rows(min_row=3) if r[0].value.replace("-", "") == busy.issue_done.code)
    received = row[1].value
    assert isinstance(received, datetime) and row[1].is_date
    # Shanghai wall-clock time, as the pages show it.
    assert received == busy.issue_done.received_at.astimezone(exports.xlsx.SHANGHAI).replace(tzinfo=None)
    assert row[5].value == "垃圾清运不及时" and row[17].value == "已协调保洁公司每日清运"
    assert row[12].value == "已解决" and row[16].value == "是"
    # The other reader sees the same table.
    assert rows[1] == headers
    assert len(rows) == 2 + Issue.objects.count()
    assert isinstance(rows[2][1], datetime)


@pytest.mark.parametrize("persona, villages", [
    ("cadre", {"西区社区"}), ("other_cadre", {"龙溪村"}), ("town_office", {"西区社区"}),
    ("org_department", {"西区社区", "龙溪村"}),
])
def test_each_persona_exports_only_the_issues_they_see(busy, client, persona, villages):
    ws, _rows = sheet(export(client, getattr(busy, persona), "issues"))
    assert {row[3].value for row in ws.iter_rows(min_row=3)} == villages


def test_the_page_filters_carry_into_the_file(busy, client):
    ws, _rows = sheet(export(client, busy.admin, "issues", f"?town={busy.town2.pk}"))
    assert codes(ws) == {busy.issue_c.code}
    ws, _rows = sheet(export(client, busy.admin, "issues", "?status=resolved"))
    assert codes(ws) == {busy.issue_done.code}


def test_the_reporter_is_masked_for_those_who_may_not_see_personal_data(busy, client):
    ws, _rows = sheet(export(client, busy.org_department, "issues"))
    assert {(row[8].value, row[9].value) for row in ws.iter_rows(min_row=3)} == {("王**", "139****5678")}
    ws, _rows = sheet(export(client, busy.cadre, "issues", "?mine=true"))
    assert {(row[8].value, row[9].value) for row in ws.iter_rows(min_row=3)} == {("王秀英", "13912345678")}


def test_user_text_that_would_be_a_formula_is_neutralised(busy, client):
    issue_services.register(
        by=busy.cadre, village=busy.village_a, category=busy.issue_a.category, title="=HYPERLINK(\"http://x\")",
        description="+1-2", source="reception", reporter_name="@王", reporter_phone="13912345678",
    )
    ws, rows = sheet(export(client, busy.cadre, "issues", "?mine=true"))
    row = next(r for r in ws.iter_rows(min_row=3) if "HYPERLINK" in str(r[5].value))
    assert row[5].value == "'=HYPERLINK(\"http://x\")" and row[5].data_type == "s"
    assert row[6].value == "'+1-2" and row[8].value == "'@王"
    assert not any(str(v).startswith(("=", "+", "@")) for r in rows for v in r)


def test_the_visit_ledger_follows_the_diary(busy, client):
    ws, rows = sheet(export(client, busy.cadre, "visits", data={"team": busy.team_a.pk}))
    assert [c.value for c in ws[2]][:4] == ["日期", "类型", "镇街", "村（社区）"]
    data = list(ws.iter_rows(min_row=3, values_only=True))
    assert len(data) == 1
    assert data[0][0].date() == busy.visit_a.date and data[0][6] == "王秀英（西区社区建设路12号）"
    busy.visit_a.refresh_from_db()
    assert data[0][7] == "王阿姨反映巷口路灯不亮。" and data[0][8] == ("是" if busy.visit_a.needs_follow_up else "否")
    # Another team's visits are not the cadre's to export.
    ws, _rows = sheet(export(client, busy.cadre, "visits", data={"team": busy.team_c.pk}))
    assert ws.max_row <= 2 or not list(ws.iter_rows(min_row=3, values_only=True))


def test_the_monthly_attendance_sheet(busy, client):
    from teams import services as team_services

    team_services.check_in(user=busy.cadre, team=busy.team_a)
    ws, rows = sheet(export(client, busy.leader, "attendance", data={"team": busy.team_a.pk, "month": "2026-11"}))
    headers = [c.value for c in ws[2]]
    assert headers[:5] == ["镇街", "村（社区）", "驻点团队", "姓名", "角色"]
    assert "11-24" in headers and headers[-5:] == ["应到", "实到", "请假", "缺席", "出勤率"]
    by_name = {row[3]: row for row in ws.iter_rows(min_row=3, values_only=True)}
    assert set(by_name) == {"陈建华", "李丽芳", "黄志明"}  # the volunteer is not counted
    cadre = by_name["李丽芳"]
    assert cadre[headers.index("11-24")] == "√" and cadre[-5:] == (1, 1, 0, 0, 1)
    leader = by_name["陈建华"]
    assert leader[headers.index("11-24")] == "○" and leader[-5:-1] == (1, 0, 0, 1) and leader[-1] == 0


def test_a_dashboards_figures(busy, client):
    from reports import services

    services.refresh_in_process(busy.county)
    ws, rows = sheet(export(client, busy.org_department, "dashboard",
                            data={"unit": "county", "id": busy.county.pk, "period": "month:2026-11"}))
    names = [row[0] for row in ws.iter_rows(min_row=3, values_only=True)]
    assert names[0] == "博罗县（合计）" and {"罗阳街道", "龙溪街道", "信访局"} <= set(names)
    assert [c.value for c in ws[2]][1:4] == ["出勤率 · 分子", "出勤率 · 分母", "出勤率"]


def test_an_export_outside_the_users_scope_or_with_bad_filters_is_refused(busy, client):
    client.force_login(busy.cadre)
    response = client.post("/reports/exports/dashboard/", {"unit": "county", "id": busy.county.pk})
    assert response.status_code == 302
    response = client.post("/reports/exports/issues/?received_after=yesterday")
    assert response.status_code == 302
    assert client.post("/reports/exports/nothing/").status_code == 404
