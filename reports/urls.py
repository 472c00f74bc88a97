from django.urls import path, register_converter

from reports import assessment_views, excel_views, views
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

# Inspections (督查), criticism notices and assessment rounds (考核).
urlpatterns += [
    path("inspections/", assessment_views.inspection_list, name="inspection-list"),
    path("inspections/new/", assessment_views.inspection_new, name="inspection-new"),
    path("inspections/<int:pk>/", assessment_views.inspection_detail, name="inspection-detail"),
    path("inspections/<int:pk>/edit/", assessment_views.inspection_edit, name="inspection-edit"),
    path("inspections/<int:pk>/delete/", assessment_views.inspection_delete, name="inspection-delete"),
    path("notices/", assessment_views.notice_list, name="criticism-notices"),
    path("assessments/", assessment_views.round_list, name="assessment-list"),
    path("assessments/new/", assessment_views.round_new, name="assessment-new"),
    path("assessments/<int:pk>/", assessment_views.round_detail, name="assessment-detail"),
    path("assessments/<int:pk>/print/", assessment_views.round_print, name="assessment-print"),
    path("assessments/<int:pk>/<unit:unit>/<int:unit_id>/", assessment_views.round_unit, name="assessment-unit"),
    path("assessments/<int:pk>/<slug:action>/", assessment_views.round_action, name="assessment-action"),
]

# Excel exports and imports.
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
