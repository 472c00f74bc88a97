"""The criticism notices naming the signed-in member, for their home page: the home is built
by `teams`, which may not read inspections."""

from django import template

from reports.oversight import inspections

register = template.Library()


@register.simple_tag
def criticisms_naming(user, count=5):
    """The latest `count` criticism notices naming `user`; one query."""
    return list(inspections.notices_for(user)[:count])
