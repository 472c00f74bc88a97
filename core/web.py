"""What every app's pages and API share: numbers read from a request, one page of a long
list, a service's refusal or conflict shown to the user, and the API's error answers with the
schema that documents them. Part of `core`, the platform every app stands on. (The API's JSON
parser is in `parsers.py`: DRF's settings import it while loading `rest_framework.views`, which
this module imports.)"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.http.response import HttpResponseRedirectBase
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import exceptions, permissions
from rest_framework.views import exception_handler as drf_exception_handler

from core.numbers import MAX_ID, whole_number  # noqa: F401 (the apps' views and forms read them from here)
from core.pagination import Pages


def paginate(request, queryset, size):
    """The page of `queryset` that `?page=` asks for; a page number that is not one shows the
    first page, one past the end the last."""
    return Paginator(queryset, size).get_page(request.GET.get("page"))


class CursorPage(list):
    """One page of a long list read by cursor, for a page's template: its rows, `count` (the first
    page's total, carried along as the API carries it) and the query strings of the pages before
    and after it, each with the page's other filters."""

    def __init__(self, rows, count, previous_query, next_query):
        super().__init__(rows)
        self.count = count
        self.previous_query = previous_query
        self.next_query = next_query
        self.has_previous = previous_query is not None
        self.has_next = next_query is not None
        self.has_other_pages = self.has_previous or self.has_next


class _PagePages(Pages):
    page_size_query_param = None


def cursor_page(request, queryset, size):
    """The page of `queryset` after (or before) `?cursor=`, read as the API's lists are: a range
    of the list's order, so page 200 costs what page 1 does. A cursor that is not one, or an old
    `?page=` number, shows the first page, as a page number that is not one always did."""
    from rest_framework.request import Request

    pages = _PagePages()
    pages.page_size = size
    try:
        rows = pages.paginate_queryset(queryset, Request(request))
    except exceptions.ValidationError:
        first = request.GET.copy()
        first.pop("cursor", None)
        first.pop("page", None)
        request.GET = first
        rows = pages.paginate_queryset(queryset, Request(request))
    links = pages.get_paginated_response([]).data

    def query(link):
        return None if link is None else link.split("?", 1)[1]

    return CursorPage(rows, pages.count, query(links["previous"]), query(links["next"]))


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


def conflict_page(request, conflict, page):
    """The pages' one answer to a Conflict (the API's is `api_exception_handler`): its message
    above `page`, the response the view chose. A redirect after a POST stays one (the message
    waits for the page it leads to); a page shown again is answered 409, as the API answers."""
    messages.error(request, conflict.message)
    if not isinstance(page, HttpResponseRedirectBase):
        page.status_code = 409
    return page


def api_exception_handler(exc, context):
    """Errors as `{"detail": …}` or field errors; a Conflict answered as 409, Django's
    ValidationError as 400, PermissionDenied as 403 and Http404 as 404, like DRF's own."""
    if isinstance(exc, Conflict):
        exc = ConflictAnswer(exc.message)
    elif isinstance(exc, ValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        # Django's own message names the model, in English ("No LiaisonDay matches…").
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


class Conflict(Exception):
    """A change refused for the state it met: another change got there first, or the object's
    state does not allow it. The one such error: each app's (`TransitionNotAllowed`,
    `SheetChanged`, `Frozen`) is this one by name, and the API answers every one 409 here
    (`api_exception_handler`). `message` is for the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ConflictAnswer(exceptions.APIException):
    status_code = 409
    default_code = "conflict"


# The shapes of the API's error answers, as `api_exception_handler` and DRF give them.
ERROR_SCHEMAS = {
    "ErrorDetail": {
        "type": "object",
        "description": "A refusal, in the user's language.",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    # A field's messages: a list of texts, or by position or key for a list or object field.
    "ErrorMessages": {
        "anyOf": [
            {"type": "string"},
            {"type": "array", "items": {"$ref": "#/components/schemas/ErrorMessages"}},
            {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/ErrorMessages"}},
        ],
    },
    "ValidationError": {
        "description": "Bad input: `detail`, or each field's messages (a list body: each item's).",
        "anyOf": [
            {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/ErrorMessages"}},
            {"type": "array", "items": {"$ref": "#/components/schemas/ErrorMessages"}},
        ],
    },
}


class ApiSchema(AutoSchema):
    """drf-spectacular's schema, with the error answers every endpoint gives declared here
    once, from what the view is: who may call it, what it reads, what it finds by id. A view
    can still declare an answer itself (`extend_schema(responses=…)`), which wins."""

    def get_auth(self):
        # A view that asks no permission (the token endpoint) takes anyone, signed in or not.
        auths = super().get_auth()
        if not self.view.get_permissions() and {} not in auths:
            auths.append({})
        return auths

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for name, schema in ERROR_SCHEMAS.items():
            self.registry.register_on_missing(
                ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name)
            )
        for parameter in operation.get("parameters", []):
            # Ids and page numbers count from 1, as `whole_number` reads them.
            if parameter["schema"].get("type") == "integer":
                parameter["schema"].update(minimum=1, maximum=MAX_ID)
            # An empty filter is no filter: the pages' forms send every field, filled or not.
            if parameter["in"] == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        responses = operation["responses"]
        for code, (description, schema, headers) in self._error_answers(operation).items():
            answer = responses.setdefault(code, {"description": description})
            # A view's own description stands; the body and headers are these answers' shapes.
            answer.setdefault("content", {"application/json": {"schema": schema}})
            if headers:
                answer.setdefault("headers", headers)
        return operation

    def _error_answers(self, operation):
        detail = {"$ref": "#/components/schemas/ErrorDetail"}
        unsafe = self.method not in permissions.SAFE_METHODS
        parameters = operation.get("parameters", [])
        # What names the object asked for: an id in the path, or a required query parameter.
        by_id = any(p["in"] == "path" for p in parameters)
        named = by_id or any(p["in"] == "query" and p.get("required") for p in parameters)
        filtered = any(p["in"] == "query" for p in parameters)
        signs_in = bool(self.view.get_authenticators())
        open_to_all = {} in operation.get("security", [{}])
        answers = {}
        if "requestBody" in operation or filtered:
            answers["400"] = ("Bad input.", {"$ref": "#/components/schemas/ValidationError"}, None)
        if "requestBody" in operation:
            answers["413"] = ("A body larger than the API takes.", detail, None)
            answers["415"] = ("A body in a format the API does not read.", detail, None)
        if signs_in:
            answers["401"] = (
                "No credentials, or a token or session that is not valid.", detail,
                {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Token`"}},
            )
        if signs_in and unsafe:
            answers["403"] = ("Outside the user's scope, or a session request without its CSRF token.", detail, None)
        if named:
            answers["404"] = ("Nothing the user may see is named so.", detail, None)
        if unsafe and by_id:
            # A change to one object (an issue's transition, a day's sheet) can lose a race.
            answers["409"] = ("Someone else changed it first, or its state does not allow this.", detail, None)
        if unsafe and open_to_all:
            answers["429"] = (
                "Too many attempts; try again later.", detail,
                {"Retry-After": {"schema": {"type": "integer", "minimum": 1}, "description": "Seconds to wait."}},
            )
        return answers
