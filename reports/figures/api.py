"""GET /api/v1/metrics/?unit=team:12&period=month:2026-11: a unit's figures for a period."""

import re
from datetime import date

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.web import whole_number
from reports import periods
from reports import scope as reports_scope
from reports.figures import members, registry, selectors
from reports.figures.registry import MEMBER_KINDS
from reports.models import COUNTS, Unit

_metric = inline_serializer("Metric", {
    "numerator": serializers.IntegerField(), "denominator": serializers.IntegerField(),
    "rate": serializers.FloatField(allow_null=True),
})


UNIT_PATTERN = r"^(team|town|county|department|member):[1-9][0-9]{0,17}$"
# Coverage by the member households are assigned to (定点联系): `member:` and the user's id.
MEMBER = "member"


def parse_unit(value):
    kind, _sep, pk = (value or "").partition(":")
    unit_id = whole_number(pk)
    if kind not in (*Unit.values, MEMBER) or unit_id is None:
        raise ValidationError({"unit": [_(
            "Name the unit as team:ID, town:ID, county:ID, department:ID or member:ID.")]})
    return kind, unit_id


# The schema's pattern of the keys `periods.parse` takes: years FIRST_YEAR to LAST_YEAR, and week 53
# only in the years that have one (week:7802-W53 fitted the old pattern and was refused). Every key
# the pattern takes is a period, and no other.
FIRST_YEAR, LAST_YEAR = periods.FIRST_YEAR, periods.LAST_YEAR
_YEAR = r"20[0-9]{2}"
_LONG_YEARS = "|".join(str(year) for year in range(FIRST_YEAR, LAST_YEAR + 1)
                       if date(year, 12, 28).isocalendar().week == 53)
PERIOD_PATTERN = (
    rf"^(?:week:(?:{_YEAR}-W(?:0[1-9]|[1-4][0-9]|5[0-2])|(?:{_LONG_YEARS})-W53)"
    rf"|month:{_YEAR}-(?:0[1-9]|1[0-2])|quarter:{_YEAR}-Q[1-4]|year:{_YEAR})$"
)


def parse_period(value):
    try:
        return periods.parse(value)
    except ValueError:
        pass
    if not re.match(periods.PATTERN, value or "", re.ASCII):
        raise ValidationError({"period": [_(
            "Name the period as week:2026-W47, month:2026-11, quarter:2026-Q4 or year:2026."
        )]})
    raise ValidationError({"period": [_(
        "A period lies between %(first)d and %(last)d, and week 53 only in a year that has one."
    ) % {"first": FIRST_YEAR, "last": LAST_YEAR}]})


def figures(row):
    return {
        "metrics": {
            metric.key: dict(zip(("numerator", "denominator"), metric.pair(row), strict=True), rate=metric.rate(row))
            for metric in registry.METRICS
        },
        "counts": {name: getattr(row, name) for name in COUNTS},
    }


class MetricsView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("unit", OpenApiTypes.STR, required=True, pattern=UNIT_PATTERN,
                             description="team:ID, town:ID, county:ID, department:ID, or member:ID (a user's id: "
                                         "visit coverage of the households assigned to them, kept for "
                                         "quarters and years)"),
            OpenApiParameter("period", OpenApiTypes.STR, required=True, pattern=PERIOD_PATTERN,
                             description="week:2026-W47, month:2026-11, quarter:2026-Q4 or year:2026; "
                                         "years 2000 to 2099, week 53 only in a year that has one"),
        ],
        responses=inline_serializer("Metrics", {
            "unit": serializers.CharField(), "period": serializers.CharField(),
            "computed_at": serializers.DateTimeField(),
            "metrics": serializers.DictField(child=_metric),
            "counts": serializers.DictField(child=serializers.IntegerField()),
        }),
    )
    def get(self, request):
        unit, unit_id = parse_unit(request.query_params.get("unit"))
        period = parse_period(request.query_params.get("period"))
        if unit == MEMBER:
            return self.member(request, unit_id, period)
        if not selectors.may_see(request.user, unit, unit_id):
            raise NotFound(_("No such unit among those you see."))
        row = selectors.snapshot(unit, unit_id, period)
        if row is None:
            raise NotFound(_("No figures have been computed for this unit and period."))
        return Response({"unit": f"{unit}:{unit_id}", "period": period.key, "computed_at": row.computed_at,
                         **figures(row)})

    def member(self, request, member_id, period):
        """Visit coverage of the households assigned to the member (the only metric cut by
        member), within scope like any unit: 404 for a member the user does not see."""
        if not reports_scope.sees_member(request.user, member_id):
            raise NotFound(_("No such unit among those you see."))
        if period.kind not in MEMBER_KINDS:
            raise NotFound(_("Coverage by member is kept for quarters and years only."))
        figure = members.member_figure(member_id, period)
        if figure is None:
            raise NotFound(_("No figures have been computed for this unit and period."))
        coverage = registry.get("coverage")
        return Response({
            "unit": f"{MEMBER}:{member_id}", "period": period.key, "computed_at": figure.computed_at,
            "metrics": {coverage.key: {"numerator": figure.coverage_num, "denominator": figure.coverage_den,
                                       "rate": figure.rate()}},
            "counts": {},
        })
