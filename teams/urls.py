from django.urls import path

from teams import views

urlpatterns = [
    path("<int:pk>/", views.team_detail, name="team-detail"),
    path("days/<int:pk>/reschedule/", views.reschedule_day, name="liaison-day-reschedule"),
    path("days/<int:pk>/cancel/", views.cancel_day, name="liaison-day-cancel"),
]
