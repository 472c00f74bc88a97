"""/visits/coverage/: this year's household coverage of the villages the user works in, read
from the figures (no distinct count over the visits on each request); the village's own page
still lists who has not been visited."""

import time_machine
from django.urls import reverse

from reports.figures import services
from teams.models import Schedule, Team, Village
from visits.models import Household

from .test_metrics import at, november  # noqa: F401  (the hand-counted November)


def overview(client, **params):
    page = client.get(reverse("coverage"), params)
    return page, [(unit.name if page.context["by_town"] else unit.village.name,
                   *((row.coverage_num, row.coverage_den) if row else (None,)))
                  for unit, row in page.context["rows"]]


def test_the_year_per_village_from_the_figures(world, november, as_user, django_assert_max_num_queries):  # noqa: F811
    client = as_user(world.org_department)
    with time_machine.travel(at(25, 14), tick=False):
        client.get(reverse("home"))
        # session, user, scope (2), towns, figures, the base's notifications
        with django_assert_max_num_queries(7):
            page, found = overview(client)
        # The organization department: its towns, then a town's villages.
        assert found == [("罗阳街道", 2, 3), ("龙溪街道", 0, 1)]
        html = page.content.decode()
        assert "数据更新于 2026-11-25 12:00" in html and "50.0%" in html  # 2/4 in all
        assert reverse("dashboard-records", args=["town", world.town1.pk, "coverage"]) + "?period=year:2026" in html
        with django_assert_max_num_queries(7):
            page, found = overview(client, town=world.town1.pk)
        assert found == [("东区社区", 0, 0), ("西区社区", 2, 3)]
        html = page.content.decode()
        assert reverse("dashboard-records", args=["team", world.team_a.pk, "coverage"]) + "?period=year:2026" in html
        # The town office sees its own town's villages only.
        assert overview(as_user(world.town_office))[1] == [("东区社区", 0, 0), ("西区社区", 2, 3)]


def test_as_many_queries_with_many_more_villages(world, november, as_user, django_assert_max_num_queries):  # noqa: F811
    client = as_user(world.org_department)
    with time_machine.travel(at(25, 14), tick=False):
        for i in range(10):
            village = Village.objects.create(town=world.town2, name=f"新村{i}")
            Household.objects.create(village=village, head_name="户主", address="一组", registered_on=at(1).date())
            Schedule.objects.create(team=Team.objects.create(village=village, name=f"新村{i}驻点团队"),
                                    place="村委会", starts_on=at(1).date())
        services.refresh_in_process(world.county)
        client.get(reverse("home"))
        with django_assert_max_num_queries(7):
            page, found = overview(client, town=world.town2.pk)
    assert len(found) == 11 and ("新村0", 0, 1) in found


def test_a_cadre_of_one_team_goes_to_the_villages_page(world, november, as_user):  # noqa: F811
    response = as_user(world.cadre).get(reverse("coverage"))
    assert response.status_code == 302
    assert response["Location"] == reverse("village-coverage", args=[world.village_a.pk])


def test_before_any_figures_the_page_says_so(world, as_user):
    page, found = overview(as_user(world.town_office))
    assert found == [("东区社区", None), ("西区社区", None)] and "数据尚未计算" in page.content.decode()
