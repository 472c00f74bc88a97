"""Every transition from every state: allowed ones write exactly one timeline event (two for
a reopening rating), refused ones raise TransitionNotAllowed (409) and write nothing."""

import pytest

from issues import services
from issues.models import Event, Issue, Level, Step
from issues.tests.conftest import at, reload

STATES = ["village", "town", "county", "resolved", "explained", "closed", "rated"]
ACTIONS = ["progress", "escalate", "resolve", "explain", "feedback", "rate", "handover"]
ALLOWED = {
    "village": {"progress", "escalate", "resolve", "explain", "handover"},
    "town": {"progress", "escalate", "resolve", "explain", "handover"},
    "county": {"progress", "resolve", "explain", "handover"},
    "resolved": {"feedback", "rate", "handover"},
    "explained": {"feedback", "rate", "handover"},
    "closed": {"rate", "handover"},
    "rated": {"feedback", "handover"},
}


def into(state, w, register):
    issue = register(w)
    if state in ("town", "county"):
        services.escalate(issue=issue, by=w.leader, reason="需镇街协调")
    if state == "county":
        services.escalate(issue=issue, by=w.town_office, reason="需县直部门", department=w.dept1)
    if state in ("resolved", "closed", "rated"):
        services.resolve(issue=issue, by=w.cadre, result="已修复路灯")
    if state == "explained":
        services.explain(issue=issue, by=w.cadre, explanation="该路段属在建工程，竣工后统一安装")
    if state == "closed":
        services.record_feedback(issue=issue, by=w.cadre, note="电话告知王阿姨")
    if state == "rated":
        services.rate(issue=issue, satisfaction="satisfied")
    return reload(issue)


def attempt(action, issue, w):
    by = w.admin
    if action == "progress":
        return services.add_progress(issue=issue, by=by, note="已联系供电所")
    if action == "escalate":
        return services.escalate(issue=issue, by=by, reason="需上级协调", department=w.dept1)
    if action == "resolve":
        return services.resolve(issue=issue, by=by, result="已解决")
    if action == "explain":
        return services.explain(issue=issue, by=by, explanation="不属于受理范围")
    if action == "feedback":
        return services.record_feedback(issue=issue, by=by, note="上门告知")
    if action == "rate":
        return services.rate(issue=issue, satisfaction="basically_satisfied")
    return services.hand_over(issue=issue, by=by, to=w.leader, reason="李丽芳调离驻点团队")


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ACTIONS)
def test_transition(world, register, monday_before, state, action):
    issue = into(state, world, register)
    events_before = issue.events.count()
    steps_before = list(issue.steps.values_list("pk", "ended_at", "outcome"))
    if action in ALLOWED[state]:
        event = attempt(action, issue, world)
        assert isinstance(event, Event)
        assert issue.events.count() == events_before + 1
    else:
        with pytest.raises(services.TransitionNotAllowed):
            attempt(action, issue, world)
        assert issue.events.count() == events_before
        assert list(issue.steps.values_list("pk", "ended_at", "outcome")) == steps_before
        assert reload(issue).status == into_status(state)


def into_status(state):
    return {
        "village": "open", "town": "open", "county": "open", "resolved": "resolved",
        "explained": "explained", "closed": "closed", "rated": "resolved",
    }[state]


def test_whole_path_steps_and_due_times(world, register, monday_before):
    issue = register(world)
    step = issue.current_step
    assert (step.level, step.team_id, step.due_at) == ("village", world.team_a.pk, at(2026, 11, 23, 9, 0))
    monday_before.shift(3600)
    services.escalate(issue=issue, by=world.cadre, reason="需镇街协调")
    monday_before.shift(3600)
    services.escalate(issue=issue, by=world.town_office, reason="吹哨报到", department=world.dept1)
    monday_before.shift(3600)
    services.resolve(issue=issue, by=world.department, result="已协调供电局修复")
    services.record_feedback(issue=issue, by=world.cadre, note="电话告知")
    issue = reload(issue)
    steps = list(issue.steps.order_by("opened_at"))
    assert [(s.level, s.outcome, s.on_time) for s in steps] == [
        ("village", "escalated", True), ("town", "escalated", True), ("county", "resolved", True),
    ]
    assert steps[1].town_id == world.town1.pk and steps[2].department_id == world.dept1.pk
    assert steps[1].due_at == at(2026, 11, 30, 10, 0)
    assert steps[2].due_at == at(2026, 12, 14, 11, 0)
    assert (issue.level, issue.status, issue.current_step_id) == (Level.COUNTY, Issue.Status.CLOSED, steps[2].pk)
    assert list(issue.events.values_list("kind", flat=True)) == [
        "registered", "escalated_town", "escalated_county", "resolved", "feedback",
    ]


def test_late_step_is_recorded_late(world, register, monday_before):
    issue = register(world)
    monday_before.shift(8 * 24 * 3600)
    services.resolve(issue=issue, by=world.cadre, result="已修复")
    assert Step.objects.get(issue=issue).on_time is False


def test_dissatisfied_rating_reopens_at_the_last_level(world, at_county):
    services.resolve(issue=at_county, by=world.department, result="已协调修复")
    services.rate(issue=at_county, satisfaction="dissatisfied", comment="路灯还是不亮")
    issue = reload(at_county)
    assert (issue.status, issue.level, issue.satisfaction) == ("open", "county", "")
    assert issue.current_step.department_id == world.dept1.pk and issue.current_step.ended_at is None
    assert issue.steps.count() == 4
    assert list(issue.events.values_list("kind", flat=True))[-2:] == ["rated", "reopened"]
    services.resolve(issue=issue, by=world.department, result="更换了整条线路")
    services.rate(issue=issue, satisfaction="satisfied")
    assert reload(issue).satisfaction == "satisfied"
    # Each rating stays on the timeline in a field of its own, the one that reopened the issue too.
    ratings = issue.events.filter(kind="rated").values_list("satisfaction", "public_note", "internal_note")
    assert list(ratings) == [("dissatisfied", "路灯还是不亮", ""), ("satisfied", "", "")]


def test_dissatisfied_with_an_explanation_does_not_reopen(world, register, monday_before):
    issue = register(world)
    services.explain(issue=issue, by=world.cadre, explanation="属规划范围，暂不能解决")
    services.rate(issue=issue, satisfaction="dissatisfied")
    assert (reload(issue).status, reload(issue).satisfaction) == ("explained", "dissatisfied")


def test_handover_moves_ownership_and_notifies_both(world, register, monday_before):
    issue = register(world)
    services.hand_over(issue=issue, by=world.leader, to=world.lawyer, reason="李丽芳调离")
    issue = reload(issue)
    assert issue.first_responder_id == world.lawyer.pk
    assert set(issue.notifications.values_list("user__username", flat=True)) == {"cadre", "lawyer"}
    assert issue.events.last().internal_note == "李丽芳调离"


def test_stale_instance_loses(world, register, monday_before):
    """What the caller loaded is what they act on: a change made meanwhile makes it a 409."""
    issue = register(world)
    stale = Issue.objects.get(pk=issue.pk)
    services.resolve(issue=issue, by=world.cadre, result="已修复")
    with pytest.raises(services.TransitionNotAllowed):
        services.explain(issue=stale, by=world.leader, explanation="不能解决")
    assert issue.events.count() == 2


def test_the_timeline_cannot_be_changed_after_the_fact(world, register, monday_before):
    from django.db import DatabaseError, transaction

    issue = register(world)
    event = issue.events.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(public_note="改过的")
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.public_note == ""


@pytest.mark.parametrize("fields,error", [
    ({"reason": ""}, "reason"),
    ({"reason": "吹哨报到"}, "department"),
    ({"reason": "吹哨报到", "department": "other"}, "department"),
])
def test_a_refused_escalation_writes_nothing(world, at_town, fields, error):
    from django.core.exceptions import ValidationError

    from teams.models import Department

    if fields.get("department") == "other":
        fields["department"] = Department.objects.create(county=world.other_county, name="龙门县信访局")
    before = (at_town.events.count(), list(at_town.steps.values_list("pk", "ended_at")))
    with pytest.raises(ValidationError) as refused:
        services.escalate(issue=at_town, by=world.town_office, **fields)
    assert error in refused.value.message_dict
    assert (at_town.events.count(), list(at_town.steps.values_list("pk", "ended_at"))) == before
    assert reload(at_town).level == "town"


@pytest.mark.parametrize("action,persona", [
    ("resolve", "other_cadre"), ("resolve", "town_office"), ("resolve", "department"), ("resolve", "org_department"),
    ("escalate", "lawyer"), ("escalate", "department"), ("feedback", "org_department"), ("handover", "lawyer"),
])
def test_refused_persons_get_permission_denied(world, register, monday_before, action, persona):
    from django.core.exceptions import PermissionDenied

    issue = register(world)
    if action == "feedback":
        services.resolve(issue=issue, by=world.cadre, result="已修复")
    by = getattr(world, persona)
    calls = {
        "resolve": lambda: services.resolve(issue=issue, by=by, result="已修复"),
        "escalate": lambda: services.escalate(issue=issue, by=by, reason="需协调"),
        "feedback": lambda: services.record_feedback(issue=issue, by=by, note="已告知"),
        "handover": lambda: services.hand_over(issue=issue, by=by, to=world.leader, reason="调离"),
    }
    count = issue.events.count()
    with pytest.raises(PermissionDenied):
        calls[action]()
    assert issue.events.count() == count
