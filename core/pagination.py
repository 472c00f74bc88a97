"""The API's pages: a module of their own, because DRF's modules import this one while
`core.web` imports them.

Lists are read by keyset (cursor): `next` and `previous` carry the last and first rows' sort keys,
and the page after a cursor is the rows beyond those keys, so a page deep in a county's list costs
what the first one does (an index range, not a sort of the whole scope) and a row added meanwhile
neither repeats nor hides another."""

import base64
import binascii
import datetime
import json

from django.core.exceptions import ValidationError as FieldRefusal
from django.db.models import F, OrderBy, Q, Value
from django.db.models.expressions import Col
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.db.models.functions import Coalesce
from django.utils.duration import duration_iso_string
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.numbers import whole_number


def _sort_keys(queryset):
    """The queryset's ordering as (expression, descending, nulls at the end) with the primary key as
    its tail, so that the keys name one row. PostgreSQL puts nulls last going up, first going down."""
    keys = []
    for item in queryset.query.order_by or queryset.model._meta.ordering or ():
        if isinstance(item, str):
            descending = item.startswith("-")
            name = item.lstrip("-")
            item = OrderBy(F(queryset.model._meta.pk.name if name == "pk" else name), descending=descending)
        if not isinstance(item, OrderBy):
            item = item.asc()
        nulls_last = item.nulls_last if (item.nulls_last or item.nulls_first) else not item.descending
        keys.append((item.expression, item.descending, bool(nulls_last)))
    pk = queryset.model._meta.pk.name
    if not any(isinstance(e, F) and e.name in (pk, "pk") for e, _d, _n in keys):
        keys.append((F(pk), keys[-1][1] if keys else False, True))
    return keys


def _later(name, value, descending, nulls_last):
    """The rows whose key `name` comes after `value` in this order."""
    if value is None:
        return Q(pk__in=[]) if nulls_last else Q(**{f"{name}__isnull": False})
    beyond = Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
    return beyond | Q(**{f"{name}__isnull": True}) if nulls_last else beyond


def _same(name, value):
    return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})


def _never_null(expression):
    """Whether a sort key is never null: a column that is not, or a Coalesce with a value that is not."""
    if isinstance(expression, Col):
        return not expression.target.null
    if isinstance(expression, Value):
        return expression.value is not None
    if isinstance(expression, Coalesce):
        return any(_never_null(e) for e in expression.get_source_expressions())
    return False


def _encode(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    return value


class Pages(BasePagination):
    """50 a page, or up to 1,000 with `?page_size=` (more is read as 1,000): whoever recomputes a
    figure from the raw facts reads a county's steps or ratings in a few dozen requests.

    `count` is counted once, on the first page, and carried in the cursors: a client walking the
    list sees the total it started with (exact then), and no deeper page counts the scope again."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000
    cursor_query_param = "cursor"

    def get_page_size(self, request):
        asked = request.query_params.get(self.page_size_query_param)
        if asked in (None, ""):
            return self.page_size
        size = whole_number(asked)
        if size is None:
            raise ValidationError({"page_size": [_("Give the page size as a whole number from 1.")]})
        return min(size, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request)
        # Page numbers are gone: the first page is still page 1, any other number is refused
        # rather than answered with a page that is not the one asked for.
        if request.query_params.get("page") not in (None, "", "1"):
            raise ValidationError(
                {"page": [_("Pages are no longer numbered: follow the list's next and previous links.")]}
            )
        keys = _sort_keys(queryset)
        names = [f"_key{i}" for i in range(len(keys))]
        queryset = queryset.annotate(**dict(zip(names, (e for e, _d, _n in keys), strict=True)))
        cursor = self._decode(request.query_params.get(self.cursor_query_param), queryset, names)
        forward = cursor is None or cursor["forward"]
        order = [
            OrderBy(F(name), descending=descending != (not forward), nulls_last=(nulls_last == forward) or None,
                    nulls_first=(nulls_last != forward) or None)
            for name, (_e, descending, nulls_last) in zip(names, keys, strict=True)
        ]
        if cursor is None:
            self.count = queryset.count()
        else:
            self.count = cursor["count"]
            queryset = queryset.filter(self._beyond(queryset, names, keys, cursor["key"], forward))
        rows = list(queryset.order_by(*order)[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if not forward:
            rows.reverse()
        self.has_next = more if forward else True
        self.has_previous = cursor is not None and (more if not forward else True)
        self.names = names
        self.rows = rows
        return rows

    def _beyond(self, queryset, names, keys, values, forward):
        """The rows after `values` (before them going back). When no key can be null and all run
        one way, a row comparison that an index on those keys (columns or expressions) reads as a
        range; otherwise the same condition spelled out key by key."""
        directions = {descending for _e, descending, _n in keys}
        plain = all(_never_null(queryset.query.annotations[name]) for name in names)
        if plain and len(directions) == 1 and None not in values:
            lookup = TupleLessThan if directions.pop() == forward else TupleGreaterThan
            return lookup(Tuple(*(F(name) for name in names)), tuple(values))
        condition = Q(pk__in=[])
        equal = Q()
        for name, value, (_e, descending, nulls_last) in zip(names, values, keys, strict=True):
            if forward:
                condition |= equal & _later(name, value, descending, nulls_last)
            else:
                condition |= equal & _later(name, value, not descending, not nulls_last)
            equal &= _same(name, value)
        return condition

    def _decode(self, token, queryset, names):
        if token in (None, ""):
            return None
        refused = ValidationError(
            {self.cursor_query_param: [_("This cursor is not valid: start again from the list's first page.")]}
        )
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode("ascii") + b"==="))
            key, count, forward = data["k"], data["c"], data["d"] == "n"
            if not isinstance(key, list) or len(key) != len(names) or not isinstance(count, int):
                raise refused
            return {
                "key": [
                    None if value is None else queryset.query.annotations[name].output_field.to_python(value)
                    for name, value in zip(names, key, strict=True)
                ],
                "count": count,
                "forward": forward,
            }
        except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error, AttributeError, FieldRefusal) as error:
            raise refused from error

    def _link(self, row, forward):
        key = [_encode(row[name] if isinstance(row, dict) else getattr(row, name)) for name in self.names]
        token = json.dumps({"k": key, "c": self.count, "d": "n" if forward else "p"}, separators=(",", ":"))
        url = remove_query_param(self.request.build_absolute_uri(), "page")
        return replace_query_param(url, self.cursor_query_param,
                                   base64.urlsafe_b64encode(token.encode()).decode().rstrip("="))

    def get_paginated_response(self, data):
        return Response({
            "count": self.count,
            "next": self._link(self.rows[-1], True) if self.has_next and self.rows else None,
            "previous": self._link(self.rows[0], False) if self.has_previous and self.rows else None,
            "results": data,
        })

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "results"],
            "properties": {
                "count": {"type": "integer", "description": "Rows in the list when its first page was read."},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.cursor_query_param, "required": False, "in": "query",
             "description": "The position a `next` or `previous` link carries.",
             "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]*$"}},
            {"name": self.page_size_query_param, "required": False, "in": "query",
             "description": "Rows a page (50; at most 1,000).", "schema": {"type": "integer"}},
        ]
