from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from teams.admin import ScopedAdmin
from teams.scope import scope_for
from visits import services
from visits.models import Assignment, Household, HouseholdTag, Visit
from visits.scope import shows_personal_data


@admin.register(HouseholdTag)
class HouseholdTagAdmin(ScopedAdmin):
    list_display = ["name", "code", "priority"]


class HouseholdForm(forms.ModelForm):
    """Checked by the services' own rules (`household_errors`) before `create_household` or
    `update_household` saves it, tags included."""

    def clean(self):
        data = super().clean()
        candidate = Household(**{name: data.get(name, getattr(self.instance, name))
                                 for name in services.HOUSEHOLD_FIELDS})
        # The fields the form already refused, and the village (the service's permission), are not asked again.
        for name, message in services.household_errors(candidate, exclude=["village", *self.errors]).items():
            if name not in self.errors:
                self.add_error(name if name in self.fields else None, message)
        return data


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    list_display = ["head_name", "village", "address", "masked_phone", "members_count", "is_active"]
    list_filter = ["is_active", "tags", "village__town"]
    search_fields = ["head_name", "address"]
    list_select_related = ["village"]
    # By village as stored, then address (an index serves it): the model's order joins every
    # household to its village, town and county to sort by their names.
    ordering = ["village_id", "address"]
    raw_id_fields = ["village"]
    filter_horizontal = ["tags"]
    form = HouseholdForm
    fields = ["village", "head_name", "address", "phone", "id_number", "members_count", "tags", "is_active",
              "moved_out_on"]
    readonly_fields = ["is_active", "moved_out_on"]

    @admin.display(description=_("phone"))
    def masked_phone(self, household):
        return household.masked_phone

    @admin.display(description=_("ID number"))
    def masked_id_number(self, household):
        return household.masked_id_number

    def _shows_personal_data(self, request, obj):
        return obj is None or shows_personal_data(scope_for(request.user), obj.village)

    def get_fields(self, request, obj=None):
        if self._shows_personal_data(request, obj):
            return self.fields
        masked = {"phone": "masked_phone", "id_number": "masked_id_number"}
        return [masked.get(name, name) for name in self.fields]

    def get_readonly_fields(self, request, obj=None):
        if self._shows_personal_data(request, obj):
            return self.readonly_fields
        return [*self.readonly_fields, "masked_phone", "masked_id_number"]

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in services.HOUSEHOLD_FIELDS if name in form.cleaned_data}
        tags = form.cleaned_data["tags"]
        if change:
            saved = services.update_household(by=request.user, household=obj, tags=tags, **fields)
        else:
            saved = services.create_household(by=request.user, village=obj.village, tags=tags, **fields)
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        # The tags were saved by the service; a household has no inline rows.
        for formset in formsets:
            self.save_formset(request, form, formset, change)


@admin.register(Visit)
class VisitAdmin(ScopedAdmin):
    """Read-only: a visit is logged, and its follow-up flag changed, on the pages, where the
    service checks the team, its members on that date and the village's households."""

    list_display = ["date", "kind", "village", "team", "recorded_by", "needs_follow_up"]
    # A date filter rather than a date hierarchy, which reads every visit's year on each page.
    list_filter = ["kind", "needs_follow_up", "date", "village__town"]
    list_select_related = ["village", "team", "recorded_by"]
    raw_id_fields = ["village", "team", "cadres", "households", "recorded_by"]
    readonly_fields = ["recorded_by", "recorded_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def view_on_site(self, visit):
        return reverse("visit-detail", args=[visit.pk])


@admin.register(Assignment)
class AssignmentAdmin(ScopedAdmin):
    """Read-only history of 定点联系: assignments change on the pages, through the API or an Excel
    import, where the services check the team, its members on that date and the roll."""

    list_display = ["household", "member", "team", "start_date", "last_day", "assigned_by", "assigned_at",
                    "ended_by"]
    list_filter = ["membership__team", "household__village__town"]
    search_fields = ["household__head_name", "membership__user__name"]
    list_select_related = ["household", "membership__user", "membership__team", "assigned_by", "ended_by"]
    ordering = ["-pk"]
    fields = ["household", "membership", "start_date", "end_date", "assigned_by", "assigned_at", "ended_by",
              "ended_at"]
    readonly_fields = fields

    @admin.display(description=_("member"))
    def member(self, assignment):
        return assignment.membership.user

    @admin.display(description=_("team"))
    def team(self, assignment):
        return assignment.membership.team

    @admin.display(description=_("last day"))
    def last_day(self, assignment):
        return assignment.ends_on

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
