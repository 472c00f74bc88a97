"""/api/v1/inspections/ (GET, POST) and /api/v1/assessments/ (GET): the rules are in
inspections.py and assessments.py, as for the pages."""

import django_filters
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from core.listing import IdListField
from core.web import whole_number
from reports import periods
from reports import scope as reports_scope
from reports.models import AssessmentRound, Inspection, Unit
from reports.oversight import assessments, inspections
from teams import scope
from teams.filters import IdFilter
from teams.models import Team, User


class InspectionFilter(django_filters.FilterSet):
    team = IdFilter(field_name="team")
    town = IdFilter(field_name="team__village__town")
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = Inspection
        fields = []


class InspectionSerializer(serializers.ModelSerializer):
    town = serializers.IntegerField(source="team.village.town_id", read_only=True)
    absent_members = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    criticised = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    deduction = serializers.DecimalField(max_digits=4, decimal_places=1, coerce_to_string=False)

    class Meta:
        model = Inspection
        fields = ["id", "team", "town", "liaison_day", "date", "inspectors", *inspections.CHECKLIST,
                  "absent_members", "findings", "deduction", "criticism", "criticised", "recorded_by", "recorded_at"]


class InspectionInputSerializer(serializers.Serializer):
    team = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    date = serializers.DateField()
    inspectors = serializers.CharField(max_length=inspections.INSPECTORS.chars)
    team_present = serializers.BooleanField(default=True)
    notice_posted = serializers.BooleanField(default=True)
    log_kept = serializers.BooleanField(default=True)
    ledger_up_to_date = serializers.BooleanField(default=True)
    absent_members = IdListField(default=list, max_length=100)
    findings = serializers.CharField(required=False, allow_blank=True, default="",
                                     max_length=inspections.FINDINGS.chars)
    deduction = serializers.DecimalField(max_digits=5, decimal_places=1, default=0)
    criticism = serializers.CharField(required=False, allow_blank=True, default="",
                                      max_length=inspections.CRITICISM.chars)
    criticised = IdListField(default=list, max_length=100)


def _members(ids, members):
    """The people `ids` name, for the service to check: an id outside the team's `members` on
    the day stands for an account not looked up, so the answer is the same whether it is
    anyone's, of any county, or nobody's, and names no one."""
    return [members.get(pk) or User(pk=pk) for pk in dict.fromkeys(ids)]


class InspectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        viewsets.GenericViewSet):
    """Inspections (督查) the user sees; the organization department records them."""

    serializer_class = InspectionSerializer
    filterset_class = InspectionFilter

    def get_queryset(self):
        return inspections.inspections(self.request.user).prefetch_related("absent_members")

    @extend_schema(request=InspectionInputSerializer, responses={201: InspectionSerializer})
    def create(self, request):
        # The body is read first, as every endpoint does: bad input is a 400 whoever sends it.
        data = InspectionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not reports_scope.may_record_inspections(request.user):
            raise PermissionDenied(_("Only the county's organization department records inspections."))
        fields = dict(data.validated_data)
        team = scope.visible(request.user, Team).select_related("village__town").filter(pk=fields.pop("team")).first()
        if team is None:
            raise ValidationError({"team": [_("No such team among those you see.")]})
        members = {m.user_id: m.user for m in inspections.team_members(team, fields["date"])}
        fields["absent_members"] = _members(fields["absent_members"], members)
        fields["criticised"] = _members(fields["criticised"], members)
        inspection = inspections.record(by=request.user, team=team, **fields)
        fresh = self.get_queryset().get(pk=inspection.pk)
        return Response(InspectionSerializer(fresh).data, status=status.HTTP_201_CREATED)


def _round_fields(round_):
    return {
        "id": round_.pk, "title": round_.title, "county": round_.county_id,
        "period": periods.Period(round_.period, round_.start).key, "start": round_.start, "end": round_.end,
        "status": round_.status, "weights": assessments.weights_of(round_), "figures_at": round_.figures_at,
        "published_at": round_.published_at, "published_by": round_.published_by_id,
    }


def _result(round_, row, place):
    weights = assessments.weights_of(round_)
    figures = assessments.figures_of(row)
    points = assessments.metric_points(figures, weights)
    return {
        "unit": row.unit, "unit_id": row.unit_id, "name": row.name, "town": row.town_id, "rank": row.rank,
        "place": place, "score": row.score, "deduction": row.deduction,
        "metrics": {m: {"numerator": n, "denominator": d, "rate": row.rate(m), "weight": weights[m],
                        "points": points[m]} for m, (n, d) in figures.items()},
        "inspections": [i.pk for i in row.inspections.all()],
    }


_points = inline_serializer("AssessmentMetric", {
    "numerator": serializers.IntegerField(), "denominator": serializers.IntegerField(),
    "rate": serializers.FloatField(allow_null=True), "weight": serializers.IntegerField(),
    "points": serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True, coerce_to_string=False),
})
_round_schema = {
    "id": serializers.IntegerField(), "title": serializers.CharField(), "county": serializers.IntegerField(),
    "period": serializers.CharField(), "start": serializers.DateField(), "end": serializers.DateField(),
    "status": serializers.ChoiceField(choices=AssessmentRound.Status.choices),
    "weights": serializers.DictField(child=serializers.IntegerField()),
    "figures_at": serializers.DateTimeField(allow_null=True),
    "published_at": serializers.DateTimeField(allow_null=True),
    "published_by": serializers.IntegerField(allow_null=True),
}
_result_schema = inline_serializer("AssessmentResult", {
    "unit": serializers.ChoiceField(choices=[Unit.TOWN, Unit.TEAM]), "unit_id": serializers.IntegerField(),
    "name": serializers.CharField(), "town": serializers.IntegerField(),
    "rank": serializers.IntegerField(allow_null=True, help_text="A town's among the county's towns, a team's among "
                                     "its town's teams"),
    "place": serializers.IntegerField(allow_null=True, help_text="Among all the county's towns, or all its teams: "
                                      "the place the red and black lists use"),
    "score": serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True, coerce_to_string=False),
    "deduction": serializers.DecimalField(max_digits=7, decimal_places=1, coerce_to_string=False),
    "metrics": serializers.DictField(child=_points), "inspections": serializers.ListField(
        child=serializers.IntegerField()),
})


class AssessmentViewSet(viewsets.GenericViewSet):
    """Assessment rounds (考核): the organization department's, drafts included; a town office's
    county's published rounds with its own town's and teams' results."""

    def get_queryset(self):
        return assessments.rounds(self.request.user).order_by("-start", "-pk")

    @extend_schema(responses=inline_serializer("AssessmentRound", _round_schema, many=True))
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([_round_fields(r) for r in page])

    @extend_schema(responses=inline_serializer("AssessmentRoundDetail", {
        **_round_schema, "results": serializers.ListField(child=_result_schema)}))
    def retrieve(self, request, pk=None):
        round_ = assessments.round_for(request.user, whole_number(pk) or 0)
        if round_ is None:
            raise NotFound(_("No such assessment round among those you see."))
        rows = [row for unit in (Unit.TOWN, Unit.TEAM) for row in assessments.results(request.user, round_, unit)
                .prefetch_related("inspections")]
        places = assessments.places(round_)
        return Response({**_round_fields(round_), "results": [_result(round_, row, places[row.pk]) for row in rows]})
