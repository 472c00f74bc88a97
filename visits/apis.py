"""/api/v1/households/ and /api/v1/visits/.
Objects come through the scope module; writes go through the services."""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from core.listing import some
from teams import scope
from teams.models import User, Village
from visits import selectors, services
from visits.filters import HouseholdFilter, VisitFilter
from visits.models import Household, HouseholdTag, Visit
from visits.scope import shows_personal_data
from visits.serializers import (
    HouseholdInputSerializer,
    HouseholdSerializer,
    VisitInputSerializer,
    VisitSerializer,
)


def _village(user, pk):
    village = scope.visible(user, Village).select_related("team").filter(pk=pk).first()
    if village is None:
        raise ValidationError({"village": _("No such village among those you work in.")})
    return village


class HouseholdViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                       viewsets.GenericViewSet):
    """Households; phone and ID number masked in lists, in full on a household of your own
    team's village (or to administrators)."""

    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilter

    def get_queryset(self):
        households = (
            scope.visible(self.request.user, Household)
            .prefetch_related(Prefetch("tags", queryset=HouseholdTag.objects.order_by("priority", "code")))
            .annotate(last_visit=selectors.last_household_visit())
            .order_by("village_id", "pk")
        )
        if self.action == "retrieve":
            households = households.select_related("village__team")
        return households

    def retrieve(self, request, *args, **kwargs):
        household = self.get_object()
        full = shows_personal_data(scope.scope_for(request.user), household.village)
        return Response(HouseholdSerializer(household, context={"full": full}).data)

    @extend_schema(request=HouseholdInputSerializer, responses={201: HouseholdSerializer})
    def create(self, request, *args, **kwargs):
        data = HouseholdInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        village = _village(request.user, fields.pop("village"))
        household = services.create_household(by=request.user, village=village, **fields)
        full = shows_personal_data(scope.scope_for(request.user), village)
        return Response(HouseholdSerializer(household, context={"full": full}).data, status=status.HTTP_201_CREATED)


class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):
    """Visits (走访, 接待, 慰问, 座谈) with their cadres and households."""

    serializer_class = VisitSerializer
    filterset_class = VisitFilter

    def get_queryset(self):
        return (
            scope.visible(self.request.user, Visit)
            .prefetch_related(
                Prefetch("cadres", queryset=User.objects.only("pk")),
                Prefetch("households", queryset=Household.objects.only("pk")),
            )
            .order_by("-date", "-pk")
        )

    @extend_schema(request=VisitInputSerializer, responses={201: VisitSerializer})
    def create(self, request, *args, **kwargs):
        data = VisitInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        village = _village(request.user, fields.pop("village"))
        services.team_for_visit(by=request.user, village=village)
        cadre_ids, household_ids = set(fields.pop("cadres")), set(fields.pop("households"))
        # People the user may not see are unknown, like ids that name nobody: never named.
        cadres = list(scope.visible(request.user, User).filter(pk__in=cadre_ids))
        households = list(scope.visible(request.user, Household).filter(pk__in=household_ids))
        errors = {}
        if len(cadres) != len(cadre_ids):
            errors["cadres"] = _("Unknown cadre: %(ids)s.") % {
                "ids": some(sorted(cadre_ids - {c.pk for c in cadres}), ", ")
            }
        if len(households) != len(household_ids):
            errors["households"] = _("Unknown household: %(ids)s.") % {
                "ids": some(sorted(household_ids - {h.pk for h in households}), ", ")
            }
        if errors:
            raise ValidationError(errors)
        visit = services.log_visit(by=request.user, village=village, cadres=cadres, households=households, **fields)
        return Response(VisitSerializer(visit).data, status=status.HTTP_201_CREATED)
