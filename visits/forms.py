from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from teams.models import Membership, User
from visits import selectors
from visits.models import Visit


class VisitForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Visit.Kind.choices, widget=forms.RadioSelect,
                             initial=Visit.Kind.HOUSEHOLD)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    village = forms.ModelChoiceField(label=_("Village"), queryset=None, empty_label=None)
    cadres = forms.ModelMultipleChoiceField(
        label=_("Cadres present"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    households = forms.ModelMultipleChoiceField(label=_("Households"), queryset=None, required=False)
    notes = forms.CharField(label=_("Notes (visit diary)"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    needs_follow_up = forms.BooleanField(label=_("A matter needs follow-up"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["date"].initial = today
        self.fields["date"].widget.attrs["max"] = today.isoformat()
        villages = selectors.villages_for_visits(user)
        self.fields["village"].queryset = villages
        team_ids = [v.team.pk for v in villages]
        self.fields["cadres"].queryset = (
            User.objects.filter(memberships__in=Membership.objects.active_on(today).filter(team__in=team_ids))
            .distinct()
            .order_by("name", "pk")
        )
        self.fields["cadres"].initial = [user.pk]
        self.fields["households"].queryset = selectors.households_visible(user).filter(is_active=True)

    def chosen_households(self):
        """The households ticked in the form, to show again if it is refused."""
        ids = self.data.getlist("households") if self.is_bound else self.initial.get("households", [])
        ids = [i for i in ids if str(i).isdigit()]
        return list(self.fields["households"].queryset.filter(pk__in=ids).prefetch_related("tags"))


class DiaryFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("All kinds"))] + Visit.Kind.choices, required=False)
    cadre = forms.ModelChoiceField(label=_("Cadre"), queryset=User.objects.none(), required=False,
                                   empty_label=_("All cadres"))
    date_after = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_before = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, team=None, **kwargs):
        super().__init__(*args, **kwargs)
        if team is not None:
            self.fields["cadre"].queryset = User.objects.filter(memberships__team=team).distinct().order_by("name")


class LeaveForm(forms.Form):
    reason = forms.CharField(label=_("Reason for leave"), max_length=200)


class HouseholdFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    tag = forms.SlugField(required=False)
    not_visited = forms.BooleanField(label=_("Not visited this year"), required=False)

