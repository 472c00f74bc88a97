"""Each village's team notice (公示) and its A6 contact card with a QR code. The statistics per
town read the figures: reports/tests/test_public_statistics.py."""

from datetime import date

import pytest
import time_machine

from issues import public_views
from issues.tests.conftest import at
from teams import services as team_services
from teams.models import LiaisonDay, Membership, Role, Team

pytestmark = pytest.mark.usefixtures("fresh_public_counters")


@time_machine.travel(at(2026, 11, 16, 9, 0), tick=False)
def test_the_notice_names_the_team_its_phones_and_the_next_liaison_day(world, client, django_assert_num_queries):
    team_services.generate_liaison_days(weeks=2, teams=[world.team_a])
    Membership.objects.create(
        team=world.team_a, user=world.other_leader, role=Role.FIRST_SECRETARY,
        start_date=date(2025, 1, 1), end_date=date(2026, 6, 30), public_phone="13800009999",
    )
    # The village with its town, county, team and schedule; the members; the next day.
    with django_assert_num_queries(3):
        response = client.get(f"/public/villages/{world.village_a.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    for text in ("西区社区", "罗阳街道", "陈建华", "组长", "13800000001", "李丽芳", "镇街干部", "13800000002",
                 "黄志明", "张小燕", "西区社区党群服务中心", "星期二", "上午", "每周一次", "2026-11-17"):
        assert text in body, text
    assert body.index("陈建华") < body.index("李丽芳")
    assert "何国栋" not in body and "13800009999" not in body


@time_machine.travel(at(2026, 11, 16, 9, 0), tick=False)
def test_a_cancelled_day_is_skipped_for_the_next_one(world, client):
    team_services.generate_liaison_days(weeks=2, teams=[world.team_a])
    LiaisonDay.objects.filter(team=world.team_a, date=date(2026, 11, 17)).update(
        status=LiaisonDay.Status.CANCELLED
    )
    body = client.get(f"/public/villages/{world.village_a.pk}/").content.decode()
    assert "2026-11-24" in body and "2026-11-17" not in body


def test_only_the_published_phone_is_shown(world, client):
    Membership.objects.filter(user=world.cadre).update(public_phone="")
    body = client.get(f"/public/villages/{world.village_a.pk}/").content.decode()
    assert "李丽芳" in body and world.cadre.phone not in body


def test_a_village_without_an_active_team_has_no_notice(world, client):
    Team.objects.filter(pk=world.team_b.pk).update(is_active=False)
    assert client.get(f"/public/villages/{world.village_b.pk}/").status_code == 404
    assert client.get(f"/public/villages/{world.village_b.pk}/card/").status_code == 404
    assert client.get("/public/villages/999999/").status_code == 404


def test_the_contact_card_is_a6_with_a_server_made_qr_code_to_the_notice(world, client, django_assert_num_queries):
    # The same three reads as the notice.
    with django_assert_num_queries(3):
        response = client.get(f"/public/villages/{world.village_a.pk}/card/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "驻点团队联系卡" in body and "13800000001" in body
    # Its stylesheet is a static file, for the Content-Security-Policy; printing it on A6 is proved
    # in Chromium (test_public_browser.py).
    assert '<link rel="stylesheet" href="/static/css/card.css">' in body
    url = f"http://testserver/public/villages/{world.village_a.pk}/"
    assert str(public_views.qr_svg(url)) in body
    assert "<svg" in body and "http" not in body.split("<svg", 1)[1].split("</svg>")[0].replace(
        "http://www.w3.org", ""
    )


def test_the_qr_code_changes_with_the_address(world):
    assert public_views.qr_svg("http://a.example/public/villages/1/") != public_views.qr_svg(
        "http://a.example/public/villages/2/"
    )


def test_a_member_without_a_name_is_listed_by_role_never_by_login(world, client):
    world.volunteer.name = ""
    world.volunteer.save()
    body = client.get(f"/public/villages/{world.village_a.pk}/").content.decode()
    assert "volunteer" not in body and "志愿者" in body
