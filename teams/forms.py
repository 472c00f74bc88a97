from django import forms
from django.utils.translation import gettext_lazy as _

MAX_ID = 2**63 - 1
MAX_PAGE = 100_000


def whole_number(value, *, upper=MAX_ID):
    """A query-string or form value as a positive integer (ASCII digits, at most `upper`), or None."""
    value = str(value)
    if value.isascii() and value.isdigit() and len(value) <= len(str(upper)) and 0 < int(value) <= upper:
        return int(value)
    return None


class RescheduleForm(forms.Form):
    new_date = forms.DateField(label=_("New date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=200)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)
