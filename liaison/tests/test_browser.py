"""A cadre on a phone logs in and sees, in Chinese, the team's next liaison day and place."""

import pytest

from conftest import browser_login
from teams import selectors, services


@pytest.mark.browser
def test_a_cadre_sees_the_next_liaison_day_on_a_phone(tworld, phone_page, screenshot_dir):
    services.generate_liaison_days(weeks=2)
    next_day = selectors.next_liaison_days([tworld.team_a.pk])[tworld.team_a.pk]

    browser_login(phone_page, "cadre")
    summary = phone_page.locator(f"[data-team='{tworld.team_a.pk}']")
    summary.wait_for()
    text = summary.inner_text()
    assert "下一个驻点日" in text
    assert next_day.date.strftime("%Y-%m-%d") in text
    assert "上午" in text and "西区社区党群服务中心" in text
    assert phone_page.locator("h2", has_text="我的驻点团队").is_visible()
    # Nothing runs off a phone's screen.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    phone_page.screenshot(path=screenshot_dir / "home-cadre-phone.png", full_page=True)
