from django.urls import path

from issues import public_views

urlpatterns = [
    path("", public_views.index, name="public-index"),
    path("lookup/", public_views.lookup, name="public-lookup"),
    path("rate/", public_views.rate, name="public-rate"),
    path("status/<str:token>/", public_views.status, name="public-status"),
    path("villages/<int:pk>/", public_views.village, name="public-village"),
    path("villages/<int:pk>/card/", public_views.village_card, name="public-village-card"),
]
