"""GET /api/v1/metrics/?unit=team:12&period=month:2026-11: a unit's figures for a period."""

import re
from datetime import date

import django_filters
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.listing import IdListField
from core.web import whole_number
from reports import assessments, exports, inspections, periods, selectors
from reports.models import COUNTS, METRICS, AssessmentRound, ExportJob, Inspection, Unit
from teams import scope
from teams.filters import IdFilter
from teams.models import Team, User

_metric = inline_serializer("Metric", {
    "numerator": serializers.IntegerField(), "denominator": serializers.IntegerField(),
    "rate": serializers.FloatField(allow_null=True),
})


UNIT_PATTERN = r"^(team|town|county|department):[1-9][0-9]{0,17}$"


def parse_unit(value):
    kind, _sep, pk = (value or "").partition(":")
    unit_id = whole_number(pk)
    if kind not in Unit.values or unit_id is None:
        raise ValidationError({"unit": [_("Name the unit as team:ID, town:ID, county:ID or department:ID.")]})
    return kind, unit_id


# The schema's pattern of the keys `periods.parse` takes: years FIRST_YEAR to LAST_YEAR, and week 53
# only in the years that have one (week:7802-W53 fitted the old pattern and was refused). Every key
# the pattern takes is a period, and no other.
FIRST_YEAR, LAST_YEAR = periods.FIRST_YEAR, periods.LAST_YEAR
_YEAR = r"20[0-9]{2}"
_LONG_YEARS = "|".join(str(year) for year in range(FIRST_YEAR, LAST_YEAR + 1)
                       if date(year, 12, 28).isocalendar().week == 53)
PERIOD_PATTERN = (
    rf"^(?:week:(?:{_YEAR}-W(?:0[1-9]|[1-4][0-9]|5[0-2])|(?:{_LONG_YEARS})-W53)"
    rf"|month:{_YEAR}-(?:0[1-9]|1[0-2])|quarter:{_YEAR}-Q[1-4]|year:{_YEAR})$"
)


def parse_period(value):
    try:
        return periods.parse(value)
    except ValueError:
        pass
    if not re.match(periods.PATTERN, value or "", re.ASCII):
        raise ValidationError({"period": [_(
            "Name the period as week:2026-W47, month:2026-11, quarter:2026-Q4 or year:2026."
        )]})
    raise ValidationError({"period": [_(
        "A period lies between %(first)d and %(last)d, and week 53 only in a year that has one."
    ) % {"first": FIRST_YEAR, "last": LAST_YEAR}]})


def figures(row):
    return {
        "metrics": {
            metric: {"numerator": getattr(row, f"{metric}_num"), "denominator": getattr(row, f"{metric}_den"),
                     "rate": row.rate(metric)}
            for metric in METRICS
        },
        "counts": {name: getattr(row, name) for name in COUNTS},
    }


class MetricsView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("unit", OpenApiTypes.STR, required=True, pattern=UNIT_PATTERN,
                             description="team:ID, town:ID, county:ID or department:ID"),
            OpenApiParameter("period", OpenApiTypes.STR, required=True, pattern=PERIOD_PATTERN,
                             description="week:2026-W47, month:2026-11, quarter:2026-Q4 or year:2026; "
                                         "years 2000 to 2099, week 53 only in a year that has one"),
        ],
        responses=inline_serializer("Metrics", {
            "unit": serializers.CharField(), "period": serializers.CharField(),
            "computed_at": serializers.DateTimeField(),
            "metrics": serializers.DictField(child=_metric),
            "counts": serializers.DictField(child=serializers.IntegerField()),
        }),
    )
    def get(self, request):
        unit, unit_id = parse_unit(request.query_params.get("unit"))
        period = parse_period(request.query_params.get("period"))
        if not selectors.may_see(request.user, unit, unit_id):
            raise NotFound(_("No such unit among those you see."))
        row = selectors.snapshot(unit, unit_id, period)
        if row is None:
            raise NotFound(_("No figures have been computed for this unit and period."))
        return Response({"unit": f"{unit}:{unit_id}", "period": period.key, "computed_at": row.computed_at,
                         **figures(row)})


# /api/v1/inspections/ (GET, POST) and /api/v1/assessments/ (GET): the rules are in
# inspections.py and assessments.py, as for the pages.




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
        if not inspections.may_record(request.user):
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
# /api/v1/exports/: Excel exports as jobs (reports/exports.py).




class ExportSerializer(serializers.ModelSerializer):
    progress = serializers.IntegerField(read_only=True, help_text="0–100")
    download = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = ["id", "kind", "filters", "status", "progress", "rows", "total", "created_at", "finished_at",
                  "expires_at", "download"]

    def get_download(self, job) -> str | None:
        from django.urls import reverse
        from django.utils import timezone

        if job.status != ExportJob.Status.DONE or job.is_expired(timezone.now()):
            return None
        return self.context["request"].build_absolute_uri(reverse("api:export-download", args=[job.pk]))


# The schema of the filters an export takes beside its kind, as `exports.filter_refusals` bounds them.
NO_NUL = "^[^\\x00]*$"
_FILTER_TEXT = {"type": "string", "maxLength": exports.MAX_FILTER_TEXT, "pattern": NO_NUL}
_FILTER_SCALAR = [_FILTER_TEXT, {"type": "number"}, {"type": "boolean"}]
FILTER_VALUE_SCHEMA = {"anyOf": [*_FILTER_SCALAR, {
    "type": "array", "maxItems": exports.MAX_FILTER_VALUES, "items": {"anyOf": _FILTER_SCALAR},
}]}


class ExportKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=list(exports.KINDS), **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or data not in self.choices:
            raise ValidationError(_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(exports.KINDS)})
        return data


class ExportRequestSerializer(serializers.Serializer):
    """The kind, and the list's filters as further members of the same object."""

    kind = ExportKindField(help_text="issues, visits, attendance, dashboard or assessment")

    def validate(self, attrs):
        refusals = exports.filter_refusals({k: v for k, v in self.initial_data.items() if k != "kind"})
        if refusals:
            raise ValidationError(refusals)
        return attrs


class ExportRequestSchema(OpenApiSerializerExtension):
    """The filters beside the kind, as the schema of any further member (OpenAPI 3.0 cannot bound
    their names: a name longer than exports.MAX_FILTER_NAME or with a NUL is refused too)."""

    target_class = ExportRequestSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        return {**schema, "additionalProperties": FILTER_VALUE_SCHEMA, "maxProperties": exports.MAX_FILTERS + 1}


class ExportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The user's own exports. POST `kind` and the list's filters (the ledger's, the visit diary's,
    `team`/`town` and `month` for attendance, `unit`/`id`/`period` for a dashboard's figures, `round`
    for an assessment round's results: 404 for a round the user does not see): a job
    of at most EXPORT_INLINE_ROWS rows is answered done; a larger one is written by a worker, its
    `progress` and `rows` growing until `download` appears. Files are served to their requester only."""

    serializer_class = ExportSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's view has no user
            return ExportJob.objects.none()
        return exports.jobs_of(self.request.user)

    @extend_schema(request=ExportRequestSerializer, responses={201: ExportSerializer})
    def create(self, request):
        if not isinstance(request.data, dict):
            raise ValidationError({"detail": [_("Send an object: the kind and the list's filters.")]})
        request_data = ExportRequestSerializer(data=request.data)
        request_data.is_valid(raise_exception=True)
        job = exports.start(user=request.user, kind=request_data.validated_data["kind"], data=request.data,
                            small_now=True)
        return Response(self.get_serializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, exports.XLSX): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        from django.utils import timezone

        job = self.get_object()
        if job.status != ExportJob.Status.DONE or not job.file or job.is_expired(timezone.now()):
            raise NotFound(_("This export has no file (not finished yet, or expired)."))
        try:
            handle = job.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(handle, as_attachment=True, filename=exports.filename(job), content_type=exports.XLSX)
