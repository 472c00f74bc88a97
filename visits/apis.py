"""/api/v1/households/, /api/v1/visits/ and /api/v1/assignments/.
Objects come through the scope module; writes go through the services."""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.listing import some
from teams import scope
from teams.models import Team, User, Village
from visits import assignments, selectors, services
from visits.filters import AssignmentFilter, HouseholdFilter, UnassignedFilter, VisitFilter
from visits.models import Assignment, Household, HouseholdTag, Visit
from visits.scope import assignment_watchers, shows_personal_data
from visits.serializers import (
    AssignInputSerializer,
    AssignmentSerializer,
    CountSerializer,
    DistributeInputSerializer,
    HouseholdInputSerializer,
    HouseholdSerializer,
    ReassignInputSerializer,
    UnassignedHouseholdSerializer,
    UnassignInputSerializer,
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


# 定点联系.

def _people(user, ids, field):
    """The users `ids` among those the user may see, in that order; the others are unknown (400)."""
    found = scope.visible(user, User).in_bulk(ids)
    unknown = [pk for pk in ids if pk not in found]
    if unknown:
        raise ValidationError({field: _("Unknown member: %(ids)s.") % {"ids": some(sorted(set(unknown)), ", ")}})
    return [found[pk] for pk in ids]


def _team(user, pk):
    team = scope.visible(user, Team).select_related("village").filter(pk=pk).first()
    if team is None:
        raise ValidationError({"team": _("No such team among those you see.")})
    return team


def _households_of_one_village(user, ids):
    """The households `ids` (all of one village, among those the user sees) and its team."""
    ids = set(ids)
    households = list(scope.visible(user, Household).filter(pk__in=ids).select_related("village__team"))
    if len(households) != len(ids):
        raise ValidationError({"households": _("Unknown household: %(ids)s.") % {
            "ids": some(sorted(ids - {h.pk for h in households}), ", ")}})
    villages = {h.village for h in households}
    if len(villages) > 1:
        raise ValidationError({"households": _("Choose households of one village: these are of %(villages)s.") % {
            "villages": some(sorted(v.name for v in villages))}})
    village = villages.pop()
    team = getattr(village, "team", None)
    if team is None:
        raise ValidationError({"households": _("%(village)s has no team.") % {"village": village}})
    return households, team


# A POST's rows, as a plain list (a list serializer would be described as a page).
ROWS = {"type": "array", "items": {"$ref": "#/components/schemas/Assignment"}}
GIVEN = {"type": "array", "description": "How many households each member was given.", "items": {
    "type": "object", "required": ["member", "count"],
    "properties": {"member": {"type": "integer", "description": "user id"}, "count": {"type": "integer"}}}}
CHANGE_ANSWERS = {
    403: OpenApiResponse(description="Only the team's leader, its town office and administrators assign."),
}


class AssignmentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """定点联系 with history: every assignment of a household to a member, ended ones included (a
    member sees their own; the team's leader the team's, the town office its town's, the
    organization department its county's). `end_date` is the last day in force: the row's own
    end or its membership's, whichever comes first. `unassigned/` lists the households no member
    has on a day. The POSTs go through the services of `visits.assignments`."""

    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter

    def get_queryset(self):
        if self.action == "unassigned":
            watched = assignment_watchers(scope.scope_for(self.request.user))
            return (Household.objects.filter(watched.q("village__"))
                    .prefetch_related(Prefetch("tags", queryset=HouseholdTag.objects.order_by("priority", "code")))
                    .order_by("village_id", "pk"))
        return (scope.visible(self.request.user, Assignment)
                .select_related("membership__user", "household").order_by("pk"))

    def _rows(self, assignments_):
        rows = self.get_queryset().filter(pk__in=[a.pk for a in assignments_])
        return AssignmentSerializer(rows, many=True).data

    @extend_schema(request=AssignInputSerializer,
                   responses={201: ROWS, **CHANGE_ANSWERS})
    def create(self, request, *args, **kwargs):
        """Assign `households` (ids, of one village) to `member` (a user id) from `start_date`
        (default today): their other members end the day before, unless `pair`. A repeat of a
        request's `client_id` creates nothing and answers the rows it created."""
        data = AssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        households, team = _households_of_one_village(request.user, fields["households"])
        [member] = _people(request.user, [fields["member"]], "member")
        created = assignments.assign(by=request.user, team=team, households=households, member=member,
                                     on=fields["start_date"], pair=fields["pair"], client_id=fields["client_id"])
        return Response(self._rows(created), status=status.HTTP_201_CREATED)

    @extend_schema(request=ReassignInputSerializer, responses={200: CountSerializer, **CHANGE_ANSWERS})
    @action(detail=False, methods=["post"])
    def reassign(self, request):
        """Every household `from_member` has in `team` goes to `to_member` from `start_date` in
        one step (a member transferred, or on long leave). `count`: households moved."""
        data = ReassignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        team = _team(request.user, fields["team"])
        from_member, to_member = _people(request.user, [fields["from_member"], fields["to_member"]], "member")
        moved = assignments.reassign_all(by=request.user, team=team, from_member=from_member, to_member=to_member,
                                         on=fields["start_date"])
        return Response({"count": moved})

    @extend_schema(request=UnassignInputSerializer, responses={200: CountSerializer, **CHANGE_ANSWERS})
    @action(detail=False, methods=["post"])
    def unassign(self, request):
        """The `households` leave their member (`member`, or every one) from `start_date`: listed
        as unassigned until someone takes them. `count`: assignments ended."""
        data = UnassignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        households, team = _households_of_one_village(request.user, fields["households"])
        member = _people(request.user, [fields["member"]], "member")[0] if fields["member"] else None
        ended = assignments.unassign(by=request.user, team=team, households=households, member=member,
                                     on=fields["start_date"])
        return Response({"count": ended})

    @extend_schema(request=DistributeInputSerializer, responses={200: GIVEN, **CHANGE_ANSWERS})
    @action(detail=False, methods=["post"])
    def distribute(self, request):
        """The village's unassigned households shared evenly among `members` (default: every
        member of the team that day), neighbours kept together; the assigned stay as they are."""
        data = DistributeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        team = _team(request.user, fields["team"])
        members = _people(request.user, list(dict.fromkeys(fields["members"])), "members") \
            if fields["members"] else None
        given = assignments.distribute_evenly(by=request.user, team=team, members=members, on=fields["start_date"])
        return Response([{"member": user, "count": count} for user, count in given.items()])

    @extend_schema(responses=UnassignedHouseholdSerializer(many=True))
    @action(detail=False, methods=["get"], filterset_class=UnassignedFilter,
            serializer_class=UnassignedHouseholdSerializer)
    def unassigned(self, request):
        """The households on the roll that no member has on `on` (default today), in the villages
        whose assignments the user oversees (a team's leader, the town office, the organization
        department): filter by `village`, `team` or `town`."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(UnassignedHouseholdSerializer(page, many=True).data)
