"""GET /api/v1/metrics/?unit=team:12&period=month:2026-11: a unit's figures for a period."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from reports import periods, selectors
from reports.models import COUNTS, METRICS, Unit
from teams.web import whole_number

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


def parse_period(value):
    try:
        return periods.parse(value)
    except ValueError:
        raise ValidationError({"period": [_(
            "Name the period as week:2026-W47, month:2026-11, quarter:2026-Q4 or year:2026."
        )]}) from None


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
            OpenApiParameter("period", OpenApiTypes.STR, required=True, pattern=periods.PATTERN,
                             description="week:2026-W47, month:2026-11, quarter:2026-Q4 or year:2026"),
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


# /api/v1/exports/: Excel exports as jobs (reports/exports.py).

from django.http import FileResponse, Http404  # noqa: E402
from rest_framework import mixins, status, viewsets  # noqa: E402
from rest_framework.decorators import action  # noqa: E402

from reports import exports  # noqa: E402
from reports.models import ExportJob  # noqa: E402


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


class ExportRequestSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="issues, visits, attendance or dashboard (assessment: not yet)")


class ExportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The user's own exports. POST `kind` and the list's filters (the ledger's, the visit diary's,
    `team`/`town` and `month` for attendance, `unit`/`id`/`period` for a dashboard's figures): a job
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
