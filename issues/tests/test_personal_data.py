"""A resident's name and phone reach only the people handling the issue at its current level and
its first responder (and administrators); everyone else who sees the issue sees them masked, in
the API's lists and details, on the issue page and in the admin."""

import pytest
from django.urls import reverse

from issues import services
from visits.models import Household

FULL = ("王秀英", "13912345678")
MASKED = ("王**", "139****5678")


def seen_through_api(api, issue):
    listed = {row["code"]: row for row in api.get("/api/v1/issues/").json()["results"]}[issue.display_code]
    detail = api.get(f"/api/v1/issues/{issue.code}/").json()
    assert (listed["reporter_name"], listed["reporter_phone"]) == (detail["reporter_name"], detail["reporter_phone"])
    return detail["reporter_name"], detail["reporter_phone"]


def seen_on_the_page(client, issue):
    body = client.get(reverse("issue-detail", args=[issue.code])).content.decode()
    shown = [values for values in (FULL, MASKED) if f"{values[0]} · {values[1]}" in body]
    assert len(shown) == 1
    return shown[0]


@pytest.fixture
def issue(world, register, monday_before):
    wang = Household.objects.create(village=world.village_a, head_name="王秀英", address="西区社区建设路12号",
                                    phone="13912345678")
    return register(world, household=wang)


def expect(world, api_as, as_user, issue, full, masked):
    for persona in full:
        assert seen_through_api(api_as(getattr(world, persona)), issue) == FULL, persona
        assert seen_on_the_page(as_user(getattr(world, persona)), issue) == FULL, persona
    for persona in masked:
        assert seen_through_api(api_as(getattr(world, persona)), issue) == MASKED, persona
        assert seen_on_the_page(as_user(getattr(world, persona)), issue) == MASKED, persona


def test_at_the_village_the_team_and_the_first_responder_see_the_resident(world, api_as, as_user, issue):
    expect(world, api_as, as_user, issue, full=["cadre", "leader", "admin"], masked=["town_office", "org_department"])
    household = api_as(world.org_department).get(f"/api/v1/issues/{issue.code}/").json()["household"]
    assert household is None


def test_escalated_the_resident_goes_with_the_issue(world, api_as, as_user, issue):
    services.escalate(issue=issue, by=world.leader, reason="需镇街协调")
    # The leader handled it at the village; the first responder follows it to the end.
    expect(world, api_as, as_user, issue, full=["cadre", "town_office"], masked=["leader", "org_department"])
    services.escalate(issue=issue, by=world.town_office, reason="吹哨报到", department=world.dept1)
    expect(world, api_as, as_user, issue, full=["cadre", "department"], masked=["town_office", "leader"])


def staff(user):
    """The user as staff who may read the ledger in the admin."""
    from django.contrib.auth.models import Permission

    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(Permission.objects.get(content_type__app_label="issues", codename="view_issue"))
    return user


def seen_in_the_admin(client, issue):
    body = client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    shown = [values for values in (FULL, MASKED) if all(f'<div class="readonly">{v}</div>' in body for v in values)]
    assert len(shown) == 1 and (shown[0] == FULL) == ("西区社区建设路12号" in body), body[:200]
    return shown[0]


def test_the_admin_masks_the_resident_by_the_pages_rule(world, as_user, issue):
    """Staff who see the issue without handling it see the resident masked, and no household; a
    search by the resident's name finds nothing for them."""
    for persona in ("town_office", "org_department"):
        client = as_user(staff(getattr(world, persona)))
        assert seen_in_the_admin(client, issue) == MASKED, persona
        body = client.get(reverse("admin:issues_issue_changelist"), {"q": "王秀英"}).content.decode()
        assert issue.title not in body, persona
    for persona in ("cadre", "admin"):
        assert seen_in_the_admin(as_user(staff(getattr(world, persona))), issue) == FULL, persona
    services.escalate(issue=issue, by=world.leader, reason="需镇街协调")
    assert seen_in_the_admin(as_user(world.town_office), issue) == FULL
    assert seen_in_the_admin(as_user(staff(world.leader)), issue) == MASKED
    found = as_user(world.admin).get(reverse("admin:issues_issue_changelist"), {"q": "王秀英"}).content.decode()
    assert issue.title in found
