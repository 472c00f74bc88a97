import django_filters
from django.utils import timezone

from teams.models import LiaisonDay
from visits import selectors
from visits.models import Household, Visit


class HouseholdFilter(django_filters.FilterSet):
    village = django_filters.NumberFilter()
    tag = django_filters.CharFilter(field_name="tags__code")
    q = django_filters.CharFilter(method="search", label="name, address or phone's last digits")
    not_visited = django_filters.BooleanFilter(method="filter_not_visited", label="no household visit this year")

    class Meta:
        model = Household
        fields = ["village", "tag", "is_active"]

    def search(self, queryset, name, value):
        return selectors.search_households(queryset, value, user=self.request.user)

    def filter_not_visited(self, queryset, name, value):
        visited = selectors.visited_since(selectors.year_start(timezone.localdate()))
        return queryset.filter(~visited if value else visited)


class LiaisonDayFilter(django_filters.FilterSet):
    team = django_filters.NumberFilter()
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = LiaisonDay
        fields = ["team", "status", "date_after", "date_before"]


class VisitFilter(django_filters.FilterSet):
    village = django_filters.NumberFilter()
    team = django_filters.NumberFilter()
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte")
    cadre = django_filters.NumberFilter(field_name="cadres")
    household = django_filters.NumberFilter(field_name="households")

    class Meta:
        model = Visit
        fields = ["kind", "village", "team", "cadre", "household", "needs_follow_up", "date_after", "date_before"]
