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

# Excel exports and imports.
from reports import excel_views  # noqa: E402

urlpatterns += [
    path("exports/<int:pk>/", excel_views.export_detail, name="export-detail"),
    path("exports/<int:pk>/status/", excel_views.export_status, name="export-status"),
    path("exports/<int:pk>/download/", excel_views.export_download, name="export-download"),
    path("exports/<slug:kind>/", excel_views.export_start, name="export-start"),
    path("imports/", excel_views.import_page, name="imports"),
    path("imports/<slug:kind>/template/", excel_views.import_template, name="import-template"),
    path("imports/<slug:kind>/", excel_views.import_upload, name="import-upload"),
    path("imports/batches/<int:pk>/", excel_views.import_valid_rows, name="import-valid-rows"),
]
