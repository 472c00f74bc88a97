"""The way to the figures: the organization department's and the town office's home link to
their dashboards, a member's home and team page to the team's figures, and the team page and
the team's dashboard to its attendance sheets."""

import time_machine
from django.urls import reverse

from reports.models import Unit
from teams import services as team_services
from teams.models import LiaisonDay, User

from .test_metrics import at, november  # noqa: F401  (the hand-counted November)


def test_the_homes_link_to_the_dashboards(world, as_user):
    org = as_user(world.org_department).get(reverse("home")).content.decode()
    assert f'href="{reverse("dashboards")}"' in org and "全县数据看板" in org
    assert reverse("dashboard", args=[Unit.TOWN, world.town1.pk]) in org
    office = as_user(world.town_office).get(reverse("home")).content.decode()
    assert "本镇街数据看板" in office
    cadre = as_user(world.cadre).get(reverse("home")).content.decode()
    assert reverse("dashboard", args=[Unit.TEAM, world.team_a.pk]) in cadre and "本队工作数据" in cadre


def test_the_header_links_to_the_dashboards_for_those_with_a_position(world, as_user):
    assert "数据看板" in as_user(world.department).get(reverse("home")).content.decode()
    nobody = User.objects.create_user(username="newcomer", password="x", name="新同志")
    assert "数据看板" not in as_user(nobody).get(reverse("home")).content.decode()


def test_the_team_page_links_to_its_figures_and_sheets(world, liaison_tuesday, as_user):
    team_services.generate_liaison_days(weeks=2)
    html = as_user(world.leader).get(reverse("team-detail", args=[world.team_a.pk])).content.decode()
    assert reverse("dashboard", args=[Unit.TEAM, world.team_a.pk]) + "#sheets" in html
    for day in LiaisonDay.objects.filter(team=world.team_a):
        assert reverse("liaison-day", args=[day.pk]) in html


def test_the_teams_dashboard_lists_its_sheets(world, november, as_user):  # noqa: F811
    with time_machine.travel(at(25, 14), tick=False):
        page = as_user(world.town_office).get(reverse("dashboard", args=[Unit.TEAM, world.team_a.pk]),
                                              {"period": "month:2026-11"})
    html = page.content.decode()
    sheets = html.split('id="sheets"')[1].split("</section>")[0]
    held = LiaisonDay.objects.filter(team=world.team_a, date__month=11, date__lte=at(25).date())
    assert held.count() == 4  # the 17th cancelled, still listed
    for day in held:
        assert reverse("liaison-day", args=[day.pk]) in sheets
