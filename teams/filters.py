import django_filters

from teams.models import Department, Team, Town, Village


class TownFilter(django_filters.FilterSet):
    class Meta:
        model = Town
        fields = ["county"]


class VillageFilter(django_filters.FilterSet):
    county = django_filters.NumberFilter(field_name="town__county")

    class Meta:
        model = Village
        fields = ["town", "county"]


class DepartmentFilter(django_filters.FilterSet):
    class Meta:
        model = Department
        fields = ["county"]


class TeamFilter(django_filters.FilterSet):
    town = django_filters.NumberFilter(field_name="village__town")
    county = django_filters.NumberFilter(field_name="village__town__county")

    class Meta:
        model = Team
        fields = ["village", "town", "county"]
