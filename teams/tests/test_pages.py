"""Login, the home page of each position, the team page and its liaison-day changes."""

from datetime import date

import pytest

from teams import services
from teams.models import LiaisonDay

pytestmark = pytest.mark.usefixtures("sunday_before")


def test_anonymous_visitors_are_sent_to_the_public_pages(world, client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/public/"


def test_login_page_is_chinese_by_default(world, client):
    body = client.get("/accounts/login/").content.decode()
    assert "登录" in body and "用户名" in body


def test_a_cadre_sees_the_next_liaison_day_and_place(world, as_user, django_assert_max_num_queries):
    services.generate_liaison_days(weeks=2)
    client = as_user(world.cadre)
    # session, user, scope (2), teams, next liaison days, the header's unread notifications; the
    # work figures: the holiday calendar (due within a working day) and one count for the team's queue;
    # 定点联系: the member's round, their visit plan
    with django_assert_max_num_queries(12):
        body = client.get("/").content.decode()
    assert "西区社区驻点团队" in body
    assert "2026-11-24" in body and "上午" in body and "西区社区党群服务中心" in body
    assert "龙溪村驻点团队" not in body


def test_the_town_office_sees_its_towns_teams(world, as_user):
    body = as_user(world.town_office).get("/").content.decode()
    assert "西区社区驻点团队" in body and "东区社区驻点团队" in body and "龙溪村驻点团队" not in body


def test_the_organization_department_sees_the_towns(world, as_user):
    body = as_user(world.org_department).get("/").content.decode()
    assert "罗阳街道" in body and "龙溪街道" in body and "龙城街道" not in body


def test_english_is_available(world, as_user):
    client = as_user(world.cadre)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "My teams" in client.get("/").content.decode()


def test_the_team_page_is_404_outside_the_scope(world, as_user):
    assert as_user(world.other_cadre).get(f"/teams/{world.team_a.pk}/").status_code == 404
    assert as_user(world.cadre).get(f"/teams/{world.team_a.pk}/").status_code == 200


def test_the_leader_reschedules_a_day_and_the_reason_is_kept(world, as_user):
    services.generate_liaison_days(weeks=1, teams=[world.team_a])
    day = LiaisonDay.objects.get(team=world.team_a)
    response = as_user(world.leader).post(
        f"/teams/days/{day.pk}/reschedule/", {"new_date": "2026-11-26", "reason": "与村民大会冲突"}, follow=True
    )
    assert "驻点日已更新" in response.content.decode()
    day.refresh_from_db()
    assert day.date == date(2026, 11, 26) and day.change_reason == "与村民大会冲突"


def test_rescheduling_into_the_past_is_refused_with_a_message(world, as_user):
    services.generate_liaison_days(weeks=1, teams=[world.team_a])
    day = LiaisonDay.objects.get(team=world.team_a)
    response = as_user(world.leader).post(
        f"/teams/days/{day.pk}/reschedule/", {"new_date": "2026-11-01", "reason": "补开"}, follow=True
    )
    assert "驻点日不能改到已经过去的日期" in response.content.decode()
    day.refresh_from_db()
    assert day.date == date(2026, 11, 24)


def test_a_cadre_cannot_cancel_and_an_outsider_gets_404(world, as_user):
    services.generate_liaison_days(weeks=1, teams=[world.team_a])
    day = LiaisonDay.objects.get(team=world.team_a)
    response = as_user(world.cadre).post(f"/teams/days/{day.pk}/cancel/", {"reason": "x"}, follow=True)
    assert "只有组长或镇街驻点办可以调整驻点日" in response.content.decode()
    day.refresh_from_db()
    assert day.status == LiaisonDay.Status.SCHEDULED
    assert as_user(world.other_cadre).post(f"/teams/days/{day.pk}/cancel/", {"reason": "x"}).status_code == 404


def test_the_public_index_lists_villages_with_their_place(world, client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        body = client.get("/public/", {"q": "西区"}).content.decode()
    assert "西区社区" in body and "西区社区党群服务中心" in body and "龙溪村" not in body


def test_pages_stay_chinese_for_an_english_browser_until_the_switch_is_used(world, client):
    body = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "用户名" in body
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Username" in client.get("/accounts/login/").content.decode()


def test_a_missing_page_answers_in_chinese_and_the_api_in_json(world, client):
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and "页面不存在" in page.content.decode()
    api = client.get("/api/v1/no-such-endpoint/")
    assert api.status_code == 404 and api.json() == {"detail": "未找到。"}


def test_the_header_offers_the_visit_pages_only_to_positions_that_cover_villages(world, as_user):
    assert "民情日记" in as_user(world.cadre).get("/").content.decode()
    assert "民情日记" not in as_user(world.department).get("/").content.decode()
