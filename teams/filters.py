"""The lists' filters, shared by the pages and the API, and the two filter kinds every app's
filters use for ids and yes/no: strict, so that a value the API's schema calls invalid is a
400 and one it calls valid is read as written."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from core.web import MAX_ID, whole_number
from teams.models import Department, LiaisonDay, Membership, Team, Town, Village


class IdField(forms.Field):
    """The id of one record: a whole number from 1. No lookup: an id outside the user's scope
    or of nothing filters to an empty list, as one that exists would outside the scope."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        number = whole_number(value)
        if number is None:
            raise ValidationError(_("Enter a record number: a whole number from 1."), code="invalid")
        return number


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.Filter):
    field_class = IdField


class YesNoField(forms.Field):
    """`true` or `false`, as the API's schema writes a boolean; empty is no filter."""

    widget = forms.Select(choices=[("", "---------"), ("true", _("Yes")), ("false", _("No"))])

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if value in ("true", "false"):
            return value == "true"
        raise ValidationError(_("Enter true or false."), code="invalid")


@extend_schema_field({"type": "boolean"})
class YesNoFilter(django_filters.Filter):
    field_class = YesNoField


class TownFilter(django_filters.FilterSet):
    county = IdFilter()

    class Meta:
        model = Town
        fields = ["county"]


class VillageFilter(django_filters.FilterSet):
    town = IdFilter()
    county = IdFilter(field_name="town__county")

    class Meta:
        model = Village
        fields = ["town", "county"]


class DepartmentFilter(django_filters.FilterSet):
    county = IdFilter()

    class Meta:
        model = Department
        fields = ["county"]


class TeamFilter(django_filters.FilterSet):
    village = IdFilter()
    town = IdFilter(field_name="village__town")
    county = IdFilter(field_name="village__town__county")

    class Meta:
        model = Team
        fields = ["village", "town", "county"]


class LiaisonDayFilter(django_filters.FilterSet):
    team = IdFilter()
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = LiaisonDay
        fields = ["team", "status", "date_after", "date_before"]


class MembershipFilter(django_filters.FilterSet):
    team = IdFilter()
    town = IdFilter(field_name="team__village__town")
    active_on = django_filters.DateFilter(method="filter_active_on", label="memberships active on this date")

    class Meta:
        model = Membership
        fields = ["team", "town", "active_on"]

    def filter_active_on(self, queryset, name, value):
        return queryset.active_on(value)
