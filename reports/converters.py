"""The path converters of the reports' pages (`<unit:...>`, `<metric:...>`), registered on import:
every package's urls.py imports this module before its patterns use them."""

from django.urls import register_converter

from reports.figures.registry import KEYS
from reports.models import Unit


class UnitConverter:
    regex = "|".join(Unit.values)

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


class MetricConverter(UnitConverter):
    regex = "|".join(KEYS)


register_converter(UnitConverter, "unit")
register_converter(MetricConverter, "metric")
