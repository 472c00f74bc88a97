"""/api/v1/: every app's endpoints on one router."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from issues import apis as issue_apis
from issues import public_apis
from reports.excel import api as excel_api
from reports.figures import api as figures_api
from reports.oversight import api as oversight_api
from teams import apis as team_apis
from visits import apis as visit_apis

# No `.json` suffix routes: the API speaks JSON only, and an action called with one answered 500.
router = DefaultRouter()
router.include_format_suffixes = False
router.register("towns", team_apis.TownViewSet, basename="town")
router.register("villages", team_apis.VillageViewSet, basename="village")
router.register("departments", team_apis.DepartmentViewSet, basename="department")
router.register("teams", team_apis.TeamViewSet, basename="team")
router.register("households", visit_apis.HouseholdViewSet, basename="api-household")
router.register("liaison-days", team_apis.LiaisonDayViewSet, basename="api-liaison-day")
router.register("visits", visit_apis.VisitViewSet, basename="api-visit")
router.register("categories", issue_apis.CategoryViewSet, basename="category")
router.register("issues", issue_apis.IssueViewSet, basename="issue")
router.register("memberships", team_apis.MembershipViewSet, basename="membership")
router.register("steps", issue_apis.StepViewSet, basename="step")
router.register("ratings", issue_apis.RatingViewSet, basename="rating")
router.register("inspections", oversight_api.InspectionViewSet, basename="inspection")
router.register("assessments", oversight_api.AssessmentViewSet, basename="assessment")
router.register("assignments", visit_apis.AssignmentViewSet, basename="assignment")
router.register("exports", excel_api.ExportViewSet, basename="export")

urlpatterns = [
    path("auth/token/", team_apis.TokenView.as_view(), name="api-token"),
    path("me/", team_apis.MeView.as_view(), name="api-me"),
    path("public/issue-status/", public_apis.IssueStatusView.as_view(), name="api-public-issue-status"),
    path("metrics/", figures_api.MetricsView.as_view(), name="api-metrics"),
    path("", include(router.urls)),
]
