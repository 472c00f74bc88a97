"""Lists of ids that a request sends, and the ids an answer names back: both bounded.

A request names at most MAX_IDS people or households at once (a team has a dozen members, a
forum a few dozen households): a longer list is refused with a 400 before anything is queried or
checked item by item. A refusal names at most ECHOED of the ids or names it refuses, then how
many more, so that an answer never echoes back what a request stuffed into it."""

from django.utils.translation import gettext as _
from rest_framework import serializers

MAX_IDS = 500
ECHOED = 10


class IdListField(serializers.ListField):
    """A list of database ids (whole numbers PostgreSQL's bigint takes), at most MAX_IDS of them,
    its length checked before its items: a list too long gets one message, not one per item."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.IntegerField(min_value=1, max_value=2**63 - 1))
        kwargs.setdefault("max_length", MAX_IDS)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, list) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


def some(items, separator="、"):
    """At most ECHOED of `items` joined, then "and N more": what a refusal may name back."""
    items = [str(item) for item in items]
    listed = separator.join(items[:ECHOED])
    if len(items) <= ECHOED:
        return listed
    return _("%(listed)s and %(count)d more") % {"listed": listed, "count": len(items) - ECHOED}
