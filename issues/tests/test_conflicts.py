"""Someone who was allowed to act a moment ago, and lost the race to another person, is told that
someone else acted (409), not that they may not (403): the state is checked before the permission,
and the step the user saw travels with the action."""

from django.urls import reverse

from issues import services

STALE = "该问题刚被他人处理，请刷新后再试。"


def test_the_api_answers_409_when_the_issue_moved_on_since_the_user_saw_it(world, api_as, register, monday_before):
    issue = register(world)
    seen = api_as(world.cadre).get(f"/api/v1/issues/{issue.code}/").json()
    assert "resolve" in seen["actions"]
    services.escalate(issue=issue, by=world.leader, reason="需镇街协调")
    response = api_as(world.cadre).post(
        f"/api/v1/issues/{issue.code}/resolve/", {"result": "已修好", "step": issue.steps.first().pk}
    )
    assert (response.status_code, response.json()) == (409, {"detail": STALE})
    # Without saying what it saw, the same: the cadre could resolve it at the village, and it moved on.
    response = api_as(world.cadre).post(f"/api/v1/issues/{issue.code}/resolve/", {"result": "已修好"})
    assert (response.status_code, response.json()) == (
        409, {"detail": "该问题在您打开后已被他人处理，现由罗阳街道办理，请刷新后查看。"}
    )
    issue.refresh_from_db()
    assert (issue.status, issue.level) == ("open", "town")


def test_the_page_says_someone_else_acted(world, as_user, register, monday_before):
    issue = register(world)
    client = as_user(world.cadre)
    page = client.get(reverse("issue-detail", args=[issue.code])).content.decode()
    assert f'name="step" value="{issue.current_step_id}"' in page
    services.escalate(issue=issue, by=world.leader, reason="需镇街协调")
    response = client.post(
        reverse("issue-action", args=[issue.code, "resolve"]), {"result": "已修好", "step": issue.steps.first().pk},
        follow=True,
    )
    assert response.status_code == 200 and STALE in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == "open"


def test_the_state_is_checked_before_the_permission(world, api_as, register, monday_before):
    issue = register(world)
    services.resolve(issue=issue, by=world.cadre, result="已修好")
    # The town office may not act at the village; that the issue is resolved is what it is told.
    response = api_as(world.town_office).post(f"/api/v1/issues/{issue.code}/explain/", {"explanation": "x"})
    assert response.status_code == 409
