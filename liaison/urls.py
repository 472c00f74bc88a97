from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from liaison import views
from reports import views as report_views

urlpatterns = [
    # The residents' pages first: the busiest, and never behind a login. Their statistics and the
    # coverage overview read the figures, which `issues` and `visits` may not import.
    path("public/statistics/", report_views.public_statistics, name="public-statistics"),
    path("public/", include("issues.public_urls")),
    path("", views.home, name="home"),
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
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

handler404 = views.not_found
