"""The organization department's dashboard on a phone: the figures, a drawn chart, nothing
running off the screen, no script error; a tap on a rate opens the records behind it. The county's
and a department's issues overdue now, on a phone and a desktop."""

from datetime import datetime

import pytest
import time_machine

from conftest import browser_login
from issues.models import Category
from reports.figures import services

from .test_current_issues import call_in
from .test_metrics import SH, at, november  # noqa: F401  (the hand-counted November)


@pytest.fixture
def world(tworld):
    """November committed, for the browser's live server (after a committed test has emptied the
    tables, the ledger's categories too)."""
    Category.objects.get_or_create(code="livelihood", defaults={"name": "民生文化", "group": Category.Group.COMMITTEE})
    return tworld


@pytest.mark.browser
def test_the_county_dashboard_on_a_phone(world, november, phone_page, screenshot_dir):  # noqa: F811
    errors = []
    phone_page.on("console", lambda message: message.type == "error" and "favicon" not in message.location["url"]
                  and errors.append(message.text))
    phone_page.on("pageerror", lambda error: errors.append(str(error)))
    with time_machine.travel(at(25, 14), tick=True):
        browser_login(phone_page, "orgdept")
        phone_page.goto(phone_page.base_url + "/reports/")
        card = phone_page.locator("[data-card=attendance]")
        card.wait_for()
        assert "出勤率" in card.inner_text() and "80.0%" in card.inner_text() and "12/15" in card.inner_text()
        phone_page.locator(".chart canvas").first.wait_for()
        assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
        phone_page.screenshot(path=screenshot_dir / "dashboard-county-phone.png", full_page=True)
        phone_page.locator("#trend").screenshot(path=screenshot_dir / "dashboard-trend-phone.png")

        card.locator("a.rate").click()
        phone_page.wait_for_url("**/reports/county/*/attendance/**")
        rows = phone_page.locator("[data-record]")
        assert rows.count() == 3  # 15 counted, 12 present
        assert "缺勤或未登记" in phone_page.locator(".tabs").inner_text()
        assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
        phone_page.screenshot(path=screenshot_dir / "dashboard-records-phone.png", full_page=True)

        phone_page.goto(phone_page.base_url + f"/reports/team/{world.team_a.pk}/?period=month:2026-11")
        phone_page.locator("#sheets a").first.click()
        phone_page.wait_for_url("**/days/*/")
    assert not errors, errors


@pytest.mark.browser
def test_the_trend_draws_todays_month_apart_as_to_date(world, november, desktop_page, screenshot_dir):  # noqa: F811
    page = desktop_page
    with time_machine.travel(at(25, 14), tick=True):
        browser_login(page, "orgdept")
        page.goto(page.base_url + f"/reports/county/{world.county.pk}/?period=month:2026-11")
        page.locator("#trend .chart canvas").wait_for()
        option = page.evaluate("""() => {
            const o = echarts.getInstanceByDom(document.querySelector('#trend .chart')).getOption();
            return {series: o.series.map(s => ({id: s.id, name: s.name, data: s.data, type: s.lineStyle.type,
                                                 symbol: s.symbol})),
                    label: o.xAxis[0].axisLabel.formatter('2026年11月', 11)};
        }""")
        page.locator("#trend").screenshot(path=screenshot_dir / "dashboard-trend-desktop.png")
    done = [s for s in option["series"] if s["id"].startswith("done-")]
    to_date = [s for s in option["series"] if s["id"].startswith("to-date-")]
    assert len(done) == len(to_date) == 6
    for solid, dashed in zip(done, to_date, strict=True):
        # November, unfinished, is off the solid line and on a dashed stretch from October.
        assert solid["name"] == dashed["name"] and solid["type"] == "solid" and dashed["type"] == "dashed"
        assert solid["data"][11] is None and dashed["symbol"] == "emptyCircle"
        assert all(v is None for v in dashed["data"][:10])
    assert option["label"] == "2026年11月\n截至今日"


@pytest.mark.browser
def test_the_county_and_a_department_dashboard_say_what_is_overdue_now(
        world, november, phone_page, desktop_page, screenshot_dir):  # noqa: F811
    """2 December: issues received in November are overdue now, none was received in December.
    The figures of now agree with 重点提示, the ranking and the lists they open."""
    with time_machine.travel(datetime(2026, 11, 2, 10, tzinfo=SH), tick=False):
        for name in "AB":
            call_in(world, name, world.dept1)
    with time_machine.travel(datetime(2026, 12, 2, 14, tzinfo=SH), tick=True):
        services.refresh_in_process(world.county)
        for viewport, page in (("phone", phone_page), ("desktop", desktop_page)):
            browser_login(page, "orgdept")
            page.goto(page.base_url + f"/reports/county/{world.county.pk}/?period=month:2026-12")
            overdue = page.locator("#now [data-current=overdue] b")
            ranked = page.locator("#ranking [data-overdue-now]").all_inner_texts()
            # I3, I5, A and B of town 1, I4 of town 2.
            assert int(overdue.inner_text()) == page.locator("#highlights a.code").count() == 5 and ranked == ["4", "1"]
            assert "本期受理中已超期" in page.locator("#counts").inner_text()
            assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
            page.screenshot(path=screenshot_dir / f"dashboard-now-county-{viewport}.png", full_page=True)
            page.locator("#now [data-current=overdue]").click()
            page.wait_for_url("**/issues/?status=open&overdue=true")
            assert page.locator("[data-flag=overdue]").count() == 5

            page.context.clear_cookies()  # signed out
            browser_login(page, "dept")
            page.goto(page.base_url + f"/reports/department/{world.dept1.pk}/?period=month:2026-12")
            assert page.locator("#now [data-current=open] b").inner_text() == "2"
            assert page.locator("#highlights a.code").count() == int(overdue.inner_text()) == 2
            assert page.locator("#counts").count() == 0 and page.locator("[data-card]").count() == 1
            assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
            page.screenshot(path=screenshot_dir / f"dashboard-now-department-{viewport}.png", full_page=True)
            page.locator("#now [data-current=overdue]").click()
            page.wait_for_url("**/issues/department/?overdue=true")
            assert page.locator("[data-flag=overdue]").count() == 2
