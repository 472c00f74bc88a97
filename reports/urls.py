from django.urls import path, register_converter

from reports import views
from reports.models import METRICS, Unit


class UnitConverter:
    regex = "|".join(Unit.values)

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


class MetricConverter(UnitConverter):
    regex = "|".join(METRICS)


register_converter(UnitConverter, "unit")
register_converter(MetricConverter, "metric")

urlpatterns = [
    path("", views.my_dashboards, name="dashboards"),
    path("county/<int:pk>/refresh/", views.refresh, name="dashboard-refresh"),
    path("county/<int:pk>/refresh/status/", views.refresh_status, name="dashboard-refresh-status"),
    path("<unit:unit>/<int:pk>/", views.dashboard, name="dashboard"),
    path("<unit:unit>/<int:pk>/<metric:metric>/", views.records, name="dashboard-records"),
]
