from django.urls import path

from teams import views

urlpatterns = [
    path("", views.liaison_days, name="liaison-days"),
    path("check-in/", views.check_in, name="liaison-check-in"),
    path("<int:pk>/", views.day_sheet, name="liaison-day"),
    path("<int:pk>/leave/", views.ask_leave, name="liaison-day-leave"),
]
