"""The forms of inspections and assessment rounds. They only read what was sent; the rules
(bounds, the liaison day, the weights adding up to 100…) are the services', which give the
refusals — all of them at once, the required fields' too: a form that refused first would show
its own errors in one round and the service's in the next."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from reports.figures import registry
from reports.oversight import assessments, inspections
from teams.models import User


def _members(form, name, label, members):
    form.fields[name] = forms.ModelMultipleChoiceField(
        label=label, required=False, widget=forms.CheckboxSelectMultiple,
        queryset=User.objects.filter(pk__in=[m.user_id for m in members]).order_by("name", "pk"),
    )
    form.fields[name].label_from_instance = lambda user: user.name or user.username


class InspectionForm(forms.Form):
    inspectors = forms.CharField(
        label=_("Inspectors"), required=False,
        widget=forms.TextInput(attrs={"maxlength": inspections.INSPECTORS.chars}),
        help_text=_("Who inspected, e.g. 县委组织部督查组 王某、李某"),
    )
    team_present = forms.BooleanField(label=_("Team present on time"), required=False, initial=True)
    notice_posted = forms.BooleanField(label=_("Notice (公告) posted"), required=False, initial=True)
    log_kept = forms.BooleanField(label=_("Log (日志) kept"), required=False, initial=True)
    ledger_up_to_date = forms.BooleanField(label=_("Ledger (台账) up to date"), required=False, initial=True)
    findings = forms.CharField(label=_("Findings"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    deduction = forms.CharField(label=_("Points deducted"), required=False, initial="0",
                                widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    criticism = forms.CharField(
        label=_("Criticism notice (通报批评)"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Leave empty when there is none. The members it names see it."),
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        _members(self, "absent_members", _("Members absent without leave"), members)
        _members(self, "criticised", _("Members named in the notice"), members)
        self.order_fields(["inspectors", *inspections.CHECKLIST, "absent_members", "findings", "deduction",
                           "criticism", "criticised"])
        self.fields["deduction"].help_text = _("From 0 to %(limit)d points.") % {
            "limit": settings.INSPECTION_MAX_DEDUCTION}


def _weights(form):
    for m in assessments.WEIGHED:
        form.fields[f"weight_{m}"] = forms.CharField(
            label=registry.get(m).label, initial=assessments.DEFAULT_WEIGHTS[m],
            widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 4}),
        )


class RoundForm(forms.Form):
    title = forms.CharField(label=_("Title"), required=False,
                            help_text=_("Leave empty for the usual title with the county and period."))

    def __init__(self, *args, periods=None, **kwargs):
        super().__init__(*args, **kwargs)
        if periods is not None:
            self.fields["period"] = forms.ChoiceField(label=_("Period"), choices=[(p.key, p.label) for p in periods])
            self.order_fields(["period", "title"])
        _weights(self)

    def weights(self):
        return {m: self.cleaned_data[f"weight_{m}"] for m in assessments.WEIGHED}


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason for withdrawing"),
                             widget=forms.TextInput(attrs={"maxlength": assessments.REASON.chars}))
