"""Many people act on one issue at once, each request on its own PostgreSQL connection, most of
them without sending the step they saw (DESIGN.md's contract does not name it): one action wins;
everyone who was allowed to act on the issue they loaded, and lost, is told 409 "someone else
changed it" — never 403 "you may not", which is what the issue as it is now would say to them."""

import threading

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from issues import services
from issues.models import Event, Issue

N = 20
MOVED_ON = "该问题在您打开后已被他人处理，现由罗阳街道办理，请刷新后查看。"
STALE = "该问题刚被他人处理，请刷新后再试。"


@pytest.fixture
def issue(tworld, tcategory, monday_before):
    return services.register(
        by=tworld.cadre, village=tworld.village_a, category=tcategory, title="路灯不亮", description="巷口路灯坏了",
        source="reception", reporter_name="王秀英", reporter_phone="13912345678",
    )


def post_at_once(calls, then=()):
    """POST each (user, path, body) in its own thread (own connection), released together; the
    calls in `then` start as soon as the first answer is back: people who loaded the page
    before the winner acted, and send a moment later."""
    answers = [None] * (len(calls) + len(then))
    barrier = threading.Barrier(len(calls))
    first = threading.Event()

    def worker(i, user, path, body, wait):
        try:
            api = APIClient()
            api.force_authenticate(user)
            wait()
            answers[i] = api.post(path, body, format="json")
            first.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, *c, barrier.wait)) for i, c in enumerate(calls)]
    threads += [
        threading.Thread(target=worker, args=(len(calls) + i, *c, lambda: first.wait(60))) for i, c in enumerate(then)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return answers


def test_twenty_escalations_at_once_one_wins_every_loser_409(tworld, issue):
    path = f"/api/v1/issues/{issue.code}/escalate/"
    people = [tworld.leader, tworld.cadre]
    calls = [(people[i % 2], path, {"reason": f"需镇街协调{i}"}) for i in range(N // 2)]
    late = [(people[i % 2], path, {"reason": f"需镇街协调{i}"}) for i in range(N // 2, N)]
    answers = post_at_once(calls, late)
    codes = [a.status_code for a in answers]
    assert sorted(codes) == [200] + [409] * (N - 1), codes
    assert Event.objects.filter(issue=issue, kind=Event.Kind.ESCALATED_TOWN).count() == 1
    assert issue.steps.count() == 2


def test_after_an_escalation_every_loser_is_told_409_not_403(tworld, issue):
    services.escalate(issue=Issue.objects.get(pk=issue.pk), by=tworld.leader, reason="需镇街协调")
    events = Event.objects.filter(issue=issue).count()
    base = f"/api/v1/issues/{issue.code}"
    actions = [
        ("resolve", {"result": "已修好"}),
        ("explain", {"explanation": "暂不能解决"}),
        ("escalate", {"reason": "需镇街协调"}),
    ]
    calls = [
        ([tworld.leader, tworld.cadre][i % 2], f"{base}/{actions[i % 3][0]}/", actions[i % 3][1]) for i in range(N)
    ]
    answers = post_at_once(calls)
    assert [a.status_code for a in answers] == [409] * N
    assert {a.json()["detail"] for a in answers} == {MOVED_ON}
    # With the step they saw, the same: someone else changed it.
    response = post_at_once([(tworld.cadre, f"{base}/resolve/", {"result": "已修好", "step": issue.current_step_id})])
    assert (response[0].status_code, response[0].json()) == (409, {"detail": STALE})
    issue.refresh_from_db()
    assert (issue.status, issue.level) == ("open", "town")
    assert Event.objects.filter(issue=issue).count() == events


def test_who_never_could_act_is_still_refused_403(tworld, issue):
    path = f"/api/v1/issues/{issue.code}"
    # The town office does not handle the village's step; a team's lawyer does not escalate.
    assert post_at_once([(tworld.town_office, f"{path}/resolve/", {"result": "已修好"})])[0].status_code == 403
    assert post_at_once([(tworld.lawyer, f"{path}/escalate/", {"reason": "x"})])[0].status_code == 403
    services.escalate(issue=Issue.objects.get(pk=issue.pk), by=tworld.leader, reason="需镇街协调")
    # Nor could the lawyer escalate it when it was at the village: the move changed nothing for them.
    assert post_at_once([(tworld.lawyer, f"{path}/escalate/", {"reason": "x"})])[0].status_code == 403


def test_the_page_without_the_step_says_someone_else_acted(tworld, issue, client):
    client.force_login(tworld.cadre)
    services.escalate(issue=Issue.objects.get(pk=issue.pk), by=tworld.leader, reason="需镇街协调")
    response = client.post(reverse("issue-action", args=[issue.code, "resolve"]), {"result": "已修好"}, follow=True)
    assert response.status_code == 200 and MOVED_ON in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == "open"
