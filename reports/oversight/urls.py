"""Inspections (督查), criticism notices and assessment rounds (考核)."""

from django.urls import path

from reports import converters  # noqa: F401  (registers <unit:...>)
from reports.oversight import inspection_views, round_views

urlpatterns = [
    path("inspections/", inspection_views.inspection_list, name="inspection-list"),
    path("inspections/new/", inspection_views.inspection_new, name="inspection-new"),
    path("inspections/<int:pk>/", inspection_views.inspection_detail, name="inspection-detail"),
    path("inspections/<int:pk>/edit/", inspection_views.inspection_edit, name="inspection-edit"),
    path("inspections/<int:pk>/delete/", inspection_views.inspection_delete, name="inspection-delete"),
    path("notices/", inspection_views.notice_list, name="criticism-notices"),
    path("assessments/", round_views.round_list, name="assessment-list"),
    path("assessments/new/", round_views.round_new, name="assessment-new"),
    path("assessments/<int:pk>/", round_views.round_detail, name="assessment-detail"),
    path("assessments/<int:pk>/print/", round_views.round_print, name="assessment-print"),
    path("assessments/<int:pk>/<unit:unit>/<int:unit_id>/", round_views.round_unit, name="assessment-unit"),
    path("assessments/<int:pk>/<slug:action>/", round_views.round_action, name="assessment-action"),
]
