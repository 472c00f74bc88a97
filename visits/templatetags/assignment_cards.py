"""The home's 定点联系 cards: a member's round ("已走访 212 / 300 户") and, for a leader or a town
office, the households with no named member. The home is built by `teams`, which may not read
households; one query each."""

from django import template
from django.utils import timezone

from teams import scope
from visits import selectors
from visits.models import Household
from visits.scope import home_unassigned_villages

register = template.Library()


@register.simple_tag
def my_round(user):
    """This year's round of the member's households, or None for someone in no team."""
    if not scope.member_teams(user):
        return None
    today = timezone.localdate()
    return selectors.my_progress(selectors.my_households(user, today), today)


@register.simple_tag
def unassigned_count(user):
    """How many households of the villages the user's home watches have no named member, or None."""
    villages = home_unassigned_villages(user)
    if villages is None:
        return None
    return selectors.unassigned(Household.objects.filter(village__in=villages)).count()
