"""/api/v1/categories/, /api/v1/issues/ (the ledger, and one POST per transition), and the raw
facts behind the figures: /api/v1/steps/ and /api/v1/ratings/."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from issues import selectors, services
from issues.filters import IssueFilter, RatingFilter, StepFilter
from issues.models import Event, Step
from issues.serializers import (
    CategorySerializer,
    EscalateSerializer,
    ExplainSerializer,
    FeedbackSerializer,
    HandoverSerializer,
    IssueDetailSerializer,
    IssueSerializer,
    NoteSerializer,
    RateSerializer,
    RatingSerializer,
    RegisterSerializer,
    ResolveSerializer,
    StepFactSerializer,
)
from teams import scope


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CategorySerializer
    pagination_class = None
    lookup_field = "code"

    def get_queryset(self):
        return selectors.categories()


class IssueViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_field = "code"
    lookup_value_regex = "[0-9A-Za-z-]+"
    filterset_class = IssueFilter

    def get_queryset(self):
        return selectors.ledger(self.request.user)

    def get_serializer_class(self):
        return IssueSerializer if self.action == "list" else IssueDetailSerializer

    def get_object(self):
        try:
            return selectors.issue_detail(self.request.user, self.kwargs["code"])
        except Http404:
            raise NotFound from None

    def _detail(self, issue, status_code=status.HTTP_200_OK):
        fresh = selectors.issue_detail(self.request.user, issue.code)
        return Response(IssueDetailSerializer(fresh, context={"request": self.request}).data, status=status_code)

    @extend_schema(request=RegisterSerializer, responses=IssueDetailSerializer)
    def create(self, request):
        data = RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issue = services.register(by=request.user, **data.validated_data)
        return self._detail(issue, status.HTTP_201_CREATED)

    def _transition(self, serializer_class, service, **extra):
        issue = self.get_object()
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        service(issue=issue, seen_step=fields.pop("step", None), **extra, **fields)
        return self._detail(issue)

    @extend_schema(request=NoteSerializer, responses=IssueDetailSerializer)
    @action(detail=True, methods=["post"])
    def progress(self, request, code=None):
        return self._transition(NoteSerializer, services.add_progress, by=request.user)

    @extend_schema(request=EscalateSerializer, responses=IssueDetailSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, code=None):
        return self._transition(EscalateSerializer, services.escalate, by=request.user)

    @extend_schema(request=ResolveSerializer, responses=IssueDetailSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, code=None):
        return self._transition(ResolveSerializer, services.resolve, by=request.user)

    @extend_schema(request=ExplainSerializer, responses=IssueDetailSerializer)
    @action(detail=True, methods=["post"])
    def explain(self, request, code=None):
        return self._transition(ExplainSerializer, services.explain, by=request.user)

    @extend_schema(request=FeedbackSerializer, responses=IssueDetailSerializer)
    @action(detail=True, methods=["post"])
    def feedback(self, request, code=None):
        return self._transition(FeedbackSerializer, services.record_feedback, by=request.user)

    @extend_schema(request=RateSerializer, responses=IssueDetailSerializer)
    @action(detail=True, methods=["post"])
    def rate(self, request, code=None):
        return self._transition(RateSerializer, services.rate, by=request.user)

    @extend_schema(request=HandoverSerializer, responses=IssueDetailSerializer)
    @action(detail=True, methods=["post"])
    def handover(self, request, code=None):
        return self._transition(HandoverSerializer, services.hand_over, by=request.user)


# The facts' lists show their issue's code (and village), never its texts: leaving them out keeps the
# rows a scope's sort or a page reads narrow.
ISSUE_TEXTS = ("issue__title", "issue__description", "issue__result", "issue__feedback_note",
               "issue__satisfaction_comment")


class StepViewSet(viewsets.ReadOnlyModelViewSet):
    """Every handling step with its due and end times and outcome: the timely-handling rate's facts."""

    serializer_class = StepFactSerializer
    filterset_class = StepFilter

    def get_queryset(self):
        return (
            scope.visible(self.request.user, Step).select_related("issue").defer("note", *ISSUE_TEXTS)
            .order_by("due_at", "pk")
        )


class RatingViewSet(viewsets.ReadOnlyModelViewSet):
    """Every rating ever given, each at its own time: the satisfaction rate's facts."""

    serializer_class = RatingSerializer
    filterset_class = RatingFilter

    def get_queryset(self):
        return (
            scope.visible(self.request.user, Event).filter(kind=Event.Kind.RATED)
            .select_related("issue").defer("public_note", "internal_note", *ISSUE_TEXTS).order_by("at", "pk")
        )
