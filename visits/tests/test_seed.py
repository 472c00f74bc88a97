"""The demo preset's households and visits: realistic, valid, and written with COPY."""

from datetime import timedelta

from django.db.models import Count, Exists, F, OuterRef
from django.utils import timezone

from teams import seed as team_seed
from teams.models import Membership
from visits import seed, selectors
from visits.models import Household, Visit
from visits.validators import validate_id_number, validate_phone


def test_demo_seed_households_and_a_year_of_visits(db):
    rng = team_seed.make_rng(7)
    county, _ = team_seed.seed_tree(preset_name="demo", rng=rng)
    team_seed.seed_liaison_days(county=county, rng=rng)
    households, visits = seed.seed_visits(county=county, preset_name="demo", rng=rng)

    assert households == Household.objects.count() and 60 * 24 <= households <= 90 * 30
    assert visits == Visit.objects.count() > 2000
    for household in Household.objects.exclude(phone="").exclude(id_number="")[:200]:
        validate_phone(household.phone)
        validate_id_number(household.id_number)
    assert Household.objects.filter(tags__code="dibao").exists()
    assert not Visit.objects.filter(date__gt=timezone.localdate()).exists()
    assert not Visit.households.through.objects.exclude(household__village=F("visit__village")).exists()
    members = Membership.objects.filter(team=OuterRef("visit__team"), user=OuterRef("user"))
    assert not Visit.cadres.through.objects.filter(~Exists(members)).exists()
    assert not Visit.objects.annotate(n=Count("cadres")).filter(n=0).exists()
    # Household visits reach most households during the year (每户必访).
    year_ago = timezone.localdate() - timedelta(days=365)
    assert Household.objects.filter(selectors.visited_since(year_ago)).count() / households > 0.85
    # The id sequences moved past the copied rows: the next insert works.
    Household.objects.create(village=Household.objects.first().village, head_name="新户", address="新址1号")
    # Running it again adds nothing.
    assert seed.seed_visits(county=county, preset_name="demo", rng=rng) == (0, 0)
