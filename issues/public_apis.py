"""POST /api/v1/public/issue-status/: the status page's answer as JSON, for residents' apps and
mini-programs. No login; the same neutral answer and the same limits as the page."""

from django.core.validators import RegexValidator
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from issues import codes, public, ratelimit

# What `public.clean_code` reads as a code's shape: ten characters of the receipt's alphabet, in
# either case, with spaces or dashes anywhere (the receipt prints ABCD-EFGH-JK). Python's `\s` is
# the whitespace `codes.normalize` drops. The check character is the one rule left to the server.
_LETTERS = codes.ALPHABET + "".join(c.lower() for c in codes.ALPHABET if c.isalpha())
CODE_PATTERN = rf"^[\s-]*(?:[{_LETTERS}][\s-]*){{{codes.LENGTH}}}$"
PHONE_LAST4_PATTERN = r"^[0-9]{4}$"


# The schema states the code's shape and the four digits, and the server refuses exactly what the
# patterns refuse: a character that `upper()` turns into a letter of the alphabet (ſ → S) included.
class IssueStatusRequest(serializers.Serializer):
    code = serializers.CharField(max_length=20, validators=[
        RegexValidator(CODE_PATTERN, message=public.TYPO_MESSAGE, code="typo"),
    ])
    phone_last4 = serializers.CharField(max_length=4, validators=[
        RegexValidator(PHONE_LAST4_PATTERN, message=public.PHONE_LAST4_MESSAGE, code="phone"),
    ])

    def validate_code(self, value):
        return public.clean_code(value)

    def validate_phone_last4(self, value):
        return public.clean_phone_last4(value)


_detail = inline_serializer("PublicDetail", {"detail": serializers.CharField()})


def _text(**kwargs):
    return serializers.CharField(allow_blank=True, **kwargs)


_status = inline_serializer("PublicStatus", {
    "code": serializers.CharField(), "category": _text(), "town": _text(), "village": _text(),
    "received_on": serializers.DateField(), "status": serializers.CharField(), "status_label": _text(),
    "level_label": _text(), "handler": _text(), "responsible_name": _text(), "responsible_role": _text(),
    "due_at": serializers.DateTimeField(allow_null=True), "is_overdue": serializers.BooleanField(),
    "result": _text(), "result_kind": _text(allow_null=True), "feedback_note": _text(),
    "feedback_at": serializers.DateTimeField(allow_null=True), "satisfaction": _text(allow_null=True),
    "satisfaction_label": _text(), "rated_at": serializers.DateTimeField(allow_null=True),
    "can_rate": serializers.BooleanField(),
    "timeline": inline_serializer("PublicEvent", {
        "at": serializers.DateTimeField(), "kind": serializers.CharField(), "note": _text(),
    }, many=True),
})


class IssueStatusView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=IssueStatusRequest,
        responses={
            200: OpenApiResponse(_status, description="The public status: the same fields as the status page."),
            400: OpenApiResponse(description="A typo in the code (check character), or not four digits."),
            404: OpenApiResponse(_detail, description="No issue matches this code and these digits."),
            429: OpenApiResponse(_detail, description="Too many failed lookups; see Retry-After."),
            503: OpenApiResponse(_detail, description="Lookups are paused while their limits cannot be counted."),
        },
    )
    def post(self, request):
        data = IssueStatusRequest(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            found, block = public.guarded_lookup(**data.validated_data, address=ratelimit.client_address(request))
        except ratelimit.Unavailable:
            return Response(
                {"detail": str(ratelimit.UNAVAILABLE_MESSAGE)}, status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": str(ratelimit.UNAVAILABLE_RETRY_AFTER)},
            )
        if block is not None:
            return Response(
                {"detail": block.message()}, status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(block.retry_after)},
            )
        if found is None:
            return Response({"detail": str(public.NOT_FOUND_MESSAGE)}, status=status.HTTP_404_NOT_FOUND)
        return Response(found.as_dict())
