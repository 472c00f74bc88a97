"""The filters of the household roll and the visit diary, shared by the pages and the API."""

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from teams.filters import IdFilter, YesNoFilter
from visits import selectors
from visits.models import Assignment, Household, Visit

DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class HouseholdFilter(django_filters.FilterSet):
    village = IdFilter()
    tag = django_filters.CharFilter(field_name="tags__code")
    q = django_filters.CharFilter(method="search", label="name, address or phone's last digits")
    not_visited = YesNoFilter(method="filter_not_visited", label="no household visit this year")
    is_active = YesNoFilter()

    class Meta:
        model = Household
        fields = ["village", "tag", "is_active"]

    def search(self, queryset, name, value):
        return selectors.search_households(queryset, value, user=self.request.user)

    def filter_not_visited(self, queryset, name, value):
        visited = selectors.visited_since(selectors.year_start(timezone.localdate()))
        return queryset.filter(~visited if value else visited)


class VisitFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Visit.Kind.choices, empty_label=_("All kinds"))
    village = IdFilter()
    team = IdFilter()
    cadre = IdFilter(label=_("Cadre"), field_name="cadres")
    household = IdFilter(field_name="households")
    needs_follow_up = YesNoFilter()
    date_after = django_filters.DateFilter(label=_("From"), field_name="date", lookup_expr="gte", widget=DATE_INPUT)
    date_before = django_filters.DateFilter(label=_("To"), field_name="date", lookup_expr="lte", widget=DATE_INPUT)

    class Meta:
        model = Visit
        fields = ["kind", "village", "team", "cadre", "household", "needs_follow_up", "date_after", "date_before"]

    def __init__(self, *args, cadres=None, **kwargs):
        """`cadres`: the people the diary page offers to choose from (the API takes any id)."""
        super().__init__(*args, **kwargs)
        if cadres is not None:
            self.filters["cadre"].extra["widget"] = forms.Select(
                choices=lambda: [("", _("All cadres")), *((user.pk, str(user)) for user in cadres)]
            )


class AssignmentFilter(django_filters.FilterSet):
    team = IdFilter(field_name="membership__team")
    village = IdFilter(field_name="household__village")
    town = IdFilter(field_name="household__village__town")
    member = IdFilter(field_name="membership__user", label="the member's user id")
    household = IdFilter()
    active_on = django_filters.DateFilter(method="filter_active_on",
                                          label="assignments in force on this date (the membership's too)")

    class Meta:
        model = Assignment
        fields = ["team", "village", "town", "member", "household", "active_on"]

    def filter_active_on(self, queryset, name, value):
        return queryset.active_on(value)


class UnassignedFilter(django_filters.FilterSet):
    """The households no member has on a day (`on`, default today), of a village, team or town."""

    village = IdFilter()
    team = IdFilter(field_name="village__team")
    town = IdFilter(field_name="village__town")
    on = django_filters.DateFilter(method="filter_on", label="the day (default today)")

    class Meta:
        model = Household
        fields = ["village", "team", "town", "on"]

    def filter_queryset(self, queryset):
        # Unassigned on the day asked, or today when none is: the rule runs with or without `on`.
        return selectors.unassigned(super().filter_queryset(queryset), self.form.cleaned_data.get("on"))

    def filter_on(self, queryset, name, value):
        return queryset
