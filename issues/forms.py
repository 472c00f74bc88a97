"""The ledger's forms. Free text is bounded by the services (`services.TITLE` …), which give
the refusal; `maxlength` only keeps the browser from taking more. The register form checks the
bounds, the phone and the photos with the service's own rules beside the required fields, so
that every mistake shows at once, not one round after another."""

from itertools import groupby

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues import images, services
from issues.models import Category, Issue
from visits.validators import normalize_phone, validate_phone

# Under every text residents read on the public page: a walkthrough's 回音 named the resident.
PUBLIC_TEXT_HELP = _(
    "Residents read this on the public page: do not write the resident's name, phone number or address."
)


def _text(bound, rows=2):
    return forms.Textarea(attrs={"rows": rows, "maxlength": bound.chars})


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files; whether each is a photo is `issues.images`' to say."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class RegisterForm(forms.Form):
    village = forms.ModelChoiceField(label=_("Village"), queryset=None)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all())
    source = forms.ChoiceField(label=_("Source"), choices=Issue.Source.choices)
    title = forms.CharField(label=_("Title"), validators=[services.TITLE],
                            widget=forms.TextInput(attrs={"maxlength": services.TITLE.chars}))
    description = forms.CharField(label=_("What the resident raised"), validators=[services.DESCRIPTION],
                                  widget=_text(services.DESCRIPTION, rows=4))
    reporter_name = forms.CharField(
        label=_("Resident's name"), validators=[services.REPORTER_NAME],
        widget=forms.TextInput(attrs={"maxlength": services.REPORTER_NAME.chars}),
    )
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
        field = self.fields["village"]
        field.queryset = villages
        # A county's villages are found under their towns; the field still checks the queryset.
        towns = [(town, [(v.pk, v.name) for v in group]) for town, group in groupby(villages, lambda v: v.town.name)]
        if len(towns) > 1:
            field.widget.choices = [("", field.empty_label), *towns]
            field.widget.template_name = "liaison/long_select.html"
        elif len(towns) == 1 and len(towns[0][1]) == 1:
            # A cadre of one village has nothing to choose.
            self.initial.setdefault("village", towns[0][1][0][0])

    def clean_reporter_phone(self):
        phone = normalize_phone(self.cleaned_data["reporter_phone"])
        validate_phone(phone)
        return phone

    def clean_photos(self):
        return images.accept(self.cleaned_data["photos"])

    def clean_received_at(self):
        received_at = self.cleaned_data["received_at"]
        if received_at is not None and (refusal := services.received_at_refusal(received_at, timezone.now())):
            raise forms.ValidationError(refusal)
        return received_at


class ProgressForm(forms.Form):
    note = forms.CharField(label=_("Progress (shown to the resident)"), required=False,
                           help_text=PUBLIC_TEXT_HELP, widget=_text(services.PROGRESS_NOTE))
    internal_note = forms.CharField(label=_("Internal note"), required=False, widget=_text(services.INTERNAL_NOTE))


class EscalateForm(forms.Form):
    reason = forms.CharField(label=_("Reason for escalating (shown to the resident)"), required=False,
                             help_text=PUBLIC_TEXT_HELP, widget=_text(services.ESCALATION_REASON))
    department = forms.ModelChoiceField(label=_("County department"), queryset=None, required=False)
    internal_note = forms.CharField(label=_("Internal note"), required=False, widget=_text(services.INTERNAL_NOTE))

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments


class ResolveForm(forms.Form):
    result = forms.CharField(label=_("Result (shown to the resident)"), required=False, help_text=PUBLIC_TEXT_HELP,
                             widget=_text(services.RESULT))


class ExplainForm(forms.Form):
    explanation = forms.CharField(label=_("Explanation (shown to the resident)"), required=False,
                                  help_text=PUBLIC_TEXT_HELP, widget=_text(services.EXPLANATION))


class FeedbackForm(forms.Form):
    note = forms.CharField(label=_("Feedback to the resident (shown to the resident)"), required=False,
                           help_text=PUBLIC_TEXT_HELP, widget=_text(services.FEEDBACK_NOTE))


class RateForm(forms.Form):
    satisfaction = forms.ChoiceField(label=_("The resident's rating"), choices=Issue.Satisfaction.choices,
                                     widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), required=False,
                              widget=forms.TextInput(attrs={"maxlength": services.COMMENT.chars}))


class HandoverForm(forms.Form):
    to = forms.ModelChoiceField(label=_("New first responder"), queryset=None)
    reason = forms.CharField(label=_("Reason for the handover"), required=False,
                             widget=forms.TextInput(attrs={"maxlength": services.HANDOVER_REASON.chars}))

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = members
