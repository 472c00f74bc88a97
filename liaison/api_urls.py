"""/api/v1/: every app's endpoints on one router."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from teams import apis as team_apis

router = DefaultRouter()
router.register("towns", team_apis.TownViewSet, basename="town")
router.register("villages", team_apis.VillageViewSet, basename="village")
router.register("departments", team_apis.DepartmentViewSet, basename="department")
router.register("teams", team_apis.TeamViewSet, basename="team")

urlpatterns = [
    path("auth/token/", team_apis.TokenView.as_view(), name="api-token"),
    path("me/", team_apis.MeView.as_view(), name="api-me"),
    path("", include(router.urls)),
]
