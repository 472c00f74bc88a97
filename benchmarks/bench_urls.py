"""The site's URLs plus a trivial view, for benchmarks/public_lookup.py only: the yardstick a
page is compared with, behind the same middleware. Never part of the product."""

from django.http import HttpResponse
from django.urls import include, path


def trivial(request):
    return HttpResponse("ok")


urlpatterns = [path("bench/trivial/", trivial), path("", include("liaison.urls"))]
