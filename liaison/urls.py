from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated

from liaison import views
from reports.figures import views as report_views

# The API's schema and docs: open in development; in production only to a signed-in user (a
# token or a session), since the schema maps every field of the ledger, personal data included.
# The docs load their script from a URL of their own, which the Content-Security-Policy allows.
schema_view = SpectacularAPIView.as_view()
docs_view = SpectacularSwaggerSplitView.as_view(url_name="schema")
if settings.PRODUCTION:
    schema_view = SpectacularAPIView.as_view(permission_classes=[IsAuthenticated])
    docs_view = login_required(docs_view)

urlpatterns = [
    # The residents' pages first: the busiest, and never behind a login. Their statistics and the
    # coverage overview read the figures, which `issues` and `visits` may not import.
    path("public/statistics/", report_views.public_statistics, name="public-statistics"),
    path("public/", include("issues.public_urls")),
    path("", views.home, name="home"),
    # For the load balancer and Prometheus: no login, answered over plain HTTP too (settings).
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.prometheus_metrics, name="metrics"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("teams/", include("teams.urls")),
    path("issues/", include("issues.urls")),
    path("visits/coverage/", report_views.coverage, name="coverage"),
    path("visits/", include("visits.urls")),
    path("reports/", include("reports.urls")),
    path("days/", include("teams.day_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(("liaison.api_urls", "api"))),
    path("api/schema/", schema_view, name="schema"),
    path("api/docs/", docs_view, name="api-docs"),
    # Last: whatever else is asked under /api/ is a JSON 404, whatever DEBUG says.
    re_path(r"^api/(?P<rest>.*)$", views.api_not_found),
]

handler404 = views.not_found
