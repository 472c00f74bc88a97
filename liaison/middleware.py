from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DatabaseError, InterfaceError
from django.utils import translation

from core.replica import allowed as reading_allowed
from core.replica import reading
from liaison import replica


class ChineseFirstLocaleMiddleware:
    """Chinese unless the user picked another language with the switch in the header.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a cadre whose
    phone is set to English would get English pages; the product is Chinese first, and the
    switch (a cookie) is the one way to change it."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.languages else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


class ReadReplicaMiddleware:
    """A request that only reads (GET, HEAD, OPTIONS) may read from the read replica, unless its
    client wrote within REPLICA_OWN_WRITES_SECONDS: that client reads the primary, so it sees
    what it just did. A write is noted for its user and API token (in the cache, for their other
    devices too) and in a cookie (a resident rating an answer has neither). Without
    DATABASE_REPLICA_URL this middleware is not loaded."""

    COOKIE = "liaison_wrote"

    def __init__(self, get_response):
        if replica.REPLICA not in settings.DATABASES:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            if self.COOKIE in request.COOKIES or replica.wrote_lately(request):
                return self.get_response(request)
            with reading():
                return self.get_response(request)
        response = self.get_response(request)
        replica.note_write(request)
        response.set_cookie(
            self.COOKIE, "1", max_age=settings.REPLICA_OWN_WRITES_SECONDS, httponly=True,
            secure=settings.SESSION_COOKIE_SECURE, samesite="Lax",
        )
        return response

    def process_exception(self, request, exception):
        """The replica went away after it was last checked, in the middle of this read-only
        request: the view runs again, on the primary, rather than answer an error."""
        if not reading_allowed() or not isinstance(exception, (DatabaseError, InterfaceError)):
            return None
        if replica.usable(again=True):
            return None
        match = request.resolver_match
        return match.func(request, *match.args, **match.kwargs)
