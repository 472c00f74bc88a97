"""Due times on the holiday calendar, and the sweep's warnings and overdue reports."""

import time_machine
from django.test import override_settings

from issues import deadlines, services
from issues.models import DeadlineAlert, Notification
from issues.tests.conftest import at, reload


def test_village_deadline_skips_national_day_and_counts_the_make_up_saturday(world, register, national_day):
    """Registered Wednesday 30 September: 1–7 October are off; Saturday 10 October is a
    make-up working day (调休); five working days end on Tuesday 13 October."""
    with time_machine.travel(at(2026, 9, 30, 10, 0), tick=False):
        issue = register(world)
    assert issue.due_at == at(2026, 10, 13, 10, 0)
    assert issue.current_step.due_at == issue.due_at


def test_town_deadline_over_the_holiday(world, register, national_day):
    with time_machine.travel(at(2026, 9, 29, 15, 30), tick=False) as traveller:
        issue = register(world)
        traveller.move_to(at(2026, 9, 30, 16, 0))
        services.escalate(issue=issue, by=world.leader, reason="需镇街协调")
    # 8, 9, 10 (Saturday, make-up), 12–16, 19, 20 October: ten working days.
    assert reload(issue).due_at == at(2026, 10, 20, 16, 0)


def test_received_on_paper_counts_from_when_it_was_received(world, register, monday_before):
    issue = register(world, received_at=at(2026, 11, 13, 17, 0))
    assert issue.due_at == at(2026, 11, 20, 17, 0)
    assert issue.events.get().at == at(2026, 11, 13, 17, 0)


@override_settings(ISSUE_DUE_WORKING_DAYS={"village": 2, "town": 10, "county": 20})
def test_limits_come_from_settings(world, register, monday_before):
    assert register(world).due_at == at(2026, 11, 18, 9, 0)


def test_sweep_warns_once_then_reports_overdue_once(world, register):
    with time_machine.travel(at(2026, 11, 16, 9, 0), tick=False) as traveller:
        issue = register(world)  # due Monday 23 November 09:00
        assert deadlines.sweep() == {"due_soon": 0, "overdue": 0}
        traveller.move_to(at(2026, 11, 20, 10, 0))  # Friday: next working day is Monday
        assert deadlines.sweep() == {"due_soon": 1, "overdue": 0}
        assert deadlines.sweep() == {"due_soon": 0, "overdue": 0}
        traveller.move_to(at(2026, 11, 23, 9, 15))
        assert deadlines.sweep() == {"due_soon": 0, "overdue": 1}
        assert deadlines.sweep() == {"due_soon": 0, "overdue": 0}
    assert sorted(DeadlineAlert.objects.values_list("kind", flat=True)) == ["due_soon", "overdue"]
    notices = sorted(Notification.objects.filter(issue=issue).values_list("user__username", "kind"))
    # The first responder (cadre) and the handler (team A's leader), once per kind.
    assert notices == [("cadre", "due_soon"), ("cadre", "overdue"), ("leader", "due_soon"), ("leader", "overdue")]


def test_sweep_ignores_ended_steps_and_alerts_the_new_handler(world, register):
    with time_machine.travel(at(2026, 11, 16, 9, 0), tick=False) as traveller:
        issue = register(world)
        traveller.move_to(at(2026, 11, 24, 9, 0))
        services.escalate(issue=issue, by=world.leader, reason="需镇街协调")
        Notification.objects.all().delete()
        assert deadlines.sweep() == {"due_soon": 0, "overdue": 0}
        traveller.move_to(at(2026, 12, 8, 10, 0))
        assert deadlines.sweep() == {"due_soon": 0, "overdue": 1}
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == ["cadre", "town"]


def test_sweep_runs_as_the_beat_task(world, register, settings):
    from issues.tasks import sweep_deadlines

    assert settings.CELERY_BEAT_SCHEDULE["sweep-issue-deadlines"] == {
        "task": "issues.tasks.sweep_deadlines", "schedule": 15 * 60,
    }
    with time_machine.travel(at(2026, 11, 16, 9, 0), tick=False) as traveller:
        register(world)
        traveller.move_to(at(2026, 11, 30, 9, 0))
        assert sweep_deadlines.apply().get() == {"due_soon": 0, "overdue": 1}
