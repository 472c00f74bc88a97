from pathlib import PurePath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.request_size import takes_photos
from core.web import Conflict, add_service_error, conflict_page, cursor_page, paginate, whole_number
from issues import forms, notifications, public_views, selectors, services
from issues import scope as issue_scope
from issues.deadlines import warning_threshold
from issues.filters import IssueFilter
from issues.models import Issue, Level, Notification
from teams import scope
from teams.models import Membership, User
from visits.models import Visit
from visits.scope import shows_personal_data

PAGE_SIZE = 50


def _list_context(request, issues, **context):
    """A page of listed issues, each flagged overdue, due within a working day or reopened."""
    now = timezone.now()
    page = cursor_page(request, selectors.with_reopened(issues), PAGE_SIZE)
    return {
        "page": page, "now": now, "soon": warning_threshold(now),
        "overdue": {issue.pk for issue in page if issue.is_overdue(now)},
        "reopened": {issue.pk for issue in page if issue.is_open and issue.reopened}, "flags": FLAGS, **context,
    }


# The quick filters above every list: the flags a queue is worked by.
FLAGS = [
    ("overdue", gettext_lazy("Overdue")),
    ("due_soon", gettext_lazy("Due within a working day")),
    ("reopened", gettext_lazy("Reopened")),
]


@login_required
def ledger(request):
    """台账: the issues the user sees, filtered, soonest due first, overdue in red."""
    filterset = selectors.ledger_filter(request.user, request.GET)
    issues = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    return render(request, "issues/ledger.html", _list_context(
        request, issues, filter=filterset, title=_("Issue ledger"), can_register=issue_scope.may_register(request.user),
    ))


def _queue(request, issues, title):
    """A position's queue, with the ledger's filters (the home's figures link to ?overdue=true …)."""
    filterset = IssueFilter(request.GET, queryset=issues, user=request.user)
    issues = filterset.qs if filterset.is_valid() else issues.none()
    return render(request, "issues/queue.html", _list_context(
        request, issues, title=title, town_office=issue_scope.works_town_queue(request.user),
    ))


@login_required
def town_queue(request):
    if not issue_scope.works_town_queue(request.user):
        raise PermissionDenied
    return _queue(request, selectors.town_queue(request.user), _("Issues escalated to the town"))


@login_required
def town_escalated(request):
    """吹哨报到 seen from the town: what it sent to county departments, and where each stands now."""
    if not issue_scope.works_town_queue(request.user):
        raise PermissionDenied
    return _queue(request, selectors.town_escalated(request.user), _("Escalated by the town to the county"))


@login_required
def department_queue(request):
    if not issue_scope.works_department_queue(request.user):
        raise PermissionDenied
    return _queue(request, selectors.department_queue(request.user), _("Issues with my department"))


def _visit_initial(user, visit_id):
    visit = get_object_or_404(
        Visit.objects.filter(village__in=issue_scope.registrable_villages(user))
        .select_related("village__team")
        .prefetch_related("households"),
        pk=visit_id,
    )
    household = next(iter(visit.households.all()), None)
    # The visit's notes are where the resident's words were first written down: start from them.
    initial = {"visit": visit.pk, "village": visit.village_id, "source": Issue.Source.VISIT, "description": visit.notes}
    if household is not None:
        initial.update(household=household.pk, reporter_name=household.head_name)
        if shows_personal_data(scope.scope_for(user), visit.village):
            initial["reporter_phone"] = household.phone
    return visit, household, initial


@takes_photos
@login_required
def register(request):
    """Register a resident's issue, on its own or from a visit (?visit=<id>, pre-filled)."""
    villages = issue_scope.registrable_villages(request.user).select_related("town").order_by("town__name", "name")
    if not villages.exists():
        raise PermissionDenied
    visit = household = None
    initial = {"source": Issue.Source.RECEPTION}
    visit_id = request.POST.get("visit") or request.GET.get("visit")
    if visit_id:
        visit_pk = whole_number(visit_id)
        if visit_pk is None:
            raise Http404
        visit, household, initial = _visit_initial(request.user, visit_pk)
    if request.method == "POST":
        form = forms.RegisterForm(request.POST, request.FILES, villages=villages)
        if form.is_valid():
            data = form.cleaned_data
            try:
                issue = services.register(
                    by=request.user, village=data["village"], category=data["category"], title=data["title"],
                    description=data["description"], source=data["source"],
                    reporter_name=data["reporter_name"], reporter_phone=data["reporter_phone"],
                    household=household if household and household.village_id == data["village"].pk else None,
                    visit=visit, received_at=data["received_at"], photos=data["photos"] or (),
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("The issue was registered. Give the resident this receipt."))
                return redirect("issue-receipt", issue.code)
    else:
        form = forms.RegisterForm(initial=initial, villages=villages)
    return render(request, "issues/register.html", {"form": form, "visit": visit, "household": household})


@login_required
def receipt(request, code):
    issue = selectors.issue_detail(request.user, code)
    url = public_views.status_url(request, issue.code)
    return render(request, "issues/receipt.html", {"issue": issue, "status_url": url, "qr": public_views.qr_svg(url)})


def _form_makers(issue):
    return {
        "progress": lambda data: forms.ProgressForm(data),
        "escalate": lambda data: forms.EscalateForm(data, departments=services.departments_for(issue)),
        "resolve": lambda data: forms.ResolveForm(data),
        "explain": lambda data: forms.ExplainForm(data),
        "feedback": lambda data: forms.FeedbackForm(data),
        "rate": lambda data: forms.RateForm(data),
        "handover": lambda data: forms.HandoverForm(data, members=_team_members(issue)),
    }


def _action_forms(issue, actions, bound=None):
    """The form of each action the user may take, with `bound` (name, form) in place."""
    makers = _form_makers(issue)
    return {name: bound[1] if bound and bound[0] == name else makers[name](None) for name in actions}


@login_required
def photo(request, code, pk):
    """A photo of the problem, only to those who see the issue: the files are not public."""
    image = selectors.issue_photo(request.user, code, pk).image
    try:
        stream = image.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(stream, filename=PurePath(image.name).name)
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _team_members(issue):
    ids = Membership.objects.active_on(timezone.localdate()).filter(team__village=issue.village_id).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).exclude(pk=issue.first_responder_id).order_by("name")


@login_required
def detail(request, code):
    issue = selectors.issue_detail(request.user, code)
    return _render_detail(request, issue)


def _render_detail(request, issue, bound=None, status=200):
    actions = services.allowed_actions(request.user, issue)
    action_forms = _action_forms(issue, actions, bound)
    now = timezone.now()
    return render(request, "issues/detail.html", {
        "issue": issue, "action_forms": action_forms, "now": now, "overdue": issue.is_overdue(now),
        "is_first_responder": issue.first_responder_id == request.user.pk,
        "sees_personal_data": issue_scope.sees_personal_data(scope.scope_for(request.user), issue),
        "town_level": issue.level == Level.TOWN,
    }, status=status)


# Each action's form has exactly the fields its service takes.
SERVICES = {
    "progress": services.add_progress,
    "escalate": services.escalate,
    "resolve": services.resolve,
    "explain": services.explain,
    "feedback": services.record_feedback,
    "rate": services.rate,
    "handover": services.hand_over,
}


DONE = {
    "progress": gettext_lazy("The progress note was added."),
    "escalate": gettext_lazy("The issue was escalated."),
    "resolve": gettext_lazy("The issue was marked resolved."),
    "explain": gettext_lazy("The explanation was recorded."),
    "feedback": gettext_lazy("The feedback was recorded; the issue is closed."),
    "rate": gettext_lazy("The rating was recorded."),
    "handover": gettext_lazy("The issue was handed over."),
}


@login_required
@require_POST
def act(request, code, name):
    if name not in services.ACTIONS:
        raise Http404
    issue = selectors.issue_detail(request.user, code)
    form = _form_makers(issue)[name](request.POST)
    if not form.is_valid():
        return _render_detail(request, issue, bound=(name, form), status=400)
    try:
        seen_step = whole_number(request.POST.get("step", ""))
        SERVICES[name](issue=issue, by=request.user, seen_step=seen_step, **form.cleaned_data)
    except ValidationError as error:
        add_service_error(form, error)
        return _render_detail(request, selectors.issue_detail(request.user, code), bound=(name, form), status=400)
    except Conflict as conflict:
        return conflict_page(request, conflict, redirect("issue-detail", issue.code))
    messages.success(request, str(DONE[name]))
    return redirect("issue-detail", issue.code)


@login_required
def notification_list(request):
    notices = scope.visible(request.user, Notification).select_related("issue", "event__actor")
    return render(request, "issues/notifications.html", {"page": paginate(request, notices, PAGE_SIZE), "query": ""})


@login_required
@require_POST
def notification_open(request, pk):
    notice = get_object_or_404(scope.changeable(request.user, Notification).select_related("issue"), pk=pk)
    notifications.mark_read(user=request.user, notification_ids=[notice.pk])
    return redirect("issue-detail", notice.issue.code)


@login_required
@require_POST
def notifications_read(request):
    notifications.mark_read(user=request.user)
    return redirect("notification-list")
