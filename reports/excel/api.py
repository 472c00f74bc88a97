"""/api/v1/exports/: Excel exports as jobs (reports/excel/exports.py)."""

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from reports.excel import exports, sheets
from reports.models import ExportJob


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
        super().__init__(choices=list(sheets.KINDS), **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or data not in self.choices:
            raise ValidationError(_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(sheets.KINDS)})
        return data


class ExportRequestSerializer(serializers.Serializer):
    """The kind, and the list's filters as further members of the same object."""

    kind = ExportKindField(help_text="issues, visits, attendance, dashboard, assessment or assignments")

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
