"""The API's JSON parser, the default of every endpoint (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES)."""

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering 400 in the user's language for any body it cannot read:
    deeply nested arrays raise RecursionError, which DRF's own parser lets through as a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("The request body is nested too deeply.")) from None
        except exceptions.ParseError:
            raise exceptions.ParseError(_("The request body is not valid JSON.")) from None
