"""Excel exports: what an officer files. Each file is read back twice, by openpyxl and by an
independent reader (calamine), and compared with the ledger; its content follows the page's
filters and the user's scope, personal data masked for those who may not see it."""

import io
import math
import re
import unicodedata
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter
from python_calamine import CalamineWorkbook

from issues import services as issue_services
from issues.models import Issue
from liaison.tests.conftest import populate
from reports.excel import exports
from reports.models import ExportJob
from reports.oversight import assessments

from .assessment_world import Q3, build_quarter

XLSX = exports.XLSX


@pytest.fixture
def busy(world, liaison_tuesday, settings, tmp_path):
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
    # The code as the receipt the resident holds writes it, under the name every page gives it.
    assert headers[:6] == ["查询码", "受理时间", "镇街", "村（社区）", "类别", "标题"]
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == f"A2:T{2 + Issue.objects.count()}"
    assert ws.print_title_rows == "$2:$2"
    assert ws.page_setup.orientation == "landscape"
    assert codes(ws) == set(Issue.objects.values_list("code", flat=True))
    row = next(r for r in ws.iter_rows(min_row=3) if r[0].value == busy.issue_done.display_code)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}", row[0].value)
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
    # Shown as written, kept as text (Excel's quote prefix): never evaluated, even once edited.
    assert row[5].value == "=HYPERLINK(\"http://x\")" and row[5].data_type == "s" and row[5].quotePrefix
    assert row[6].value == "+1-2" and row[6].quotePrefix and row[8].value == "@王" and row[8].quotePrefix
    assert row[6].data_type == row[8].data_type == "s"
    assert not row[2].quotePrefix  # plain text is written plain
    # The other reader reads the texts as they were written.
    assert ["=HYPERLINK(\"http://x\")", "+1-2"] in [r[5:7] for r in rows]


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



def test_the_visit_ledger_joins_every_cadre_and_household_in_the_order_they_were_added(busy, client):
    from visits import services as visit_services
    from visits.models import Household, Visit

    second = Household.objects.create(village=busy.village_a, head_name="李建国", address="西区社区建设路14号")
    visit = visit_services.log_visit(by=busy.cadre, kind="household", date=busy.visit_a.date, village=busy.village_a,
                                     cadres=[busy.leader, busy.cadre], households=[second, busy.home_a],
                                     notes="两户同访。")
    busy.leader.name = ""  # a cadre without a full name is named by the username, as on the pages
    busy.leader.save(update_fields=["name"])
    ws, rows = sheet(export(client, busy.cadre, "visits", data={"team": busy.team_a.pk}))
    data = {row[7]: row for row in ws.iter_rows(min_row=3, values_only=True)}
    cadres = [link.user for link in Visit.cadres.through.objects.filter(visit=visit).order_by("pk")]
    homes = [link.household for link in Visit.households.through.objects.filter(visit=visit).order_by("pk")]
    row = data["两户同访。"]
    assert row[5] == "、".join(user.name or user.username for user in cadres) and busy.leader.username in row[5]
    assert row[6] == "、".join(f"{home.head_name}（{home.address}）" for home in homes) and len(homes) == 2
    assert row[1] == "入户走访" and row[8] == "否"
    visit.refresh_from_db()
    local = visit.recorded_at.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    assert abs(row[10] - local) < timedelta(seconds=1)  # Shanghai's time, as Excel keeps it (to the millisecond)


def table(ws):
    """The table's rows: those under the autofilter (a total, a legend or a signature line follow)."""
    last = int(re.search(r"(\d+)$", ws.auto_filter.ref).group(1))
    return list(ws.iter_rows(min_row=3, max_row=last, values_only=True))


def test_the_attendance_sheet_names_its_team_and_counts_the_metrics_own_rows(busy, client):
    from reports.figures import metrics
    from teams.models import Attendance, HalfDay, LiaisonDay

    A = Attendance.Status
    # Team A's past liaison days of November, recorded; the volunteer, who helps but is not
    # required, was marked too; the lawyer's row of the 17th was never marked.
    recorded = {
        date(2026, 11, 10): {busy.leader: A.PRESENT, busy.cadre: A.ABSENT, busy.lawyer: A.PRESENT,
                             busy.volunteer: A.ABSENT},
        date(2026, 11, 17): {busy.leader: A.LEAVE, busy.cadre: A.PRESENT, busy.lawyer: A.PENDING},
    }
    for day, marks in recorded.items():
        liaison_day = LiaisonDay.objects.create(team=busy.team_a, scheduled_date=day, date=day,
                                                half_day=HalfDay.MORNING, place="西区社区党群服务中心")
        for member, status in marks.items():
            Attendance.objects.create(liaison_day=liaison_day, member=member, status=status,
                                      note="出差" if status == A.LEAVE else "")
    ws, rows = sheet(export(client, busy.leader, "attendance", data={"team": busy.team_a.pk, "month": "2026-11"}))
    assert ws["A1"].value == "罗阳街道西区社区驻点团队考勤表（2026年11月）"
    headers = [c.value for c in ws[2]]
    assert headers == ["姓名", "角色", "10日\n周二", "17日\n周二", "24日\n周二",
                       "应到", "实到", "请假", "缺席", "出勤率"]
    by_name = {row[0]: row for row in table(ws)}
    # The leader first, then the members by role.
    assert list(by_name) == ["陈建华", "李丽芳", "黄志明", "张小燕"]
    assert by_name["陈建华"][1:5] == ("组长", "√", "假", "○")
    # Counted as the attendance rate counts: members required on that date, days before today
    # (today's rows count from tomorrow), leave left out, a row never marked as absent.
    assert by_name["陈建华"][-5:] == (1, 1, 1, 0, 1)
    assert by_name["李丽芳"][-5:] == (2, 1, 0, 1, 0.5)
    assert by_name["黄志明"][3] == "○" and by_name["黄志明"][-5:] == (2, 1, 0, 1, 0.5)
    assert by_name["张小燕"][2] == "×" and by_name["张小燕"][-5:] == (0, 0, 0, 0, None)
    below = list(ws.iter_rows(min_row=3 + len(by_name), values_only=True))
    total = below[0]
    counted = metrics.attendance_rows(date(2026, 11, 1), date(2026, 11, 30), date(2026, 11, 24)).filter(
        liaison_day__team=busy.team_a)
    assert total[0] == "合计" and total[-5:-3] == (counted.count(), counted.filter(metrics.PRESENT).count())
    assert total[-5:] == (5, 3, 1, 2, 0.6)
    notes = [row[0] for row in below[1:]]
    assert any("出勤率 = 实到 ÷ 应到" in note for note in notes)
    assert notes[-1].startswith("驻点团队组长（签字）：")


def test_a_towns_attendance_sheet_names_the_town_and_each_team(busy, client):
    ws, rows = sheet(export(client, busy.town_office, "attendance", data={"town": busy.town1.pk, "month": "2026-11"}))
    assert ws["A1"].value == "罗阳街道考勤表（2026年11月）"
    assert [c.value for c in ws[2]][:3] == ["驻点团队", "姓名", "角色"]
    assert {row[0] for row in table(ws)} == {"西区社区驻点团队"}
    assert ws.print_title_cols is None or ws.print_title_cols == "$A:$C"
    assert list(ws.iter_rows(values_only=True))[-1][0].startswith("镇街驻点办负责人（签字）：")


def test_a_dashboards_figures(busy, client):
    from reports.figures import services

    services.refresh_in_process(busy.county)
    client.force_login(busy.org_department)
    response = client.post("/reports/exports/dashboard/",
                           {"unit": "county", "id": busy.county.pk, "period": "month:2026-11"})
    # The file and its sheet are named in Chinese, the period as the page writes it.
    assert "2026%E5%B9%B411%E6%9C%88" in response["Content-Disposition"]  # 2026年11月
    assert "month" not in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    ws, rows = sheet(content)
    assert load_workbook(io.BytesIO(content)).sheetnames == ["主要指标"]
    names = [row[0] for row in ws.iter_rows(min_row=3, values_only=True)]
    assert names[0] == "博罗县（合计）" and {"罗阳街道", "龙溪街道", "信访局"} <= set(names)
    headers = [c.value for c in ws[2]]
    assert headers[1:4] == ["出勤率 · 分子", "出勤率 · 分母", "出勤率"]
    # A department is measured on its timeliness alone: its attendance and visits stay blank, not 0.
    department = next(row for row in ws.iter_rows(min_row=3, values_only=True) if row[0] == "信访局")
    assert department[1:4] == (None, None, None) and department[headers.index("入户走访")] is None
    assert department[headers.index("及时率 · 分母")] is not None


def test_an_export_outside_the_users_scope_or_with_bad_filters_is_refused(busy, client):
    client.force_login(busy.cadre)
    response = client.post("/reports/exports/dashboard/", {"unit": "county", "id": busy.county.pk})
    assert response.status_code == 302
    response = client.post("/reports/exports/issues/?received_after=yesterday")
    assert response.status_code == 302
    assert client.post("/reports/exports/nothing/").status_code == 404


# An assessment round's results (考核结果), against the hand-computed third quarter.


@pytest.fixture
def q3(world, liaison_tuesday, settings, tmp_path):
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


# Printed as an officer prints it: A4 landscape at 8 pt or more, page numbers, wrapped text in
# rows tall enough, a wide sheet broken between columns with its first columns on every page.

A4_LANDSCAPE_WIDTH = 841.89
# A character of column width as LibreOffice prints it (measured on its PDF: 5.55 pt; Excel's
# 7 px are 5.25 pt, so what is fitted by this measure prints at least as large in Excel).
COLUMN_POINTS = 5.55
LINE = 14  # the least height of a line of 11-pt Chinese text, in points


def _lines(value, width):
    units = [sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in part)
             for part in str(value).split("\n")]
    return sum(max(1, math.ceil(u / (width - 1))) for u in units)


def printed_scale(ws):
    """The scale the sheet prints at, its pages checked to hold within A4 landscape's width."""
    widths = [ws.column_dimensions[get_column_letter(i)].width for i in range(1, ws.max_column + 1)]
    printable = A4_LANDSCAPE_WIDTH - 72 * (ws.page_margins.left + ws.page_margins.right)
    if ws.sheet_properties.pageSetUpPr.fitToPage:
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        # A whole percentage, rounded down, as LibreOffice and Excel fit a sheet.
        return min(100, math.floor(100 * printable / (sum(widths) * COLUMN_POINTS))) / 100
    scale = ws.page_setup.scale / 100
    keys = column_index_from_string(ws.print_title_cols.split(":")[1].strip("$"))
    breaks = [brk.id for brk in ws.col_breaks.brk]
    assert breaks and ws.page_setup.pageOrder == "overThenDown"
    for first, end in zip([0, *breaks], [*breaks, len(widths)], strict=True):
        page = sum(widths[first:end]) + (sum(widths[:keys]) if first else 0)
        assert page * COLUMN_POINTS * scale <= printable, (first, end)
    return scale


def assert_prints_well(content):
    """Returns (scale, the smallest type as printed, wide)."""
    ws = load_workbook(io.BytesIO(content)).worksheets[0]
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.print_title_rows == "$2:$2"
    footer = ws.oddFooter.right
    assert footer.text == "第 &P 页 / 共 &N 页"
    scale = printed_scale(ws)
    sizes = {cell.font.size for row in ws.iter_rows() for cell in row if cell.value is not None}
    smallest = min(sizes | {footer.size}) * scale
    assert smallest >= 8
    widths = {get_column_letter(i): ws.column_dimensions[get_column_letter(i)].width
              for i in range(1, ws.max_column + 1)}
    merged = {r.start_cell.coordinate: sum(widths[get_column_letter(c)] for c in range(r.min_col, r.max_col + 1))
              for r in ws.merged_cells.ranges}
    # Wrapped text (the headers, long text) in rows as tall as its lines.
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if cell.value and cell.alignment.wrap_text:
                width = merged.get(cell.coordinate, widths[cell.column_letter])
                need = _lines(cell.value, width)
                if need > 1:
                    assert (ws.row_dimensions[cell.row].height or 15) >= need * LINE, (cell.coordinate, cell.value)
    return scale, smallest, not ws.sheet_properties.pageSetUpPr.fitToPage


@pytest.mark.parametrize("kind, persona, data, wide", [
    ("issues", "admin", lambda w: {}, True),
    ("visits", "admin", lambda w: {}, False),
    ("attendance", "leader", lambda w: {"team": w.team_a.pk, "month": "2026-11"}, False),
    ("dashboard", "org_department", lambda w: {"unit": "county", "id": w.county.pk, "period": "month:2026-11"}, False),
])
def test_every_export_prints_on_a4_at_8_points_or_more(busy, client, kind, persona, data, wide):
    from reports.figures import services

    services.refresh_in_process(busy.county)
    # Long text, as residents' problems are written.
    Issue.objects.update(description="村民反映村道两旁的排水沟长期堵塞，雨天积水漫过路面，老人小孩出行不便，希望尽快疏通。")
    content = export(client, getattr(busy, persona), kind, data=data(busy))
    _scale, _smallest, printed_wide = assert_prints_well(content)
    assert printed_wide == wide
    if wide:
        ws = load_workbook(io.BytesIO(content)).worksheets[0]
        assert ws.print_title_cols == "$A:$A"  # the tracking code names each row on every page


def test_the_assessment_results_print_across_two_pages_with_each_units_name(q3, client):
    round_ = assessments.create_round(by=q3.org_department, county=q3.county, period=Q3)
    content = export(client, q3.org_department, "assessment", data={"round": round_.pk})
    _scale, _smallest, wide = assert_prints_well(content)
    ws = load_workbook(io.BytesIO(content)).worksheets[0]
    assert wide and ws.print_title_cols == "$A:$C"
    # A metric's five columns print on one page.
    headers = [c.value for c in ws[2]]
    assert all(headers[brk.id].endswith("分子") or headers[brk.id] == "督查扣分" for brk in ws.col_breaks.brk)
