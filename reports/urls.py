from django.urls import include, path

urlpatterns = [
    path("", include("reports.figures.urls")),
    path("", include("reports.oversight.urls")),
    path("", include("reports.excel.urls")),
]
