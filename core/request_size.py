"""A bound on every request's body. DRF parses JSON straight from the request's stream, where
Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not apply, so the bound is kept here, before any view
reads: REQUEST_MAX_BYTES, or UPLOAD_MAX_BYTES for a view marked `takes_photos`. A body that
declares a larger Content-Length is refused unread (413); one that declares none (chunked, as an
ASGI server may pass it on) is cut off once reading passes the bound."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def takes_photos(view):
    """Mark a page whose form sends photos: its body may be UPLOAD_MAX_BYTES."""
    view.takes_photos = True
    return view


class BodyTooLarge(RequestDataTooBig):
    """The body went past the bound while it was read."""


class _Bounded:
    """The request's stream, refusing to give more than `limit` bytes in all."""

    def __init__(self, stream, limit):
        self.stream, self.left = stream, limit

    def _size(self, size):
        # One byte past the bound is enough to know it was passed.
        return self.left + 1 if size is None or size < 0 else min(size, self.left + 1)

    def _take(self, data):
        self.left -= len(data)
        if self.left < 0:
            raise BodyTooLarge
        return data

    def read(self, size=-1):
        return self._take(self.stream.read(self._size(size)))

    def readline(self, size=-1):
        return self._take(self.stream.readline(self._size(size)))

    def close(self):
        self.stream.close()


def _refusal(request, limit):
    message = _("The request is too large: at most %(size)s can be sent at once.") % {
        "size": filesizeformat(limit)
    }
    if request.content_type in FORMS:
        return render(request, "413.html", {"message": message}, status=413)
    return JsonResponse({"detail": message}, status=413, json_dumps_params={"ensure_ascii": False})


class RequestSizeLimit:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def _limit(self, view_func):
        return settings.UPLOAD_MAX_BYTES if getattr(view_func, "takes_photos", False) else settings.REQUEST_MAX_BYTES

    def process_view(self, request, view_func, view_args, view_kwargs):
        limit = self._limit(view_func)
        declared = request.META.get("CONTENT_LENGTH") or ""
        # Django reads a Content-Length that is not a number as no body at all.
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            return _refusal(request, limit)
        request._stream = _Bounded(request._stream, limit)
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, BodyTooLarge):
            return _refusal(request, self._limit(request.resolver_match.func))
        return None
