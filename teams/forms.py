from django import forms
from django.utils.translation import gettext_lazy as _


class RescheduleForm(forms.Form):
    new_date = forms.DateField(label=_("New date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=200)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class LeaveForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for leave"), max_length=200, error_messages={"required": _("Give the reason for your leave.")}
    )
