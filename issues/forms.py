from django import forms
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

from issues.models import Category, Issue


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput
    default_validators = [FileExtensionValidator(["jpg", "jpeg", "png", "webp", "heic"])]

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class RegisterForm(forms.Form):
    village = forms.ModelChoiceField(label=_("Village"), queryset=None)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all())
    source = forms.ChoiceField(label=_("Source"), choices=Issue.Source.choices)
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("What the resident raised"), widget=forms.Textarea(attrs={"rows": 4}))
    reporter_name = forms.CharField(label=_("Resident's name"), max_length=40)
    reporter_phone = forms.CharField(label=_("Resident's phone"), max_length=20)
    received_at = forms.DateTimeField(
        label=_("Received at"), required=False, help_text=_("Leave empty for now; fill in for issues taken on paper."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    photos = MultipleFileField(label=_("Photos"), required=False, widget=MultipleFileInput(attrs={"accept": "image/*"}))
    household = forms.IntegerField(required=False, widget=forms.HiddenInput)
    visit = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages


class ProgressForm(forms.Form):
    note = forms.CharField(label=_("Progress (shown to the resident)"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
    internal_note = forms.CharField(label=_("Internal note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class EscalateForm(forms.Form):
    reason = forms.CharField(label=_("Reason for escalating (shown to the resident)"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
    department = forms.ModelChoiceField(label=_("County department"), queryset=None, required=False)
    internal_note = forms.CharField(label=_("Internal note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments


class ResolveForm(forms.Form):
    result = forms.CharField(label=_("How it was resolved"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ExplainForm(forms.Form):
    explanation = forms.CharField(label=_("Explanation for the resident"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))


class FeedbackForm(forms.Form):
    note = forms.CharField(label=_("How the answer was given to the resident"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class RateForm(forms.Form):
    satisfaction = forms.ChoiceField(label=_("The resident's rating"), choices=Issue.Satisfaction.choices,
                                     widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=300)


class HandoverForm(forms.Form):
    to = forms.ModelChoiceField(label=_("New first responder"), queryset=None)
    reason = forms.CharField(label=_("Reason for the handover"), required=False)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = members
