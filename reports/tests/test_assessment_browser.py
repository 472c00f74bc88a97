"""In the browser, on a desktop: the organization department records an inspection, creates a
quarter round, publishes it and reads the ranking; the town office opens its breakdown. Then the
same pages on a phone, nothing running off the screen."""

import pytest
import time_machine

from conftest import NOW, browser_login
from issues.models import Category

from .assessment_world import build_quarter


@pytest.fixture
def q3(tworld):
    Category.objects.get_or_create(code="livelihood", defaults={"name": "民生文化", "group": Category.Group.COMMITTEE})
    with time_machine.travel(NOW, tick=False):
        return build_quarter(tworld)


def watch(page):
    errors = []
    page.on("console", lambda m: m.type == "error" and "favicon" not in m.location["url"] and errors.append(m.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    return errors


@pytest.mark.browser
def test_inspect_assess_publish_and_read_on_a_desktop(q3, desktop_page, screenshot_dir):
    page, w = desktop_page, q3
    errors = watch(page)
    with time_machine.travel(NOW, tick=True):
        browser_login(page, "orgdept")
        page.click('a.button:text-is("督查")')
        page.click('a.button:text-is("登记督查")')
        page.select_option("#team", str(w.team_a.pk))
        page.fill("#date", "2026-09-08")
        page.click("main form button[type=submit]")
        page.fill("#id_inspectors", "县委组织部督查组 邓志红")
        page.uncheck("#id_log_kept")
        page.locator("#id_absent_members").get_by_label("黄志明").check()
        page.fill("#id_findings", "律师黄志明无故缺勤，工作日志缺记。")
        page.fill("#id_deduction", "1")
        page.fill("#id_criticism", "黄志明同志驻点工作日无故缺勤，予以通报批评。")
        page.locator("#id_criticised").get_by_label("黄志明").check()
        page.screenshot(path=screenshot_dir / "inspection-form-desktop.png", full_page=True)
        page.click('button:text-is("登记督查")')
        page.wait_for_url("**/reports/inspections/*/")
        assert "督查已登记" in page.inner_text(".messages")
        assert "黄志明同志驻点工作日无故缺勤" in page.inner_text(".criticism")

        page.goto(page.base_url + "/")
        page.click('a.button:text-is("考核")')
        page.select_option("#id_period", "quarter:2026-Q3")
        page.click('button:text-is("计算考核草稿")')
        page.wait_for_url("**/reports/assessments/*/")
        assert "草稿" in page.inner_text("h1")
        page.click("#manage button.primary")  # publish, confirmed
        page.wait_for_selector(".messages li.success")
        assert "考核已发布" in page.inner_text(".messages")
        page.locator("[data-score-chart] canvas").wait_for()
        town1 = page.locator(f'#ranking tr[data-unit="town:{w.town1.pk}"]')
        # 75.00 from attendance alone, minus the two inspections' 1.5 and 1.
        assert town1.locator(".rank").inner_text() == "1" and town1.locator(".score").inner_text() == "72.50"
        assert "红榜：驻点团队" in page.inner_text("#red-black")
        page.screenshot(path=screenshot_dir / "assessment-round-desktop.png", full_page=True)

        page.context.clear_cookies()
        browser_login(page, "town")
        page.click('a.button:text-is("考核")')
        page.click("table.rounds a")
        page.click(f'#ranking tr[data-unit="town:{w.town1.pk}"] a')
        page.wait_for_url(f"**/town/{w.town1.pk}/")
        assert page.inner_text("[data-score]") == "72.50" and page.inner_text("[data-rank]") == "1"
        assert "−2.5" in page.inner_text("#why")
        assert "黄志明无故缺勤" in page.inner_text("#deductions")
        teams = page.locator("#teams tr[data-unit] .rank").all_inner_texts()
        assert teams == ["1", "2", "2", "4"]
        page.screenshot(path=screenshot_dir / "assessment-town-breakdown-desktop.png", full_page=True)
    assert not errors, errors


@pytest.mark.browser
def test_the_pages_on_a_phone(q3, phone_page, screenshot_dir):
    from reports.oversight import assessments

    page, w = phone_page, q3
    errors = watch(page)
    with time_machine.travel(NOW, tick=True):
        round_ = assessments.create_round(by=w.org_department, county=w.county, period="quarter:2026-Q3")
        assessments.publish(round_=round_, by=w.org_department)
        browser_login(page, "orgdept")
        for name, path in (("rounds", "/reports/assessments/"), ("round", f"/reports/assessments/{round_.pk}/"),
                           ("breakdown", f"/reports/assessments/{round_.pk}/team/{w.team_b.pk}/"),
                           ("inspections", "/reports/inspections/"),
                           ("inspection-form", f"/reports/inspections/new/?team={w.team_a.pk}&date=2026-09-08")):
            page.goto(page.base_url + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
            page.screenshot(path=screenshot_dir / f"assessment-{name}-phone.png", full_page=True)
        page.goto(page.base_url + f"/reports/assessments/{round_.pk}/print/")
        page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
        page.emulate_media(media="print")
        page.screenshot(path=screenshot_dir / "assessment-print.png", full_page=True)
        page.pdf(path=str(screenshot_dir / "assessment-print.pdf"), format="A4")
        page.context.clear_cookies()
        browser_login(page, "cadre")
        page.goto(page.base_url + "/")
        assert "驻点工作日志缺记" in page.inner_text("#my-criticisms")
        page.screenshot(path=screenshot_dir / "criticism-home-phone.png", full_page=True)
    assert not errors, errors


@pytest.mark.browser
def test_withdraw_correct_and_publish_again_on_a_phone(q3, phone_page, screenshot_dir):
    """The administrator withdraws a published round with its reason; the organization department
    corrects the inspection it used and publishes it again. The round's record keeps all three,
    and a round with a record offers no deletion."""
    from reports.oversight import assessments

    page, w = phone_page, q3
    errors = watch(page)
    with time_machine.travel(NOW, tick=True):
        round_ = assessments.create_round(by=w.org_department, county=w.county, period="quarter:2026-Q3")
        assessments.publish(round_=round_, by=w.org_department)
        browser_login(page, "admin")
        page.goto(page.base_url + f"/reports/assessments/{round_.pk}/")
        page.fill("#id_reason", "西区社区督查扣分录入有误，重新核算")
        page.click('button:text-is("撤回发布")')
        page.wait_for_selector(".messages li.success")
        page.context.clear_cookies()
        browser_login(page, "orgdept")
        page.goto(page.base_url + f"/reports/assessments/{round_.pk}/")
        assert "草稿" in page.inner_text("h1") and "删除草稿" not in page.inner_text("#manage")
        page.screenshot(path=screenshot_dir / "assessment-withdrawn-phone.png", full_page=True)
        page.goto(page.base_url + f"/reports/inspections/{w.inspection.pk}/edit/")
        page.fill("#id_deduction", "3")
        page.click("main form button[type=submit]")
        page.wait_for_url(f"**/reports/inspections/{w.inspection.pk}/")
        page.goto(page.base_url + f"/reports/assessments/{round_.pk}/")
        page.click("#manage button.primary")  # publish, confirmed
        page.wait_for_selector(".messages li.success")
        record = page.locator("#manage ul.events li").all_inner_texts()
        assert [line.split(" · ")[1:] for line in record] == [
            ["已发布", "邓志红"], ["已撤回", "系统管理员", "西区社区督查扣分录入有误，重新核算"], ["已发布", "邓志红"]]
        town1 = page.locator(f'#ranking tr[data-unit="town:{w.town1.pk}"]')
        assert town1.locator(".score").inner_text() == "72.00"  # 75.00 − 3
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=screenshot_dir / "assessment-published-again-phone.png", full_page=True)
    assert not errors, errors
