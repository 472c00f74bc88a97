"""In a browser: an administrator imports a roster (花名册) with two bad rows, reads the report,
fixes the file and imports it; the export buttons carry the page's filters. Screenshots on a
phone and a desktop go to the test artifacts (and /work/notes/shots/excel when it exists)."""

import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from conftest import browser_login
from teams.models import Membership, User

SHOTS = Path("/work/notes/shots/excel")
HEADER = ["姓名", "手机号码", "镇街", "村（社区）", "角色", "任职开始日期"]


def roster(rows, path):
    book = Workbook()
    book.active.append(HEADER)
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def shot(page, screenshot_dir, name):
    page.screenshot(path=screenshot_dir / name, full_page=True)
    if SHOTS.is_dir():
        page.screenshot(path=SHOTS / name, full_page=True)


@pytest.mark.browser
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_an_administrator_fixes_a_roster_with_two_bad_rows_and_imports_it(tworld, request, device, tmp_path,
                                                                          screenshot_dir):
    page = request.getfixturevalue(f"{device}_page")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    good = [["赵敏", "13700000001", "罗阳街道", "西区社区", "律师", "2026-01-05"],
            ["钱进", "13700000002", "罗阳街道", "东区社区", "组长", "2026-01-05"]]
    bad = [["孙悦", "1370000000", "罗阳街道", "西区社区", "法官", "2026-01-05"],  # a phone one digit short
           ["周全", "13700000004", "罗阳街道", "北区社区", "队长", "2026-01-05"]]  # no such village, no such role
    browser_login(page, "admin")
    page.goto(page.base_url + "/")
    page.click("text=Excel 导入")
    page.wait_for_url("**/reports/imports/")
    shot(page, screenshot_dir, f"imports-{device}.png")
    section = page.locator("[data-kind=roster]")
    with page.expect_download() as download:
        section.locator("text=下载模板").click()
    template = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert [c.value for c in template[2]] == ["姓名*", "手机号码*", "镇街*", "村（社区）*", "角色*", "任职开始日期"]

    section.locator("input[type=file]").set_input_files(roster(good + bad, tmp_path / "花名册.xlsx"))
    section.locator("button[type=submit]").click()
    report = page.locator(".import-problems")
    report.wait_for()
    text = report.inner_text()
    assert "有 2 行存在问题，未导入任何数据" in text
    assert "请填写 11 位手机号码" in text and "北区社区" in text and "没有“队长”这个角色" in text
    rows = [r.inner_text().split("\t") for r in report.locator("tbody tr").all()]
    assert [(r[0], r[1]) for r in rows] == [("4", "手机号码"), ("5", "村（社区）"), ("5", "角色")]
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    shot(page, screenshot_dir, f"import-report-{device}.png")
    assert not User.objects.filter(phone__startswith="137").exists()

    fixed = [["孙悦", "13700000003", "罗阳街道", "西区社区", "法官", "2026-01-05"],
             ["周全", "13700000004", "罗阳街道", "东区社区", "律师", "2026-01-05"]]
    page.goto(page.base_url + "/reports/imports/")
    section = page.locator("[data-kind=roster]")
    section.locator("input[type=file]").set_input_files(roster(good + fixed, tmp_path / "花名册（改）.xlsx"))
    section.locator("button[type=submit]").click()
    done = page.locator(".import-done")
    done.wait_for()
    assert "新增 4 条" in done.inner_text()
    shot(page, screenshot_dir, f"import-done-{device}.png")
    assert Membership.objects.filter(user__phone__startswith="137").count() == 4
    assert not errors, errors


@pytest.mark.browser
def test_the_ledgers_export_button_carries_its_filters(tworld, desktop_page, screenshot_dir):
    from issues import services
    from issues.models import Category

    category, _created = Category.objects.get_or_create(
        code="livelihood", defaults={"name": "民生文化", "group": Category.Group.COMMITTEE})
    for village, title in ((tworld.village_a, "路灯不亮"), (tworld.village_c, "村道破损")):
        services.register(by=tworld.admin, village=village, category=category, title=title, description="请处理",
                          source="reception", reporter_name="王秀英", reporter_phone="13912345678")
    page = desktop_page
    browser_login(page, "admin")
    page.goto(page.base_url + f"/issues/?town={tworld.town2.pk}")
    shot(page, screenshot_dir, "ledger-export-desktop.png")
    with page.expect_download() as download:
        page.click("text=导出 Excel")
    ws = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert [row[5] for row in ws.iter_rows(min_row=3, values_only=True)] == ["村道破损"]
    assert download.value.suggested_filename == "问题台账.xlsx"


@pytest.mark.browser
def test_the_export_buttons_and_a_jobs_page_on_a_phone(tworld, phone_page, screenshot_dir, settings, tmp_path):
    from reports.excel import exports

    settings.MEDIA_ROOT = tmp_path
    page = phone_page
    browser_login(page, "admin")
    page.goto(page.base_url + f"/reports/team/{tworld.team_a.pk}/")
    buttons = page.locator(".export-button")
    assert [b.inner_text() for b in buttons.all()] == ["导出数据 Excel", "导出当月考勤表"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, screenshot_dir, "dashboard-team-export-phone.png")
    page.goto(page.base_url + "/visits/diary/")
    assert page.locator(".export-button").count() == 1
    job = exports.start(user=User.objects.get(username="admin"), kind="issues", data={}, small_now=True)
    page.goto(page.base_url + f"/reports/exports/{job.pk}/")
    assert "下载文件" in page.inner_text(".export-job")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, screenshot_dir, "export-job-phone.png")
    # A job still waiting for a worker says so, and offers no file to download yet.
    waiting = exports.start(user=User.objects.get(username="admin"), kind="issues", data={})
    page.goto(page.base_url + f"/reports/exports/{waiting.pk}/")
    assert page.locator(".export-waiting").is_visible()
    assert "等待处理程序" in page.inner_text(".export-job")
    assert not page.locator(".export-download").is_visible()
