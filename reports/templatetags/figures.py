"""How a figure reads on a page: a percentage with one decimal and its numerator/denominator
beside it, "—" for no rate (0/0), never 0 % or 100 %; a link to the records behind it."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from reports.figures import units

register = template.Library()


@register.filter
def kind_of(obj, unit):
    """The tag beside a unit's name: a town is named by its own kind, 镇 or 街道."""
    return units.of(unit).label_of(obj)


def percent(num, den):
    return f"{100 * num / den:.1f}%" if den else "—"


@register.filter
def rate_of(row, metric):
    """The row's rate of `metric` as a percentage, or "—"."""
    if row is None:
        return "—"
    return percent(getattr(row, f"{metric}_num"), getattr(row, f"{metric}_den"))


@register.simple_tag
def figure(row, metric, unit, unit_id, period):
    """The rate, linked to the records behind it, with numerator/denominator beside it."""
    if row is None:
        return format_html('<span class="rate none" title="{}">—</span>', _("Not computed"))
    num, den = getattr(row, f"{metric}_num"), getattr(row, f"{metric}_den")
    if not den:
        return mark_safe('<span class="rate none" title="0/0">—</span>')
    url = reverse("dashboard-records", args=[unit, unit_id, metric]) + f"?period={period.key}"
    return format_html(
        '<a class="rate" href="{}" data-metric="{}" title="{}/{}">{}</a> <small class="frac">{}/{}</small>',
        url, metric, num, den, percent(num, den), num, den,
    )


@register.filter
def den_of(row, metric):
    return getattr(row, f"{metric}_den")


@register.filter
def percent_of(num, den):
    return percent(num, den)
