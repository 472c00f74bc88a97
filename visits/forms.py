from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.listing import MAX_IDS
from core.web import whole_number
from teams.models import Membership, User
from visits import selectors, services
from visits.models import MEMBERS_COUNT, HouseholdTag, Visit


class VisitForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Visit.Kind.choices, widget=forms.RadioSelect,
                             initial=Visit.Kind.HOUSEHOLD)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    village = forms.ModelChoiceField(label=_("Village"), queryset=None, empty_label=None)
    cadres = forms.ModelMultipleChoiceField(
        label=_("Cadres present"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    households = forms.ModelMultipleChoiceField(label=_("Households"), queryset=None, required=False)
    notes = forms.CharField(label=_("Notes (visit diary)"), required=False,
                            widget=forms.Textarea(attrs={"rows": 4, "maxlength": services.VISIT_NOTES.chars}))
    needs_follow_up = forms.BooleanField(label=_("A matter needs follow-up"), required=False)

    def __init__(self, *args, user, villages, village=None, **kwargs):
        """`villages`: those whose teams the user logs visits for; `village`: the one chosen. The
        cadres offered are that village's team's, so the village comes first (a county has
        thousands of cadres); until it is chosen none are."""
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["date"].initial = today
        self.fields["date"].widget.attrs["max"] = today.isoformat()
        self.fields["village"].queryset = villages
        members = User.objects.none()
        if village is not None:
            self.fields["village"].widget = forms.HiddenInput()
            self.fields["village"].initial = village.pk
            members = User.objects.filter(
                pk__in=Membership.objects.active_on(today).filter(team=village.team).values("user_id")
            ).order_by("name", "pk")
        self.fields["cadres"].queryset = members
        self.fields["cadres"].initial = [user.pk]
        self.fields["households"].queryset = selectors.households_visible(user).filter(is_active=True)

    def chosen_households(self):
        """The households ticked in the form, to show again if it is refused."""
        ids = self.data.getlist("households") if self.is_bound else self.initial.get("households", [])
        ids = [i for i in map(whole_number, ids) if i is not None]
        return list(self.fields["households"].queryset.filter(pk__in=ids).prefetch_related("tags"))


class HouseholdForm(forms.Form):
    """A household of the roll. The checks on phone and ID number are the service's; its
    errors come back onto these fields (`core.web.add_service_error`), and so do the bounds
    of the name and the address (`services.HEAD_NAME`, `services.ADDRESS`)."""

    head_name = forms.CharField(
        label=_("Head of household"), widget=forms.TextInput(attrs={"maxlength": services.HEAD_NAME.chars})
    )
    address = forms.CharField(label=_("Address"), widget=forms.TextInput(attrs={"maxlength": services.ADDRESS.chars}))
    phone = forms.CharField(
        label=_("Phone"), max_length=30, required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    id_number = forms.CharField(
        label=_("ID number"), max_length=18, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    members_count = forms.IntegerField(
        label=_("Household members"), min_value=MEMBERS_COUNT[0], max_value=MEMBERS_COUNT[-1], initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    tags = forms.ModelMultipleChoiceField(
        label=_("Tags"), queryset=HouseholdTag.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, household=None, full=True, **kwargs):
        """`full`: whether the user may read the household's phone and ID number. Without it
        (the town office) those fields start empty, and left empty they keep what is on record."""
        if household is not None:
            kwargs.setdefault("initial", {
                "head_name": household.head_name, "address": household.address,
                "phone": household.phone if full else "", "id_number": household.id_number if full else "",
                "members_count": household.members_count, "tags": list(household.tags.all()),
            })
        super().__init__(*args, **kwargs)
        self.keeps_hidden = household is not None and not full
        if self.keeps_hidden:
            for name, masked in (("phone", household.masked_phone), ("id_number", household.masked_id_number)):
                if masked:
                    self.fields[name].widget.attrs["placeholder"] = masked
                    self.fields[name].help_text = _("Leave empty to keep the number on record.")

    def household_fields(self):
        """The cleaned fields to hand to the service, without the hidden numbers left empty."""
        data = {name: self.cleaned_data[name] for name in ("head_name", "address", "phone", "id_number",
                                                           "members_count")}
        if self.keeps_hidden:
            for name in ("phone", "id_number"):
                if not data[name]:
                    del data[name]
        return data


class MoveOutForm(forms.Form):
    moved_out_on = forms.DateField(
        label=_("Moved out on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["moved_out_on"].initial = today
        self.fields["moved_out_on"].widget.attrs["max"] = today.isoformat()


class SeenHouseholdsField(forms.Field):
    """Households ticked on the roll, each sent as the page showed it: "id:member.member" (the ids
    of its members then, none for an unassigned one), so that the change is refused if someone
    else changed them meanwhile. Cleaned: {household id: frozenset of user ids}."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Tick at least one household."),
        "invalid": _("The list of households ticked is not valid: reload the page."),
        "too_many": _("Tick at most %(limit)d households at once."),
    }

    def to_python(self, value):
        if not value:
            return {}
        if len(value) > MAX_IDS:
            raise forms.ValidationError(self.error_messages["too_many"], code="too_many", params={"limit": MAX_IDS})
        seen = {}
        for item in value:
            household, _sep, members = str(item).partition(":")
            ids = [whole_number(household), *(whole_number(m) for m in members.split(".") if m)]
            if None in ids:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            seen[ids[0]] = frozenset(ids[1:])
        return seen


def _offer_members(form, names, team, day, members=None):
    """The fields `names` choose among the team's members that day. `members`: those the page has
    read already, offered without a query of their own (a posted form checks against the team)."""
    queryset = User.objects.filter(
        pk__in=Membership.objects.active_on(day).filter(team=team).values("user_id")
    ).order_by("name", "pk")
    for name in names:
        field = form.fields[name]
        field.queryset = queryset
        if members is not None:
            empty = [("", field.empty_label)] if getattr(field, "empty_label", None) is not None else []
            field.choices = [*empty, *((user.pk, str(user)) for user in members)]


class MemberChoice(forms.ModelChoiceField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("error_messages", {"required": _("Choose a member of the team."),
                                             "invalid_choice": _("Choose a member of the team.")})
        super().__init__(*args, **kwargs)


class AssignForm(forms.Form):
    """The roll page's action on the households ticked: assign them to a member of the team (as a
    pair: beside the one they have), or unassign them."""

    households = SeenHouseholdsField()
    member = MemberChoice(label=_("Member"), queryset=None, required=False, empty_label=_("Choose a member"))
    pair = forms.BooleanField(label=_("As a pair (keep the current member)"), required=False)

    def __init__(self, *args, team, day, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        _offer_members(self, ["member"], team, day, members)

    def clean(self):
        data = super().clean()
        if self.data.get("action") == "assign" and not data.get("member") and "member" not in self.errors:
            self.add_error("member", _("Choose the member to assign the households to."))
        return data


class DistributeForm(forms.Form):
    members = forms.ModelMultipleChoiceField(
        label=_("Among"), queryset=None, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one member to share the households."),
                        "invalid_choice": _("Choose members of the team."),
                        "invalid_pk_value": _("Choose members of the team.")},
    )

    def __init__(self, *args, team, day, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        _offer_members(self, ["members"], team, day, members)


class ReassignForm(forms.Form):
    from_member = MemberChoice(label=_("All the households of"), queryset=None, empty_label=_("Choose a member"))
    to_member = MemberChoice(label=_("go to"), queryset=None, empty_label=_("Choose a member"))

    def __init__(self, *args, team, day, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        _offer_members(self, ["from_member", "to_member"], team, day, members)
