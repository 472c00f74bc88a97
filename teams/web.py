"""What every app's pages and API share: numbers read from a request, one page of a long
list, a service's refusal shown to the user, and the API's error answers. It lives in
`teams`, the app every other one stands on, so that imports still run one way."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.views import exception_handler as drf_exception_handler

MAX_ID = 2**63 - 1


def whole_number(value, *, upper=MAX_ID):
    """A query-string or form value as a positive integer (ASCII digits, at most `upper`), or None."""
    value = str(value)
    if value.isascii() and value.isdigit() and len(value) <= len(str(upper)) and 0 < int(value) <= upper:
        return int(value)
    return None


def paginate(request, queryset, size):
    """The page of `queryset` that `?page=` asks for; a page number that is not one shows the
    first page, one past the end the last."""
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def query_without_page(request):
    """The request's query string without `page`, for the pagination links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def add_service_error(form, error):
    """A service's ValidationError onto the form: a field's message next to that field, the
    rest (and messages without a field) above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def flash_errors(request, error):
    """A service's ValidationError (or a bound form's errors) as messages, for a page that
    redirects after a POST."""
    if isinstance(error, ValidationError):
        texts = error.messages
    else:
        texts = [text for field_errors in error.values() for text in field_errors]
    for text in texts:
        messages.error(request, text)


def api_exception_handler(exc, context):
    """Errors as `{"detail": …}` or field errors; Django's ValidationError answered as 400
    and PermissionDenied as 403, like DRF's own."""
    if isinstance(exc, ValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


class Conflict(exceptions.APIException):
    """409: the transition lost a race or is not allowed from the current state."""

    status_code = 409
    default_detail = "Conflict."
    default_code = "conflict"


class Pages(PageNumberPagination):
    """50 a page, or up to 1,000 with `?page_size=`: whoever recomputes a figure from the raw
    facts reads a county's steps or ratings in a few dozen requests."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000
