"""The ledger's filters, shared by the list page and the API."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from issues.deadlines import warning_threshold
from issues.models import Category, Event, Issue, Level, Step, overdue_q
from teams import scope
from teams.filters import IdFilter, YesNoFilter
from teams.models import Village


class QuickSelect(forms.Select):
    """A select rendered in Python: a county's hundreds of villages, without a template per option."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = "" if value is None else str(value)
        options = format_html_join(
            "", "<option value=\"{}\"{}>{}</option>",
            ((key, mark_safe(" selected") if str(key) == chosen else "", label) for key, label in self.choices),
        )
        return format_html("<select name=\"{}\"{}>{}</select>", name, flatatt(self.build_attrs(self.attrs, attrs)),
                           options)


def _places(user, data):
    """The village and town choices of the user's scope, read in one query when first shown;
    with a town chosen, only its villages are offered."""
    rows = []
    town = str((data or {}).get("town") or "")

    def load():
        if not rows:
            rows.extend(
                scope.visible(user, Village).order_by("town__name", "name").values_list(
                    "pk", "name", "town_id", "town__name"
                )
            )
        return rows

    def villages():
        return [("", "---------")] + [
            (pk, f"{town_name} {name}") for pk, name, town_id, town_name in load() if not town or str(town_id) == town
        ]

    def towns():
        seen = {town_id: town_name for _pk, _name, town_id, town_name in load()}
        return [("", "---------")] + list(seen.items())

    return villages, towns


def _categories():
    rows = []

    def choices():
        if not rows:
            rows.extend([("", "---------")] + [(c.code, c.name) for c in Category.objects.all()])
        return rows

    return choices


def due_soon_q(now):
    """Open issues not yet overdue but due within one working day (the deadline sweep's warning)."""
    return Q(status=Issue.Status.OPEN, due_at__gte=now, due_at__lt=warning_threshold(now))


def reopened_q():
    """Open issues a resident's dissatisfied rating sent back for handling again (重新办理)."""
    reopened = Event.objects.filter(issue=OuterRef("pk"), kind=Event.Kind.REOPENED)
    return Q(Exists(reopened), status=Issue.Status.OPEN)


class IssueFilter(django_filters.FilterSet):
    """Choices are only read when the form is shown; validating them costs no query (the
    issues are already limited to the user's scope)."""

    status = django_filters.ChoiceFilter(label=_("status"), choices=Issue.Status.choices)
    level = django_filters.ChoiceFilter(label=_("level"), choices=Level.choices)
    category = django_filters.CharFilter(label=_("category"), field_name="category__code")
    village = IdFilter(label=_("village"), field_name="village")
    town = IdFilter(label=_("town"), field_name="village__town")
    overdue = YesNoFilter(label=_("overdue"), method="filter_overdue")
    due_soon = YesNoFilter(label=_("due within a working day"), method="filter_due_soon")
    reopened = YesNoFilter(label=_("reopened"), method="filter_reopened")
    mine = YesNoFilter(label=_("mine"), method="filter_mine")
    received_after = django_filters.DateFilter(
        label=_("received from"), method="filter_received_after", widget=forms.DateInput(attrs={"type": "date"})
    )
    received_before = django_filters.DateFilter(
        label=_("received until"), method="filter_received_before", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = Issue
        fields = ["status", "level", "category", "village", "town", "overdue", "due_soon", "reopened", "mine"]

    def __init__(self, data=None, *args, user=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.user = user if user is not None else getattr(self.request, "user", None)
        villages, towns = _places(self.user, data)
        self.filters["village"].extra["widget"] = QuickSelect(choices=villages)
        self.filters["town"].extra["widget"] = QuickSelect(choices=towns)
        self.filters["category"].extra["widget"] = QuickSelect(choices=_categories())

    def filter_overdue(self, qs, name, value):
        overdue = overdue_q(timezone.now())
        return qs.filter(overdue) if value else qs.exclude(overdue)

    def filter_due_soon(self, qs, name, value):
        soon = due_soon_q(timezone.now())
        return qs.filter(soon) if value else qs.exclude(soon)

    def filter_reopened(self, qs, name, value):
        reopened = reopened_q()
        return qs.filter(reopened) if value else qs.exclude(reopened)

    def filter_mine(self, qs, name, value):
        if not value or self.user is None:
            return qs
        return qs.filter(first_responder=self.user)

    def filter_received_after(self, qs, name, value):
        return qs.filter(received_at__date__gte=value)

    def filter_received_before(self, qs, name, value):
        return qs.filter(received_at__date__lte=value)


class StepFilter(django_filters.FilterSet):
    """Steps of the issues of a town (all levels), of a department, of a level, by due time."""

    town = IdFilter(field_name="issue__village__town")
    department = IdFilter()
    due_after = django_filters.DateFilter(method="filter_due_after")
    due_before = django_filters.DateFilter(method="filter_due_before")

    class Meta:
        model = Step
        fields = ["town", "department", "level", "due_after", "due_before"]

    def filter_due_after(self, qs, name, value):
        return qs.filter(due_at__date__gte=value)

    def filter_due_before(self, qs, name, value):
        return qs.filter(due_at__date__lte=value)


class RatingFilter(django_filters.FilterSet):
    town = IdFilter(field_name="issue__village__town")
    rated_after = django_filters.DateFilter(method="filter_rated_after")
    rated_before = django_filters.DateFilter(method="filter_rated_before")

    class Meta:
        model = Event
        fields = ["town", "rated_after", "rated_before"]

    def filter_rated_after(self, qs, name, value):
        return qs.filter(at__date__gte=value)

    def filter_rated_before(self, qs, name, value):
        return qs.filter(at__date__lte=value)
