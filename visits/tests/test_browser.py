"""On a phone: a cadre checks in, logs a household visit covering two households found by
search, and sees both leave the "not visited this year" list."""

import pytest
from django.utils import timezone

from conftest import browser_login
from teams import services as team_services
from teams.models import Attendance, HalfDay, LiaisonDay
from visits.models import Household, Visit

pytestmark = pytest.mark.browser


@pytest.fixture
def village_today(tworld):
    today = timezone.localdate()
    LiaisonDay.objects.create(team=tworld.team_a, scheduled_date=today, date=today, half_day=HalfDay.MORNING,
                              place="西区社区党群服务中心")
    team_services.sync_attendance(team_ids=[tworld.team_a.pk], start=today, end=today)
    for name, address, phone in (("王秀英", "西区社区建设路12号", "13912345678"),
                                 ("张国强", "西区社区建设路14号", "13987654321"),
                                 ("陈桂兰", "西区社区人民路3号", "")):
        Household.objects.create(village=tworld.village_a, head_name=name, address=address, phone=phone)
    return tworld


def test_cadre_checks_in_and_logs_a_visit_on_a_phone(village_today, phone_page, screenshot_dir):
    w, page = village_today, phone_page
    browser_login(page, "cadre")

    page.goto(page.base_url + "/days/")
    page.screenshot(path=screenshot_dir / "visits-1-liaison-day.png", full_page=True)
    page.click("[data-check-in]")
    page.wait_for_selector(".messages .success")
    assert "签到成功" in page.inner_text(".messages")
    assert Attendance.objects.get(member=w.cadre).status == Attendance.Status.PRESENT

    households = f"{page.base_url}/visits/villages/{w.village_a.pk}/households/"

    def not_visited():
        # WCAG 3.2.2: ticking the box changes nothing until the button is pressed.
        page.goto(households)
        page.check("input[name=not_visited]")
        assert page.url == households
        with page.expect_navigation():
            page.click("button:has-text('筛选')")
        assert "not_visited=true" in page.url
        return page.inner_text(".household-list")

    listed = not_visited()
    assert "王秀英" in listed and "张国强" in listed and "陈桂兰" in listed

    page.goto(f"{page.base_url}/visits/new/?village={w.village_a.pk}")
    page.fill("#find-text", "王秀英")
    page.check("#found input[type=checkbox]")
    page.fill("#find-text", "4321")
    page.wait_for_selector("#found label:has-text('张国强')")
    page.check("#found label:has-text('张国强') input")
    assert page.locator("#picked input:checked").count() == 2
    page.fill("textarea[name=notes]", "了解两户低保续办情况，反映巷道路灯不亮。")
    page.screenshot(path=screenshot_dir / "visits-2-log-visit.png", full_page=True)
    page.click("button[name=save]")
    page.wait_for_selector(".messages .success")
    page.screenshot(path=screenshot_dir / "visits-3-visit-saved.png", full_page=True)
    visit = Visit.objects.get()
    assert {h.head_name for h in visit.households.all()} == {"王秀英", "张国强"}
    assert list(visit.cadres.all()) == [w.cadre]

    listed = not_visited()
    assert "王秀英" not in listed and "张国强" not in listed and "陈桂兰" in listed
    page.screenshot(path=screenshot_dir / "visits-4-not-visited.png", full_page=True)


def test_an_administrator_chooses_the_village_then_its_cadres_on_a_phone(village_today, phone_page,
                                                                         screenshot_dir):
    """Every team's visits: the village first, then that team's members to tick."""
    w, page = village_today, phone_page
    browser_login(page, "admin")
    page.goto(page.base_url + "/visits/new/")
    assert page.locator("input[name=cadres]").count() == 0
    page.select_option("#id_village", str(w.village_a.pk))
    page.screenshot(path=screenshot_dir / "visits-5-choose-village.png", full_page=True)
    with page.expect_navigation():
        page.click("button:has-text('下一步')")
    assert "西区社区" in page.inner_text(".chosen-village")
    names = page.locator("input[name=cadres]").evaluate_all("boxes => boxes.map(b => b.parentElement.innerText)")
    assert sorted(n.strip() for n in names) == sorted(["陈建华", "李丽芳", "黄志明", "张小燕"])
    page.check("label:has-text('李丽芳') input[name=cadres]")
    page.check("input[name=kind][value=reception]")
    page.fill("textarea[name=notes]", "接待来访群众，了解低保续办情况。")
    page.screenshot(path=screenshot_dir / "visits-6-village-cadres.png", full_page=True)
    page.click("button[name=save]")
    page.wait_for_selector(".messages .success")
    visit = Visit.objects.get()
    assert visit.village == w.village_a and list(visit.cadres.all()) == [w.cadre]
