"""A resident on a cheap phone (390×844) looks up an issue, reads its timeline and rates it;
a wrong phone gets the neutral message; repeated wrong tries reach the rate-limit message."""

import re
from datetime import date

import pytest
from django.utils import translation

from issues import codes, ratelimit, services
from issues.models import Category, Issue
from issues.tests.conftest import forget_public_counters
from teams.models import Membership, User
from teams.seed import TEAM_SHAPE


@pytest.fixture
def resolved_issue(tworld):
    forget_public_counters()
    category, _created = Category.objects.get_or_create(
        code="livelihood", defaults={"name": "民生文化", "group": Category.Group.COMMITTEE}
    )
    issue = services.register(
        by=tworld.cadre, village=tworld.village_a, category=category, title="路灯不亮",
        description="西区三巷路灯坏了两周。", source=Issue.Source.RECEPTION,
        reporter_name="王秀英", reporter_phone="13912345678",
    )
    services.add_progress(issue=issue, by=tworld.cadre, note="已联系供电所上门查看")
    services.resolve(issue=issue, by=tworld.cadre, result="已更换三巷路灯两盏，恢复照明。")
    return issue


def look_up(page, code, last4):
    page.fill("#id_code", code)
    page.fill("#id_phone_last4", last4)
    page.click("button:has-text('查询')")


@pytest.mark.browser
def test_a_resident_looks_up_reads_and_rates_on_a_phone(resolved_issue, phone_page, screenshot_dir):
    page = phone_page
    page.goto(page.base_url + "/public/")
    look_up(page, codes.display(resolved_issue.code), "5678")
    page.locator("ol.timeline").wait_for()
    timeline = page.locator("ol.timeline").inner_text()
    assert "已联系供电所上门查看" in timeline and "已更换三巷路灯两盏" in timeline
    assert page.locator("text=李丽芳").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=screenshot_dir / "public-status-phone.png", full_page=True)

    page.check("input[value='basically_satisfied']")
    page.fill("#id_comment", "修得挺快")
    page.click("button:has-text('提交评价')")
    page.locator(".messages").wait_for()
    assert "感谢您的评价" in page.locator(".messages").inner_text()
    with translation.override("zh-hans"):
        rated = str(Issue.Satisfaction.BASICALLY_SATISFIED.label)
    assert rated in page.locator("section.rated").inner_text()
    page.screenshot(path=screenshot_dir / "public-rated-phone.png", full_page=True)
    resolved_issue.refresh_from_db()
    assert resolved_issue.satisfaction == Issue.Satisfaction.BASICALLY_SATISFIED


@pytest.mark.browser
def test_wrong_phones_get_the_neutral_message_then_the_limit(resolved_issue, phone_page, screenshot_dir):
    page = phone_page
    page.goto(page.base_url + "/public/lookup/")
    look_up(page, resolved_issue.code, "0000")
    error = page.locator("[role=alert]")
    assert "没有找到与该查询码和联系电话后四位相符的问题" in error.inner_text()
    page.screenshot(path=screenshot_dir / "public-neutral-phone.png", full_page=True)

    for i in range(1, ratelimit.PER_CODE[0]):
        look_up(page, resolved_issue.code, f"{i:04d}")
        assert "没有找到" in page.locator("[role=alert]").inner_text()
    look_up(page, resolved_issue.code, "5678")
    assert "查询失败次数过多" in page.locator("[role=alert]").inner_text()
    assert page.locator("ol.timeline").count() == 0
    page.screenshot(path=screenshot_dir / "public-limited-phone.png", full_page=True)


@pytest.mark.browser
def test_the_village_notice_and_card_on_a_phone(tworld, phone_page, screenshot_dir):
    page = phone_page
    page.goto(page.base_url + "/public/?q=西区")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=screenshot_dir / "public-index-phone.png", full_page=True)
    page.click("text=西区社区")
    page.locator("ul.members").wait_for()
    assert "陈建华" in page.locator("ul.members").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=screenshot_dir / "public-village-phone.png", full_page=True)
    page.click("text=打印联系卡")
    page.locator("svg").wait_for()
    page.screenshot(path=screenshot_dir / "public-card-phone.png", full_page=True)


def fill_to_the_largest_seeded_team(world):
    """Team A with a leader and every member TEAM_SHAPE can give a team (17: the demo's largest
    has 14), each with a published phone and a name of three or four characters."""
    have = {role: Membership.objects.filter(team=world.team_a, role=role).count() for role, _n, _p in TEAM_SHAPE}
    names = iter(["欧阳明轩", "司马晓红", "诸葛文静", "上官振华", "慕容建国", "赵德胜", "钱玉兰", "孙卫东",
                  "周海燕", "吴志刚", "郑美玲", "王建设", "冯秀珍", "陈光明"])
    for number, (role, count, _chance) in enumerate(TEAM_SHAPE):
        for extra in range(count - have[role]):
            phone = f"139{number:02d}{extra:02d}0000"
            user = User.objects.create_user(username=f"member{number}-{extra}", name=next(names), phone=phone)
            Membership.objects.create(team=world.team_a, user=user, role=role, start_date=date(2025, 1, 1),
                                      public_phone=phone)
    Membership.objects.filter(team=world.team_a, public_phone="").update(public_phone="13700000000")
    return Membership.objects.filter(team=world.team_a).count()


@pytest.mark.browser
def test_the_contact_card_prints_on_one_a6_page_for_the_largest_team(tworld, desktop_page, screenshot_dir):
    assert fill_to_the_largest_seeded_team(tworld) == 1 + sum(count for _role, count, _p in TEAM_SHAPE) == 17
    page = desktop_page
    page.goto(page.base_url + f"/public/villages/{tworld.village_a.pk}/card/")
    page.screenshot(path=screenshot_dir / "public-card-desktop.png", full_page=True)
    # As "Print" does: the page's own @page size, not the printer's default Letter.
    pdf = page.pdf(path=screenshot_dir / "public-card-a6.pdf", prefer_css_page_size=True, print_background=True)
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert len(re.findall(rb"/Type /Page\b", pdf)) == len(boxes) == 1, "the card and its QR code on one page"
    # 105 × 148 mm in points, to a pixel.
    width, height = (float(n) for n in boxes[0])
    assert abs(width - 105 / 25.4 * 72) < 1 and abs(height - 148 / 25.4 * 72) < 1, (width, height)
