"""The API's pages: a module of their own, because DRF's modules import this one while
`core.web` imports them (so `whole_number` is imported when a page is asked for)."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class Pages(PageNumberPagination):
    """50 a page, or up to 1,000 with `?page_size=` (more is read as 1,000): whoever recomputes a
    figure from the raw facts reads a county's steps or ratings in a few dozen requests."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request):
        from core.web import whole_number

        asked = request.query_params.get(self.page_size_query_param)
        if asked in (None, ""):
            return self.page_size
        size = whole_number(asked)
        if size is None:
            raise ValidationError({"page_size": [_("Give the page size as a whole number from 1.")]})
        return min(size, self.max_page_size)
