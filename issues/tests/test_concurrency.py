"""Two people act on the same issue at the same moment, on two real PostgreSQL connections:
one succeeds, the other gets a 409-type error, and the timeline has one event for it."""


import pytest
import time_machine

from conftest import run_together
from issues import deadlines, services
from issues.models import DeadlineAlert, Event, Issue, Notification
from issues.tests.conftest import at


@pytest.mark.parametrize("second", ["resolve", "escalate"])
def test_two_cadres_at_once_one_wins(tworld, tcategory, second):
    issue = services.register(
        by=tworld.cadre, village=tworld.village_a, category=tcategory, title="路灯不亮", description="巷口路灯坏了",
        source="reception", reporter_name="王秀英", reporter_phone="13912345678",
    )

    def resolve():
        return services.resolve(issue=Issue.objects.get(pk=issue.pk), by=tworld.cadre, result="已修复")

    def other():
        fresh = Issue.objects.get(pk=issue.pk)
        if second == "resolve":
            return services.explain(issue=fresh, by=tworld.leader, explanation="暂不能解决")
        return services.escalate(issue=fresh, by=tworld.leader, reason="需镇街协调")

    results = run_together(resolve, other)
    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, services.TransitionNotAllowed)
    kinds = list(Event.objects.filter(issue=issue).values_list("kind", flat=True))
    assert len(kinds) == 2 and kinds[0] == "registered"
    assert issue.steps.filter(ended_at__isnull=True).count() <= 1


def test_two_sweeps_at_once_alert_once(tworld, tcategory):
    with time_machine.travel(at(2026, 11, 16, 9, 0), tick=False):
        services.register(
            by=tworld.cadre, village=tworld.village_a, category=tcategory, title="路灯不亮", description="巷口路灯坏了",
            source="reception", reporter_name="王秀英", reporter_phone="13912345678",
        )
    Notification.objects.all().delete()
    moment = at(2026, 11, 30, 9, 0)
    results = run_together(lambda: deadlines.sweep(moment), lambda: deadlines.sweep(moment))
    assert sorted(r[1]["overdue"] for r in results) == [0, 1], results
    assert DeadlineAlert.objects.count() == 1
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == ["cadre", "leader"]
