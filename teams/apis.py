from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core import auth
from core.listing import MAX_IDS
from teams import attendance, scope
from teams.filters import (
    DepartmentFilter,
    LiaisonDayFilter,
    MembershipFilter,
    TeamFilter,
    TownFilter,
    VillageFilter,
)
from teams.models import Attendance, Department, LiaisonDay, Membership, Team, Town, Village
from teams.serializers import (
    AttendanceEntrySerializer,
    DepartmentSerializer,
    LiaisonDaySerializer,
    MembershipSerializer,
    TeamSerializer,
    TownSerializer,
    VillageSerializer,
)


class TokenView(APIView):
    """POST username and password → {"token": …, "expires_at": …}, a new token for this device or
    script each time; DELETE with a token revokes that token only."""

    throttle_classes = ()
    serializer_class = AuthTokenSerializer

    def get_permissions(self):
        return [IsAuthenticated()] if self.request.method == "DELETE" else []

    def get_serializer(self, *args, **kwargs):
        # django-axes marks the request it is handed when it locks a sign-in out, and its middleware
        # answers from that mark: hand it Django's request rather than DRF's wrapper around it.
        return self.serializer_class(*args, context={"request": self.request._request, "view": self}, **kwargs)

    @extend_schema(
        request=AuthTokenSerializer,
        responses=inline_serializer(
            "Token", {"token": serializers.CharField(), "expires_at": serializers.DateTimeField()}
        ),
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, key = auth.token_for(serializer.validated_data["user"])
        return Response({"token": key, "expires_at": auth.expires_at(token)})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, *args, **kwargs):
        if not auth.revoke_token(request.auth):
            raise ValidationError({"detail": _("This request was not signed with an API token: there is none to "
                                               "revoke. Send the token with the request.")})
        return Response(status=204)


class MeView(APIView):
    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "id": serializers.IntegerField(),
                "username": serializers.CharField(),
                "name": serializers.CharField(),
                "positions": inline_serializer("Position", {
                    "kind": serializers.ChoiceField(
                        ["member", "leader", "town_office", "department", "org_department", "admin"]
                    ),
                    "team": serializers.IntegerField(required=False),
                    "town": serializers.IntegerField(required=False),
                    "department": serializers.IntegerField(required=False),
                    "county": serializers.IntegerField(required=False),
                }, many=True),
            },
        )
    )
    def get(self, request):
        user = request.user
        return Response(
            {"id": user.pk, "username": user.username, "name": user.name, "positions": scope.positions(user)}
        )


class ScopedViewSet(viewsets.ReadOnlyModelViewSet):
    """A read-only endpoint whose objects come through the scope module."""

    def get_queryset(self):
        return scope.visible(self.request.user, self.base_queryset())


class TownViewSet(ScopedViewSet):
    serializer_class = TownSerializer
    filterset_class = TownFilter

    def base_queryset(self):
        return Town.objects.order_by("county", "name")


class VillageViewSet(ScopedViewSet):
    serializer_class = VillageSerializer
    filterset_class = VillageFilter

    def base_queryset(self):
        return Village.objects.select_related("town").order_by("town", "name")


class DepartmentViewSet(ScopedViewSet):
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilter

    def base_queryset(self):
        return Department.objects.order_by("county", "name")


class TeamViewSet(ScopedViewSet):
    serializer_class = TeamSerializer
    filterset_class = TeamFilter

    def base_queryset(self):
        today = timezone.localdate()
        current = (
            Membership.objects.active_on(today).select_related("user").order_by("start_date", "pk")
        )
        return (
            Team.objects.select_related("village__town__county", "schedule__team__village__town__county")
            .prefetch_related(Prefetch("memberships", queryset=current, to_attr="current_memberships"))
            .order_by("village__town", "village__name")
        )


class MembershipViewSet(ScopedViewSet):
    """Every membership with its history, so that anyone can recompute an attendance rate."""

    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter

    def base_queryset(self):
        return Membership.objects.order_by("team", "start_date", "pk")


class LiaisonDayViewSet(viewsets.ReadOnlyModelViewSet):
    """Liaison days with their attendance rows inline."""

    serializer_class = LiaisonDaySerializer
    filterset_class = LiaisonDayFilter

    def get_queryset(self):
        rows = Attendance.objects.select_related("member").order_by("member__name", "pk")
        return (
            scope.visible(self.request.user, LiaisonDay)
            .prefetch_related(Prefetch("attendance", queryset=rows))
            .order_by("-date", "-team_id", "-pk")
        )

    @extend_schema(request=AttendanceEntrySerializer(many=True, max_length=MAX_IDS), responses=LiaisonDaySerializer)
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        """[{"member": user_id, "status": "present"|"absent"|"leave", "note": …}]: the leader
        marks anyone; a member checks in or asks for leave for themselves."""
        day = self.get_object()
        entries = AttendanceEntrySerializer(data=request.data, many=True, allow_empty=False, max_length=MAX_IDS)
        entries.is_valid(raise_exception=True)
        attendance.record_attendance(liaison_day=day, by=request.user, entries=entries.validated_data)
        return Response(LiaisonDaySerializer(self.get_queryset().get(pk=day.pk)).data)
