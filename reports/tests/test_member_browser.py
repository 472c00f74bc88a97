"""Coverage by member on a phone (390 px): the team's members on its dashboard, a tap on the
households not yet visited opens them; the organization department's assignment health."""

import pytest
import time_machine

from conftest import LIAISON_TUESDAY, browser_login, frozen_at
from issues.models import Category

from .test_member_coverage import keep


@pytest.fixture
def kept(tworld):
    Category.objects.get_or_create(code="livelihood", defaults={"name": "民生文化", "group": Category.Group.COMMITTEE})
    with frozen_at(LIAISON_TUESDAY):
        return keep(tworld)


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.browser
def test_members_and_assignment_health_on_a_phone(kept, phone_page, screenshot_dir):
    w, page = kept, phone_page
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with time_machine.travel(LIAISON_TUESDAY, tick=True):
        browser_login(page, "leader")
        page.goto(page.base_url + f"/reports/team/{w.team_a.pk}/?period=month:2026-11")
        members = page.locator("#members")
        members.wait_for()
        assert "李丽芳" in members.inner_text() and "按成员" in members.inner_text()
        assert fits(page)
        # The members' table itself fits: nothing to scroll sideways.
        assert members.evaluate("el => { const w = el.querySelector('.table-wrap'); "
                                "return w.scrollWidth <= w.clientWidth; }")
        members.screenshot(path=screenshot_dir / "members-team-phone.png")
        members.locator(f'tr[data-member="{w.cadre.pk}"] a[data-not-visited]').click()
        page.wait_for_url("**/coverage/**member=*")
        assert page.locator("[data-record]").count() == 1  # h6
        assert fits(page)
        page.screenshot(path=screenshot_dir / "members-records-phone.png", full_page=True)

        page.context.clear_cookies()
        browser_login(page, "orgdept")
        page.goto(page.base_url + "/reports/assignments/")
        page.locator(f'tr[data-town="{w.town1.pk}"] a').click()
        page.wait_for_url("**/assignments/?town=*")
        assert fits(page)
        page.screenshot(path=screenshot_dir / "assignment-health-phone.png", full_page=True)
    assert not errors, errors
