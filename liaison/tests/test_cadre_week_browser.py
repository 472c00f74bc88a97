"""A cadre's week on a 390×844 phone, as issue 14 asked: signs in from the residents' page, checks
in on the liaison day, logs a household visit, registers an issue from it with the visit's notes
carried over, hands the resident a receipt whose QR code opens the issue's status; the issue is
resolved, and the resident opens the QR's link on their own phone, rates, reloads and goes back."""

import re

import pytest
from django.utils import timezone

from conftest import PASSWORD
from issues import public_views
from issues.models import Category, Issue
from issues.tests.conftest import forget_public_counters
from teams import services as team_services
from teams.models import Attendance, HalfDay, LiaisonDay
from visits.models import Household

pytestmark = pytest.mark.browser

NOTES = "王秀英反映西区三巷路灯坏了两周，晚上老人出行不便，希望尽快修复。"


@pytest.fixture
def liaison_day_today(tworld):
    forget_public_counters()
    today = timezone.localdate()
    LiaisonDay.objects.create(team=tworld.team_a, scheduled_date=today, date=today, half_day=HalfDay.MORNING,
                              place="西区社区党群服务中心")
    team_services.sync_attendance(team_ids=[tworld.team_a.pk], start=today, end=today)
    Household.objects.create(village=tworld.village_a, head_name="王秀英", address="西区社区建设路12号",
                             phone="13912345678")
    Category.objects.get_or_create(code="livelihood", defaults={"name": "民生文化", "group": Category.Group.COMMITTEE})
    return tworld


def fits_the_phone(page):
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_cadres_week_ends_with_the_resident_rating_from_the_receipts_qr_code(
    liaison_day_today, browser, phone_page, screenshot_dir
):
    w, page = liaison_day_today, phone_page
    shot = lambda name: page.screenshot(path=screenshot_dir / f"ux-week-{name}.png", full_page=True)  # noqa: E731

    # Monday morning: the site's address leads to the residents' page, which has a way in for staff.
    page.goto(page.base_url + "/")
    assert page.url.endswith("/public/")
    shot("1-public")
    page.click("text=工作人员登录")
    page.fill("#id_username", "cadre")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-queue=team]")
    assert fits_the_phone(page)
    shot("2-home")

    # The liaison day: one tap, and the time is kept.
    page.click("text=驻点日签到")
    page.click("[data-check-in]")
    page.wait_for_selector(".messages .success")
    row = Attendance.objects.get(member=w.cadre)
    assert row.status == Attendance.Status.PRESENT and row.checked_in_at is not None

    # A household visit, with what the resident said.
    page.goto(f"{page.base_url}/visits/new/?village={w.village_a.pk}")
    page.fill("#find-text", "王秀英")
    page.check("#found input[type=checkbox]")
    page.fill("textarea[name=notes]", NOTES)
    page.click("button[name=save]")
    page.wait_for_selector(".messages .success")

    # The issue from the visit starts from the visit's notes.
    page.click("text=据此走访登记诉求")
    description = page.locator("#id_description")
    assert description.input_value() == NOTES
    assert page.locator("#id_reporter_name").input_value() == "王秀英"
    assert fits_the_phone(page)
    shot("3-register-from-visit")
    page.select_option("#id_category", label="民生文化")
    page.fill("#id_title", "三巷路灯不亮")
    page.click("button:has-text('登记并打印回执')")

    # The receipt: a QR code made on the server, and its link beside it.
    page.wait_for_selector(".receipt-qr svg")
    issue = Issue.objects.get()
    assert issue.description == NOTES and issue.visit is not None
    link = page.locator(".status-link").get_attribute("href")
    assert link.startswith(page.base_url + "/public/status/")
    qr = page.locator(".receipt-qr svg").evaluate("svg => svg.outerHTML")
    assert _path(qr) == _path(str(public_views.qr_svg(link))), "the QR code encodes the link beside it"
    assert fits_the_phone(page)
    shot("4-receipt")

    # Later that week the team resolves it, in words residents may read.
    page.goto(f"{page.base_url}/issues/{issue.code}/")
    page.click("summary:has-text('标记为已解决')")
    resolve = page.locator("[data-action=resolve]")
    assert "群众可见" in resolve.inner_text() and "请勿填写群众的姓名、电话" in resolve.inner_text()
    resolve.locator("textarea").fill("已更换三巷路灯两盏，恢复照明。")
    resolve.locator("button[type=submit]").click()
    page.wait_for_selector(".messages .success")

    # The resident, on a phone of their own, scans the receipt.
    resident = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=2)
    phone = resident.new_page()
    try:
        phone.goto(page.base_url + "/public/")
        phone.goto(link)
        assert "已更换三巷路灯两盏" in phone.inner_text("main")
        assert "王秀英" not in phone.content() and "13912345678" not in phone.content()
        phone.screenshot(path=screenshot_dir / "ux-week-5-resident-status.png", full_page=True)
        phone.check("input[value='satisfied']")
        phone.click("button:has-text('提交评价')")
        phone.wait_for_selector(".messages .success")
        assert "感谢您的评价" in phone.inner_text(".messages")
        assert phone.url == link, "after rating the resident is back on the bookmarkable page"
        phone.screenshot(path=screenshot_dir / "ux-week-6-resident-rated.png", full_page=True)
        phone.reload()
        assert "您的评价" in phone.inner_text("main") and phone.locator("input[name=satisfaction]").count() == 0
        phone.go_back()
        assert "办理进度" in phone.inner_text("main")
        assert fits_the_phone(phone)
    finally:
        resident.close()
    issue.refresh_from_db()
    assert issue.satisfaction == Issue.Satisfaction.SATISFIED


def _path(svg):
    """The QR code's modules: the drawing, whatever the markup around it."""
    return re.search(r' d="([^"]+)"', svg).group(1)
