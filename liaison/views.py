from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found

from teams import selectors as team_selectors


def home(request):
    """The logged-in home for the user's positions; anonymous visitors go to the public pages."""
    if not request.user.is_authenticated:
        return redirect("public-index")
    return _home(request)


@login_required
def _home(request):
    return render(request, "home.html", team_selectors.home_sections(request.user))


def not_found(request, exception):
    """API clients get JSON like every other API answer; people get the site's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return page_not_found(request, exception)
