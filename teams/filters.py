import django_filters

from teams.models import Department, LiaisonDay, Membership, Team, Town, Village


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


class LiaisonDayFilter(django_filters.FilterSet):
    team = django_filters.NumberFilter()
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = LiaisonDay
        fields = ["team", "status", "date_after", "date_before"]


class MembershipFilter(django_filters.FilterSet):
    town = django_filters.NumberFilter(field_name="team__village__town")
    active_on = django_filters.DateFilter(method="filter_active_on", label="memberships active on this date")

    class Meta:
        model = Membership
        fields = ["team", "town", "active_on"]

    def filter_active_on(self, queryset, name, value):
        return queryset.active_on(value)
