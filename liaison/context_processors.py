from django.conf import settings
from django.utils.functional import SimpleLazyObject

from teams.scope import scope_for


def site(request):
    # Lazy: read only when a page's header asks, and at most once per request (scope_for caches it).
    return {"SITE_NAME": settings.SITE_NAME, "user_scope": SimpleLazyObject(lambda: scope_for(request.user))}
