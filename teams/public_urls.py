from django.urls import path

from teams import views

urlpatterns = [
    path("", views.public_index, name="public-index"),
]
