"""The coverage planner's card on the home page, which `teams` builds and may not read visits."""

from django import template

from visits import plans

register = template.Library()


@register.simple_tag
def plans_of(user):
    """The user's coming planned day in each of their teams (visits.plans.my_plans)."""
    return plans.my_plans(user)
