"""Named reads of the ledger; every one starts from what the user may see."""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404

from issues import codes
from issues import scope as issue_scope
from issues.deadlines import warning_threshold
from issues.filters import IssueFilter, reopened_q
from issues.models import LEDGER_ORDER, Category, Event, Issue, Level, Photo, Step, overdue_q
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


def in_queue(kind, ids):
    """The issues whose step in hand is with these teams, town offices or county departments
    (`kind`); the open ones are their queue."""
    return {
        "team": Q(level=Level.VILLAGE, current_step__team__in=ids),
        "town": Q(level=Level.TOWN, current_step__town__in=ids),
        "department": Q(level=Level.COUNTY, current_step__department__in=ids),
    }[kind]


def town_queue(user):
    """Open issues escalated to the user's town offices."""
    return _rows(scope.visible(user, Issue).open().filter(in_queue("town", scope.office_towns(user))))


def department_queue(user):
    """Open issues with the user's county departments (吹哨报到)."""
    return _rows(scope.visible(user, Issue).open().filter(in_queue("department", scope.departments(user))))


def town_escalated(user):
    """Issues the user's town offices escalated to a county department, in whatever state they are now."""
    escalated = Step.objects.filter(
        issue=OuterRef("pk"), level=Level.TOWN, town__in=scope.office_towns(user), outcome=Step.Outcome.ESCALATED
    )
    return _rows(scope.visible(user, Issue).filter(Exists(escalated)))


def with_reopened(issues):
    """Listed issues, each with `reopened`: whether a resident's rating ever sent it back (重新办理).
    Part of the page's own query (a cursor's page reads only its rows)."""
    return issues.annotate(reopened=Exists(Event.objects.filter(issue=OuterRef("pk"), kind=Event.Kind.REOPENED)))


def work(user, now):
    """Each of the user's queues with its open issues, those overdue, those due within a working
    day and those reopened, in one query a queue: what the position's home shows first."""
    visible = scope.visible(user, Issue).open()
    queues = [(kind, visible.filter(in_queue(kind, ids))) for kind, ids in issue_scope.queues(user)]
    if issue_scope.watches_county(user):
        queues.append(("county", visible))
    soon = warning_threshold(now) if queues else None
    return [
        (kind, qs.aggregate(
            open=Count("pk"),
            overdue=Count("pk", filter=overdue_q(now)),
            due_soon=Count("pk", filter=Q(due_at__gte=now, due_at__lt=soon)),
            reopened=Count("pk", filter=reopened_q()),
        ))
        for kind, qs in queues
    ]


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
