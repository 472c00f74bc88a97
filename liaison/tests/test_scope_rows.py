"""The scope rules return exactly the rows they returned before they were rewritten for speed
(unions of indexed reads instead of ORs across joins), for every persona and every model, in a
county where positions mix: a cadre who is also a town office and a department's staff, a
cadre who left a team after registering an issue there, an ended membership, an inactive team,
another county. The rules as they were are written out below as the reference."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db.models import Q
from django.utils import timezone

from factories import HouseholdFactory, MembershipFactory, PositionFactory, TeamFactory, UserFactory
from issues import services as issue_services
from issues.models import DeadlineAlert, Event, Issue, Photo, Step
from teams import scope
from teams.attendance import record_attendance
from teams.models import (
    Attendance,
    AttendanceChange,
    LiaisonDay,
    Membership,
    Position,
    Schedule,
    Team,
    User,
    Village,
)
from visits import services as visit_services
from visits.models import Household, Visit
from visits.scope import personal_data_villages, roll_keepers
from visits.selectors import working_villages


def old_villages_q(villages, prefix=""):
    if villages.every:
        return Q()
    return (
        Q(**{f"{prefix}team__in": villages.team_ids})
        | Q(**{f"{prefix}town__in": villages.town_ids})
        | Q(**{f"{prefix}town__county__in": villages.county_ids})
    )


def old_team_q(s, prefix=""):
    return old_villages_q(s.working_villages, f"{prefix}village__")


def old_issue_q(s):
    q = Q(first_responder_id=s.user_id) | old_villages_q(s.working_villages, "village__")
    if s.department_ids:
        q |= Q(pk__in=Step.objects.filter(department__in=s.department_ids).values("issue_id"))
    return q


def old_issues(s):
    return Issue.objects.filter(old_issue_q(s)).values("pk")


OLD_VISIBLE = {
    Team: lambda s: Team.objects.filter(old_team_q(s)),
    Membership: lambda s: Membership.objects.filter(old_team_q(s, "team__")),
    Schedule: lambda s: Schedule.objects.filter(old_team_q(s, "team__")),
    LiaisonDay: lambda s: LiaisonDay.objects.filter(old_team_q(s, "team__")),
    Attendance: lambda s: Attendance.objects.filter(old_team_q(s, "liaison_day__team__")),
    AttendanceChange: lambda s: AttendanceChange.objects.filter(old_team_q(s, "attendance__liaison_day__team__")),
    User: lambda s: User.objects.filter(
        Q(pk=s.user_id) | Q(memberships__team__in=Team.objects.filter(old_team_q(s)))
    ).distinct(),
    Household: lambda s: Household.objects.filter(old_villages_q(s.working_villages, "village__")),
    Visit: lambda s: Visit.objects.filter(old_villages_q(s.working_villages, "village__")),
    Issue: lambda s: Issue.objects.filter(old_issue_q(s)),
    Step: lambda s: Step.objects.filter(issue__in=old_issues(s)),
    Event: lambda s: Event.objects.filter(issue__in=old_issues(s)),
    Photo: lambda s: Photo.objects.filter(issue__in=old_issues(s)),
    DeadlineAlert: lambda s: DeadlineAlert.objects.filter(step__issue__in=old_issues(s)),
}


@pytest.fixture
def mixed_county(busy_world):
    """busy_world, and: `mixed`, a cadre of team C who is also town 1's office and 信访局's
    staff; `former`, who registered an issue in village B as its team's cadre and has since
    left; an inactive team D in town 1 with a member; attendance marked and changed; a deadline
    alert; the other county's household, visit and issue."""
    w = busy_world
    today = timezone.localdate()
    w.mixed = UserFactory(username="mixed", name="混合岗位", password=None)
    MembershipFactory(team=w.team_c, user=w.mixed)
    PositionFactory(user=w.mixed, kind=Position.Kind.TOWN_OFFICE, town=w.town1)
    PositionFactory(user=w.mixed, kind=Position.Kind.DEPARTMENT, department=w.dept1)
    w.former = UserFactory(username="former", name="已调离", password=None)
    left = MembershipFactory(team=w.team_b, user=w.former)
    w.issue_b = issue_services.register(
        by=w.former, village=w.village_b, category=w.issue_a.category, title="井盖缺失", description="东区井盖缺失",
        source=Issue.Source.PHONE, reporter_name="黄美玲", reporter_phone="13700000000",
    )
    Membership.objects.filter(pk=left.pk).update(end_date=today - timedelta(days=1))
    w.team_d = TeamFactory(village__town=w.town1, village__name="北区社区", is_active=False, schedule=None)
    w.idle = UserFactory(username="idle", name="停用团队成员", password=None)
    MembershipFactory(team=w.team_d, user=w.idle)
    HouseholdFactory(village=w.team_d.village, head_name="孙立", address="北区1号")
    record_attendance(liaison_day=w.day_a, by=w.leader, entries=[{"member": w.cadre.pk, "status": "present"}])
    record_attendance(liaison_day=w.day_a, by=w.leader, entries=[{"member": w.cadre.pk, "status": "absent"}])
    DeadlineAlert.objects.create(step=w.issue_town.current_step, kind=DeadlineAlert.Kind.DUE_SOON)
    # A second photo and alert, in team B's village, so that each list has a row some personas may not see.
    Photo.objects.create(issue=w.issue_b, image=ContentFile(b"\xff\xd8\xff\xe0 photo", name="manhole.jpg"))
    DeadlineAlert.objects.create(step=w.issue_b.current_step, kind=DeadlineAlert.Kind.DUE_SOON)
    other = UserFactory(username="faraway", name="外县干部", password=None)
    MembershipFactory(team=w.other_team, user=other)
    home = HouseholdFactory(village=w.other_village, head_name="钟海", address="城东1号")
    visit_services.log_visit(by=other, kind="household", date=today, village=w.other_village, households=[home])
    issue_services.register(
        by=other, village=w.other_village, category=w.issue_a.category, title="外县事项", description="外县",
        source=Issue.Source.PHONE, reporter_name="钟海", reporter_phone="13600000000",
    )
    w.personas = [*w.personas, "mixed", "former", "idle"]
    return w


def pks(queryset):
    return sorted(queryset.values_list("pk", flat=True))


def fresh(user):
    """The user read again, so that the scope is read from the database as a request would."""
    return None if user is None else User.objects.get(pk=user.pk)


@pytest.mark.parametrize("model", list(OLD_VISIBLE), ids=lambda m: m.__name__)
def test_every_persona_sees_the_same_rows_as_before(mixed_county, model):
    w = mixed_county
    assert model.objects.count() >= 2
    for persona in w.personas:
        user = fresh(getattr(w, persona))
        s = scope.scope_for(user)
        expected = pks(OLD_VISIBLE[model](s)) if s.is_authenticated and not s.is_admin else (
            pks(model.objects.all()) if s.is_admin else [])
        assert pks(scope.visible(user, model)) == expected, persona
        assert len(pks(scope.visible(user, model))) == scope.visible(user, model).count(), f"{persona}: repeats"


def test_the_village_rules_name_the_same_villages_as_before(mixed_county):
    w = mixed_county
    for persona in w.personas:
        user = fresh(getattr(w, persona))
        s = scope.scope_for(user)
        for villages in (s.working_villages, roll_keepers(s), personal_data_villages(s)):
            assert pks(Village.objects.filter(villages.q())) == pks(Village.objects.filter(old_villages_q(villages))), (
                persona)
            assert pks(Household.objects.filter(villages.q("village__"))) == pks(
                Household.objects.filter(old_villages_q(villages, "village__"))), persona
        assert pks(scope.changeable(user, Household)) == (
            pks(Household.objects.filter(old_villages_q(roll_keepers(s), "village__"))) if user else []), persona
        expected = pks(Village.objects.filter(old_villages_q(s.working_villages))) if user else []
        assert pks(working_villages(user)) == expected, persona


def test_the_mixed_positions_and_the_former_member(mixed_county):
    """What the reference rules promise, said outright."""
    w = mixed_county
    mixed, former = fresh(w.mixed), fresh(w.former)
    # Team C's cadre, town 1's office, 信访局: the three towns' worth of issues of the county.
    assert set(scope.visible(mixed, Issue)) == {w.issue_a, w.issue_town, w.issue_county, w.issue_done, w.issue_c,
                                                w.issue_b}
    # Left team B: its households and visits are gone, the issue they registered stays theirs.
    assert list(scope.visible(former, Issue)) == [w.issue_b]
    assert not scope.visible(former, Household).exists() and not scope.visible(former, Visit).exists()
    # An inactive team's member works in no village.
    assert not scope.visible(fresh(w.idle), Household).exists()


@pytest.mark.parametrize("model", [Household, Visit, Issue, LiaisonDay, Attendance, Membership, Step])
def test_a_cadre_sees_no_row_outside_their_village(mixed_county, model):
    w = mixed_county
    path = {Household: "village", Visit: "village", Issue: "village", LiaisonDay: "team__village",
            Attendance: "liaison_day__team__village", Membership: "team__village", Step: "issue__village"}[model]
    for persona in ("cadre", "leader", "other_cadre"):
        user = fresh(getattr(w, persona))
        villages = set(scope.visible(user, model).values_list(path, flat=True))
        own = {t.village_id for t in Team.objects.filter(pk__in=scope.scope_for(user).member_team_ids)}
        assert villages and villages <= own, persona
