"""Named reads of the ledger; every one starts from what the user may see."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from issues import codes
from issues.filters import IssueFilter
from issues.models import LEDGER_ORDER, Category, Event, Issue, Level, Photo, Step
from teams import scope


def _listed(qs):
    """Open issues first, soonest due (overdue) on top; then the finished ones, latest first
    (`LEDGER_ORDER`, which an index serves). The current step and its handler come in a
    query of their own: joined, they would make the planner read every issue before the scope's
    few (PostgreSQL stops reordering joins past eight tables)."""
    return qs.select_related("category", "village__town", "first_responder").prefetch_related(
        Prefetch("current_step", queryset=Step.objects.select_related("team", "town", "department"))
    ).order_by(*LEDGER_ORDER)


def _rows(qs):
    """For lists: without the long texts."""
    return _listed(qs).defer("description", "result", "feedback_note", "satisfaction_comment")


def ledger_filter(user, data, *, full=False):
    """The ledger's filter form, its choices limited to what the user sees. Pages list rows
    without the long texts; `full` keeps them (the API returns them)."""
    visible = scope.visible(user, Issue)
    return IssueFilter(data, queryset=_listed(visible) if full else _rows(visible), user=user)


def ledger(user, filters=None):
    """The issues the user sees, filtered (status, level, overdue, category, village, town,
    received date range, mine), soonest due first."""
    f = ledger_filter(user, filters or {}, full=True)
    return f.qs if f.is_valid() else f.queryset.none()


def town_queue(user):
    """Open issues escalated to the user's town offices."""
    s = scope.scope_for(user)
    return _rows(
        scope.visible(user, Issue).filter(
            status=Issue.Status.OPEN, level=Level.TOWN, current_step__town__in=s.office_town_ids
        )
    )


def department_queue(user):
    """Open issues with the user's county departments (吹哨报到)."""
    s = scope.scope_for(user)
    return _rows(
        scope.visible(user, Issue).filter(
            status=Issue.Status.OPEN, level=Level.COUNTY, current_step__department__in=s.department_ids
        )
    )


def issue_detail(user, code):
    """One issue the user sees, by tracking code, with its steps, timeline and photos; 404 otherwise."""
    qs = _listed(scope.visible(user, Issue)).select_related("household", "visit", "village__team").prefetch_related(
        Prefetch(
            "steps",
            queryset=Step.objects.select_related("team", "town", "department", "ended_by").order_by("opened_at", "pk"),
        ),
        Prefetch("events", queryset=Event.objects.select_related("actor").order_by("at", "pk")),
        "photos",
    )
    return get_object_or_404(qs, code=codes.normalize(code))


def issue_photo(user, code, pk):
    """A photo of an issue the user sees; 404 otherwise."""
    return get_object_or_404(
        Photo.objects.filter(issue__in=scope.visible(user, Issue)), pk=pk, issue__code=codes.normalize(code)
    )


def categories():
    return Category.objects.all()
