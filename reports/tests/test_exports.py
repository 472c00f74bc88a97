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
from reports import assessments, exports
from reports.models import ExportJob

from .assessment_world import Q3, build_quarter

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


# An assessment round's results (考核结果), against the hand-computed third quarter.


@pytest.fixture
def q3(world, now, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return build_quarter(world)


def results_by_unit(ws):
    return {(row[1], row[2]): row for row in ws.iter_rows(min_row=3, values_only=True)}


def test_an_assessment_rounds_results_with_each_units_breakdown(q3, client):
    round_ = assessments.create_round(by=q3.org_department, county=q3.county, period=Q3)
    content = export(client, q3.org_department, "assessment", data={"round": round_.pk})
    ws, rows = sheet(content)
    assert ws["A1"].value == "博罗县驻点联系群众工作考核（2026年第3季度）（草稿）"
    assessments.update_round(round_=round_, by=q3.org_department, title="驻点工作季度考核")
    ws, rows = sheet(export(client, q3.org_department, "assessment", data={"round": round_.pk}))
    assert ws["A1"].value == "驻点工作季度考核（博罗县，2026年第3季度，草稿）"
    headers = [c.value for c in ws[2]]
    assert headers[:9] == ["全县名次", "单位类型", "单位", "镇街", "出勤率 · 分子", "出勤率 · 分母", "出勤率",
                           "出勤率 · 权重", "出勤率 · 得分"]
    assert headers[-2:] == ["督查扣分", "总分"] and len(headers) == 4 + 5 * 5 + 2
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref == f"A2:AE{2 + 7}"
    # Towns ranked first, then the county's teams ranked across the county; the unscored last.
    order = [(row[1], row[2]) for row in ws.iter_rows(min_row=3, values_only=True)]
    assert order[:2] == [("镇街", "罗阳街道"), ("镇街", "龙溪街道")]
    assert order[2][1] == q3.team_d.name and {order[3][1], order[4][1]} == {q3.team_b.name, q3.team_e.name}
    assert order[5:] == [("驻点团队", q3.team_a.name), ("驻点团队", q3.team_c.name)]
    by_unit = results_by_unit(ws)
    team_a = by_unit[("驻点团队", q3.team_a.name)]
    assert team_a[0] == 4 and team_a[3] == "罗阳街道"
    assert team_a[4:9] == (9, 10, 0.9, 25, 22.5) and ws.cell(row=8, column=7).number_format == "0.0%"
    assert team_a[-2:] == (1.5, 69.75)
    # Satisfaction had nothing to count for team B: no rate, no points, its weight shared out: the
    # weights are those applied, 25 × 100 ÷ 85.
    team_b = by_unit[("驻点团队", q3.team_b.name)]
    assert team_b[4:9] == (9, 10, 0.9, 29.41, 26.47) and team_b[19:24] == (0, 0, None, None, None)
    assert team_b[0] == 2 and team_b[-1] == 70.58
    town2 = by_unit[("镇街", "龙溪街道")]
    assert town2[0] is None and town2[-1] is None
    # The independent reader sees the same cells.
    assert rows[0][0] == ws["A1"].value and rows[1] == headers
    assert [r[2] for r in rows[2:]] == [name for _level, name in order]
    assert rows[7][-1] == 69.75 and rows[7][6] == 0.9


def test_a_town_office_exports_its_own_towns_results_of_a_published_round_only(q3, client):
    round_ = assessments.create_round(by=q3.org_department, county=q3.county, period=Q3)
    client.force_login(q3.town_office)
    # A draft is the organization department's alone.
    assert client.post("/reports/exports/assessment/", {"round": round_.pk}).status_code == 404
    round_ = assessments.publish(round_=round_, by=q3.org_department)
    ws, rows = sheet(export(client, q3.town_office, "assessment", data={"round": round_.pk}))
    assert "草稿" not in ws["A1"].value
    assert set(results_by_unit(ws)) == {("镇街", "罗阳街道")} | {
        ("驻点团队", t.name) for t in (q3.team_a, q3.team_b, q3.team_d, q3.team_e)}
    assert len(rows) == 2 + 5


@pytest.mark.parametrize("persona", ["cadre", "leader", "department"])
def test_an_assessment_round_is_not_found_by_those_who_do_not_see_it(q3, client, api_as, persona):
    round_ = assessments.publish(round_=assessments.create_round(by=q3.org_department, county=q3.county,
                                                                 period=Q3), by=q3.org_department)
    user = getattr(q3, persona)
    client.force_login(user)
    assert client.post("/reports/exports/assessment/", {"round": round_.pk}).status_code == 404
    response = api_as(user).post("/api/v1/exports/", {"kind": "assessment", "round": round_.pk}, format="json")
    assert response.status_code == 404
    assert ExportJob.objects.count() == 0


def test_the_api_exports_a_round_and_the_round_page_offers_the_button(q3, client, api_as):
    round_ = assessments.create_round(by=q3.org_department, county=q3.county, period=Q3)
    api = api_as(q3.org_department)
    response = api.post("/api/v1/exports/", {"kind": "assessment"}, format="json")
    assert response.status_code == 400 and response.json() == {"round": ["请选择要导出的考核轮次。"]}
    response = api.post("/api/v1/exports/", {"kind": "assessment", "round": round_.pk}, format="json")
    assert response.status_code == 201 and (response.json()["status"], response.json()["rows"]) == ("done", 7)
    content = b"".join(api.get(response.json()["download"]).streaming_content)
    ws, rows = sheet(content)
    assert ws["A1"].value.startswith(round_.title) and len(rows) == 2 + 7
    client.force_login(q3.org_department)
    page = client.get(f"/reports/assessments/{round_.pk}/").content.decode()
    assert 'action="/reports/exports/assessment/"' in page and f'name="round" value="{round_.pk}"' in page
    assert "导出考核结果 Excel" in page


@pytest.mark.browser
def test_the_organization_department_downloads_a_rounds_results_from_its_page_on_a_phone(q3, phone_page, browser):
    from conftest import browser_login

    round_ = assessments.create_round(by=q3.org_department, county=q3.county, period=Q3)
    browser_login(phone_page, "orgdept")
    phone_page.goto(f"{phone_page.base_url}/reports/assessments/{round_.pk}/")
    button = phone_page.get_by_role("button", name="导出考核结果 Excel")
    assert button.is_visible() and phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    phone_page.screenshot(path="/work/notes/shots/asx/round-phone.png")
    with phone_page.expect_download() as download:
        button.click()
    ws, rows = sheet(download.value.path().read_bytes())
    assert ws["A1"].value.startswith(round_.title) and len(rows) == 2 + 7
    desktop = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = desktop.new_page()
    page.base_url = phone_page.base_url
    browser_login(page, "orgdept")
    page.goto(f"{page.base_url}/reports/assessments/{round_.pk}/")
    page.screenshot(path="/work/notes/shots/asx/round-desktop.png")
    desktop.close()
