from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from teams import selectors as team_selectors


def home(request):
    """The logged-in home for the user's positions; anonymous visitors go to the public pages."""
    if not request.user.is_authenticated:
        return redirect("public-index")
    return _home(request)


@login_required
def _home(request):
    return render(request, "home.html", team_selectors.home_sections(request.user))
