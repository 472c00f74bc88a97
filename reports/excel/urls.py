"""Excel exports and imports."""

from django.urls import path

from reports.excel import views

urlpatterns = [
    path("exports/<int:pk>/", views.export_detail, name="export-detail"),
    path("exports/<int:pk>/status/", views.export_status, name="export-status"),
    path("exports/<int:pk>/download/", views.export_download, name="export-download"),
    path("exports/<slug:kind>/", views.export_start, name="export-start"),
    path("imports/", views.import_page, name="imports"),
    path("imports/<slug:kind>/template/", views.import_template, name="import-template"),
    path("imports/<slug:kind>/", views.import_upload, name="import-upload"),
    path("imports/batches/<int:pk>/", views.import_valid_rows, name="import-valid-rows"),
]
