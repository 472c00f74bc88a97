"""Free text that people type: each field has a bound that fits its use, declared once beside
the service that writes it, and a refusal names the field and the bound ("办理结果不能超过
2000 个字。"). Text with a NUL character is refused too: PostgreSQL cannot store it."""

from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from rest_framework import serializers


class Bound(NamedTuple):
    """At most `chars` characters (once trimmed); `label` names the field in the refusal."""

    chars: int
    label: Promise

    @classmethod
    def of(cls, model, name, label):
        """The bound a model's field declares with its max_length."""
        return cls(model._meta.get_field(name).max_length, label)

    def error(self, value):
        """Why `value` cannot be kept, or None."""
        text = value.strip() if isinstance(value, str) else ""
        if "\x00" in text:
            # Django's own words (its forms and DRF's fields say the same), translated here.
            return _("Null characters are not allowed.")
        return self._too_long(text)

    def _too_long(self, text):
        if len(text) > self.chars:
            return _("%(field)s cannot be longer than %(limit)d characters.") % {
                "field": capfirst(str(self.label)), "limit": self.chars,
            }
        return None

    def __call__(self, value):
        """As a form or serializer field's validator; the field itself refuses NUL characters."""
        message = self._too_long(value.strip() if isinstance(value, str) else "")
        if message:
            raise ValidationError(message, code="max_length")


def errors(**texts):
    """`name=(value, bound)` for each text: {name: message} for those that cannot be kept."""
    found = {name: bound.error(value) for name, (value, bound) in texts.items()}
    return {name: message for name, message in found.items() if message}


def check(**texts):
    """Like `errors`, raised as one ValidationError that names every field refused."""
    found = errors(**texts)
    if found:
        raise ValidationError(found)


class CodeField(serializers.SlugRelatedField):
    """An object named by its code (a category's, a tag's). A code with a NUL is refused before
    the lookup: PostgreSQL cannot hold one, and psycopg 3 raises a database error at the query."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            raise serializers.ValidationError(_("Null characters are not allowed."))
        return super().to_internal_value(data)
