"""Named reads of the ledger; every one starts from what the user may see."""

from django.db.models import Case, F, Prefetch, Value, When
from django.shortcuts import get_object_or_404

from issues import codes
from issues.filters import IssueFilter
from issues.models import Category, Event, Issue, Level, Photo, Step
from teams import scope


def _listed(qs):
    """Open issues first, soonest due (overdue) on top; then the finished ones, latest first."""
    return qs.select_related(
        "category", "village__town", "first_responder",
        "current_step__team", "current_step__town", "current_step__department",
    ).alias(
        finished=Case(When(status=Issue.Status.OPEN, then=Value(0)), default=Value(1)),
        open_due=Case(When(status=Issue.Status.OPEN, then=F("due_at"))),
    ).order_by("finished", F("open_due").asc(nulls_last=True), F("due_at").desc(nulls_last=True), "-pk")


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
