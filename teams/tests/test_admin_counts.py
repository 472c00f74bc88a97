"""A long admin list is not counted row by row: past EstimatedPaginator.EXACT_UP_TO rows it shows
the planner's estimate and says so (约); a shorter one, or a filtered one, its exact count."""

import re

from teams.admin import EstimatedPaginator
from visits.models import Household


def count_shown(response):
    """The paginator's count, as written: "约 150 住户" or "31 住户"."""
    text = re.search(r'<p class="paginator">(.*?)</p>', response.content.decode(), re.S).group(1)
    return re.search(r"(约 )?\d+ 住户", " ".join(text.split())).group(0)


def test_a_long_list_shows_an_estimate_and_says_so(world, as_admin, monkeypatch, django_assert_max_num_queries):
    Household.objects.bulk_create(
        Household(village=world.village_a, head_name=f"住户{n}", address=f"西区社区{n}号") for n in range(30)
    )
    monkeypatch.setattr(EstimatedPaginator, "EXACT_UP_TO", 10)
    with django_assert_max_num_queries(20):
        response = as_admin.get("/admin/visits/household/")
    assert response.status_code == 200
    shown = count_shown(response)
    assert shown.startswith("约 ") and int(shown.split()[1]) > 10, shown


def test_a_short_or_filtered_list_is_counted_exactly(world, as_admin, monkeypatch):
    Household.objects.bulk_create(
        [Household(village=world.village_a, head_name=f"住户{n}", address=f"西区社区{n}号") for n in range(30)]
        + [Household(village=world.village_b, head_name="赵六", address="东区社区1号")]
    )
    assert count_shown(as_admin.get("/admin/visits/household/")) == "31 住户"
    monkeypatch.setattr(EstimatedPaginator, "EXACT_UP_TO", 10)
    filtered = as_admin.get(f"/admin/visits/household/?village__id__exact={world.village_b.pk}")
    assert count_shown(filtered) == "1 住户"
