"""Due times in working days on the holiday calendar (limits per level come from settings)."""

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from issues import notifications
from issues.models import DeadlineAlert, Notification, Step
from teams.workdays import WorkCalendar


def limit(level):
    return settings.ISSUE_DUE_WORKING_DAYS[level]


def due_at(level, opened_at, calendar=None):
    """When a step at this level opened at `opened_at` is due, at the same local time of day."""
    calendar = calendar or WorkCalendar.load()
    return calendar.add_working_days(timezone.localtime(opened_at), limit(level))


def warning_threshold(now, calendar=None):
    """Steps due before this moment are due within one working day."""
    calendar = calendar or WorkCalendar.load()
    return calendar.add_working_days(timezone.localtime(now), 1)


@transaction.atomic
def sweep(now=None):
    """Warn about open steps due within one working day and report overdue ones, to the
    handler and the first responder, once per step and kind. Safe to run twice at once: the
    alert's unique row decides who sends it. Returns {kind: steps alerted}."""
    now = now or timezone.now()
    threshold = warning_threshold(now)
    steps = list(
        Step.objects.filter(ended_at__isnull=True, due_at__lt=threshold).select_related("issue").only(
            "level", "team_id", "town_id", "department_id", "due_at", "issue__first_responder_id",
        )
    )
    wanted = [(s.pk, DeadlineAlert.Kind.OVERDUE if s.due_at < now else DeadlineAlert.Kind.DUE_SOON) for s in steps]
    sent = {}
    table = connection.ops.quote_name(DeadlineAlert._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            cursor.execute(
                f"INSERT INTO {table} (step_id, kind, sent_at) VALUES {', '.join(['(%s, %s, %s)'] * len(chunk))} "
                "ON CONFLICT (step_id, kind) DO NOTHING RETURNING step_id, kind",
                [value for step_id, kind in chunk for value in (step_id, kind, now)],
            )
            sent.update(cursor.fetchall())
    alerted = [s for s in steps if s.pk in sent]
    handlers = notifications.handler_user_ids(alerted)
    notices = []
    counts = {DeadlineAlert.Kind.DUE_SOON.value: 0, DeadlineAlert.Kind.OVERDUE.value: 0}
    for step in alerted:
        kind = str(sent[step.pk])
        counts[kind] += 1
        for user_id in {step.issue.first_responder_id, *handlers[step.pk]}:
            notices.append(Notification(user_id=user_id, issue_id=step.issue_id, kind=kind))
    Notification.objects.bulk_create(notices, batch_size=2000)
    return counts
