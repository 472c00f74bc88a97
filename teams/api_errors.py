"""API plumbing shared by every app's endpoints: errors as `{"detail": …}` or field errors,
Django's ValidationError answered as 400 like DRF's own."""

from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
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
