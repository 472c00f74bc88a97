"""On a 390×844 phone: a cadre registers an issue from a visit and escalates it; the town
office calls in a county department; the department resolves it; the first responder sees
the notification and the whole timeline."""

import struct
import zlib
from datetime import date

import pytest

from conftest import browser_login
from issues.models import Category, Issue
from visits.models import Household, Visit


@pytest.fixture
def visit_needing_follow_up(tworld):
    Category.objects.get_or_create(code="planning", defaults={"name": "城建规划", "group": "committee"})
    household = Household.objects.create(
        village=tworld.village_a, head_name="王秀英", address="西区社区建设路12号", phone="13912345678"
    )
    visit = Visit.objects.create(
        kind=Visit.Kind.HOUSEHOLD, date=date.today(), village=tworld.village_a, team=tworld.team_a,
        notes="王阿姨反映巷口路灯不亮。", needs_follow_up=True, recorded_by=tworld.cadre,
    )
    visit.cadres.set([tworld.cadre])
    visit.households.set([household])
    return visit


def tiny_png():
    """A 4×4 grey PNG, so that the browser really decodes the photo it is served."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * 4 for _ in range(4))
    header = struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def switch_user(page, username):
    page.context.clear_cookies()
    browser_login(page, username)


def act(page, action, **fields):
    box = page.locator(f"details[data-action='{action}']")
    box.locator("summary").click()
    for name, value in fields.items():
        if name == "department":
            box.locator(f"select[name='{name}']").select_option(label=value)
        else:
            box.locator(f"[name='{name}']").fill(value)
    box.locator("button[type=submit]").click()
    page.locator(".messages li.success").wait_for()


@pytest.mark.browser
def test_from_visit_to_county_department_and_back(
    tworld, visit_needing_follow_up, phone_page, screenshot_dir, settings, tmp_path,
):
    settings.MEDIA_ROOT = tmp_path
    page = phone_page
    browser_login(page, "cadre")
    page.goto(f"{page.base_url}/issues/new/?visit={visit_needing_follow_up.pk}")
    assert page.input_value("#id_reporter_name") == "王秀英"
    assert page.input_value("#id_source") == "visit"
    page.select_option("#id_category", label="城建规划")
    page.fill("#id_title", "巷口路灯不亮")
    page.fill("#id_description", "建设路三巷路灯坏了两周，老人晚上出行不便。")
    page.set_input_files("#id_photos", files=[{"name": "路灯.png", "mimeType": "image/png", "buffer": tiny_png()}])
    page.screenshot(path=screenshot_dir / "issues-register-phone.png", full_page=True)
    page.click("button:has-text('登记并打印回执')")
    code = page.locator(".tracking-code").get_attribute("data-code")
    page.screenshot(path=screenshot_dir / "issues-receipt-phone.png", full_page=True)
    issue = Issue.objects.get(code=code)
    visit_needing_follow_up.refresh_from_db()
    assert visit_needing_follow_up.needs_follow_up is False

    page.goto(f"{page.base_url}/issues/{code}/")
    page.wait_for_function("() => document.querySelector('img.photo')?.naturalWidth === 4", timeout=5000)
    page.click("details[data-action='escalate'] summary")
    assert "上报理由（群众可见）" in page.locator("details[data-action='escalate']").inner_text()
    page.screenshot(path=screenshot_dir / "issues-escalate-phone.png", full_page=True)
    page.click("details[data-action='escalate'] summary")
    act(page, "escalate", reason="涉及市政照明线路改造，村里无法解决", internal_note="村委会已垫付部分费用")

    switch_user(page, "town")
    page.goto(f"{page.base_url}/issues/town/")
    page.click(f"li[data-code='{code}'] a")
    page.click("details[data-action='escalate'] summary")
    page.screenshot(path=screenshot_dir / "issues-town-escalate-phone.png", full_page=True)
    page.click("details[data-action='escalate'] summary")
    act(page, "escalate", reason="吹哨报到：请信访局协调供电部门", department="信访局")

    switch_user(page, "dept")
    page.goto(f"{page.base_url}/issues/department/")
    page.click(f"li[data-code='{code}'] a")
    act(page, "resolve", result="已协调供电局更换线路，路灯恢复照明。")

    switch_user(page, "cadre")
    badge = page.locator(".notices .badge")
    assert int(badge.inner_text()) >= 2
    page.click(".notices summary")
    page.screenshot(path=screenshot_dir / "issues-notifications-phone.png")
    page.locator(".notices-panel button.notice").first.click()
    page.locator("ol.timeline").wait_for()
    timeline = page.locator("ol.timeline").inner_text()
    for text in ("登记受理", "上报镇街", "吹哨报到县直部门", "已解决", "已协调供电局更换线路"):
        assert text in timeline, text
    assert page.locator("ol.steps li").count() == 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=screenshot_dir / "issues-detail-phone.png", full_page=True)
    issue.refresh_from_db()
    assert (issue.status, issue.level) == ("resolved", "county")
    page.goto(f"{page.base_url}/issues/")
    assert page.locator(f"li[data-code='{code}']").is_visible()
    page.screenshot(path=screenshot_dir / "issues-ledger-phone.png", full_page=True)
