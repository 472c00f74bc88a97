from django.conf import settings
from django.utils.functional import SimpleLazyObject

from reports.scope import sees_assessments
from teams.scope import scope_for


def _nav(user):
    """What the site's header links to, asked of the scope modules."""
    s = scope_for(user)
    return {"dashboards": s.has_position, "assessments": sees_assessments(user), "villages": s.works_in_villages}


def site(request):
    # Lazy: read only when a page's header asks, and at most once per request (scope_for caches it).
    return {"SITE_NAME": settings.SITE_NAME, "nav": SimpleLazyObject(lambda: _nav(request.user))}
