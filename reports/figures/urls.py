from django.urls import path

from reports import converters  # noqa: F401  (registers <unit:...> and <metric:...>)
from reports.figures import member_views, views

urlpatterns = [
    path("", views.my_dashboards, name="dashboards"),
    path("assignments/", member_views.assignment_health, name="assignment-health"),
    path("county/<int:pk>/refresh/", views.refresh, name="dashboard-refresh"),
    path("county/<int:pk>/refresh/status/", views.refresh_status, name="dashboard-refresh-status"),
    path("<unit:unit>/<int:pk>/", views.dashboard, name="dashboard"),
    path("<unit:unit>/<int:pk>/<metric:metric>/", views.records, name="dashboard-records"),
]
