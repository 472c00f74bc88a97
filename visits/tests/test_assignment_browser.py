"""On a phone (390 px): the leader ticks the unassigned households on the roll and assigns them to
a member in one step; that member finds them on their home and in "my households", never
visited first, and one tap opens the visit form with the household ticked."""

from datetime import date

import pytest

from conftest import browser_login
from factories import HouseholdFactory
from visits.models import Assignment

pytestmark = pytest.mark.browser


@pytest.fixture
def village(tworld):
    for name, address, tags in (("王秀英", "西区社区建设路12号", ["dibao"]), ("张国强", "西区社区建设路14号", []),
                                ("陈桂兰", "西区社区人民路3号", ["elderly-alone"])):
        HouseholdFactory(village=tworld.village_a, head_name=name, address=address, phone="13912345678",
                         registered_on=date(2020, 1, 1), tags=tags)
    return tworld


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def test_leader_assigns_from_the_roll_and_the_member_finds_them(village, phone_page, browser, live_server,
                                                                 screenshot_dir):
    w, page = village, phone_page
    browser_login(page, "leader")
    page.wait_for_selector("#unassigned-card")
    assert "3" in page.inner_text("#unassigned-card")
    page.click("#unassigned-card a")
    page.click("a.button:has-text('分配')")
    page.wait_for_selector("#assign-form")
    page.check("[data-select-all]")
    assert page.locator("input[name=households]:checked").count() == 3
    page.select_option("#id_member", label="李丽芳")
    page.screenshot(path=screenshot_dir / "assign-1-roll-ticked.png", full_page=True)
    assert fits(page)
    page.click("button[name=action][value=assign]")
    page.wait_for_selector(".messages .success")
    assert "已将 3 户分配给李丽芳" in page.inner_text(".messages")
    page.screenshot(path=screenshot_dir / "assign-2-assigned.png", full_page=True)
    assert Assignment.objects.filter(membership__user=w.cadre).count() == 3

    page.goto(f"{page.base_url}/visits/villages/{w.village_a.pk}/assignments/")
    assert fits(page)
    page.screenshot(path=screenshot_dir / "assign-3-team.png", full_page=True)

    cadre = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=2)
    try:
        mine = cadre.new_page()
        mine.base_url = live_server.url
        browser_login(mine, "cadre")
        mine.wait_for_selector("#my-households-card")
        assert "0 / 3" in mine.inner_text("#my-households-card")
        mine.screenshot(path=screenshot_dir / "assign-4-cadre-home.png", full_page=True)
        mine.click("#my-households-card a[data-figure=visited]")
        mine.wait_for_selector("#my-households")
        assert "已走访" in mine.inner_text("#my-round")
        assert fits(mine)
        mine.screenshot(path=screenshot_dir / "assign-5-my-households.png", full_page=True)
        first = mine.locator("#my-households li").first
        name = first.locator("strong").inner_text()
        first.locator("a.log-visit").click()
        mine.wait_for_selector("#picked")
        assert mine.locator("#picked input:checked").count() == 1
        assert name in mine.inner_text("#picked")
        mine.screenshot(path=screenshot_dir / "assign-6-log-visit.png", full_page=True)
    finally:
        cadre.close()
