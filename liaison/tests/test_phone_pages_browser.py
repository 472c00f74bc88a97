"""Every page issue 14 changed, on a 390×844 phone, with a pasted 300-character link in the texts
that show it (description, result, 回音, visit notes, attendance note): nothing may run off the
screen. Screenshots for a person to look at go to test-artifacts/ux-phone-*.png."""

import pytest
from django.utils import timezone

from conftest import browser_login
from issues import public, services
from issues.tests.conftest import forget_public_counters
from teams import attendance as team_attendance
from teams import services as team_services
from teams.models import HalfDay, LiaisonDay

pytestmark = pytest.mark.browser

LONG_LINK = "https://mp.weixin.qq.com/s?__biz=" + "MzA3NjE2NTQwNQ" * 20 + "&mid=2650"


@pytest.fixture
def long_texts(tbusy_world):
    """tbusy_world, with long unbroken text wherever a cadre may paste it, and today's liaison day."""
    forget_public_counters()
    w = tbusy_world
    today = timezone.localdate()
    w.today = LiaisonDay.objects.filter(team=w.team_a, date=today).first() or LiaisonDay.objects.create(
        team=w.team_a, scheduled_date=today, date=today, half_day=HalfDay.MORNING, place="西区社区党群服务中心"
    )
    team_services.sync_attendance(team_ids=[w.team_a.pk], start=today, end=today)
    team_attendance.check_in(user=w.cadre, team=w.team_a)
    team_attendance.ask_leave(user=w.lawyer, liaison_day=w.today, reason="出庭" + LONG_LINK[:150])
    w.long = services.register(
        by=w.cadre, village=w.village_a, category=w.issue_a.category, title="群众转发的链接" + LONG_LINK[:40],
        description="群众转来的链接：" + LONG_LINK, source="reception", reporter_name="王秀英",
        reporter_phone="13912345678",
    )
    services.resolve(issue=w.long, by=w.cadre, result="已答复，详见" + LONG_LINK)
    services.record_feedback(issue=w.long, by=w.cadre, note="已上门告知，附链接" + LONG_LINK)
    return w


def visit(page, path, name, screenshot_dir, then=None):
    response = page.goto(page.base_url + path)
    assert response.status == (404 if name.startswith("404") else 200), (path, response.status)
    if then is not None:
        then(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=screenshot_dir / f"ux-phone-{name}.png", full_page=True)
    assert width <= 390, f"{path} is {width} px wide on a 390 px phone"


def open_every_action(page):
    for summary in page.locator("details.action summary").all():
        summary.click()


def test_every_changed_page_fits_a_phone(long_texts, phone_page, browser, screenshot_dir):
    w, page = long_texts, phone_page
    status = "/public/status/" + public.status_token(w.long.code) + "/"
    for path, name in (
        (status, "status-long-text"), ("/public/statistics/", "statistics"),
        (f"/public/villages/{w.village_a.pk}/", "village"), (f"/public/villages/{w.village_a.pk}/card/", "card"),
        ("/public/villages/999999/", "404-resident"), ("/accounts/login/", "login"),
    ):
        visit(page, path, name, screenshot_dir)

    browser_login(page, "leader")
    for path, name in (
        ("/", "home-leader"), ("/issues/", "ledger"), (f"/issues/{w.long.code}/", "detail-long-text"),
        (f"/issues/{w.issue_a.code}/", "detail-forms"), (f"/issues/{w.long.code}/receipt/", "receipt"),
        (f"/days/{w.today.pk}/", "sheet"), (f"/teams/{w.team_a.pk}/", "team"),
        (f"/visits/{w.visit_a.pk}/", "visit"),
    ):
        visit(page, path, name, screenshot_dir, then=open_every_action if name == "detail-forms" else None)
    page.goto(page.base_url + f"/days/{w.today.pk}/")
    page.click("[data-all-present]")
    rows = page.locator("fieldset.sheet-row").count()
    assert rows == 3 and page.locator("input[type=radio][value=present]:checked").count() == rows

    for username, pages in (
        ("town", (("/", "home-town"), ("/issues/town/", "town-queue"), ("/issues/town/escalated/", "town-escalated"))),
        ("dept", (("/", "home-department"), ("/issues/department/", "department-queue"))),
        ("orgdept", (("/", "home-orgdept"),)),
        ("admin", (("/admin/", "admin-index"), ("/admin/teams/holiday/add/", "admin-holiday-range"),
                   ("/admin/issues/issue/", "admin-issues"))),
    ):
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=2)
        other = context.new_page()
        other.base_url = page.base_url
        try:
            browser_login(other, username)
            for path, name in pages:
                if name.startswith("admin"):
                    # The admin is Django's own layout: looked at on the phone, not held to its width.
                    other.goto(other.base_url + path)
                    other.screenshot(path=screenshot_dir / f"ux-phone-{name}.png", full_page=True)
                else:
                    visit(other, path, name, screenshot_dir)
        finally:
            context.close()
