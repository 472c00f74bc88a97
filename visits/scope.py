"""Who sees and changes households and visits: the people working in the village (its team,
the town office, the county's organization department) see them; the village's team and the
town office keep the household roll; visits are logged by the team's members; full phone and
ID numbers are read by the village's own team."""

from django.db.models import Q

from teams.models import Membership, Team, Village
from teams.scope import Villages, register, scope_for, union
from visits.models import Assignment, Household, HouseholdTag, MemberPlan, PlannedVisit, Visit


def roll_keepers(s):
    """The villages whose household roll the user keeps: their teams', their town office's."""
    return Villages(team_ids=s.member_team_ids, town_ids=s.office_town_ids, every=s.is_admin)


def roll_villages(user):
    """The villages whose household roll the user keeps, as a queryset. Those who keep a
    village's roll are also the ones who register its residents' issues (issues.scope)."""
    return Village.objects.filter(roll_keepers(scope_for(user)).q())


def keeps_a_roll(user):
    """Whether the user keeps any village's roll: `roll_villages` without a query."""
    return not roll_keepers(scope_for(user)).is_empty


def personal_data_villages(s):
    """The villages whose residents' full phone and ID numbers the user reads: those whose
    households they handle (`Scope.handles` at the village's team)."""
    return Villages(team_ids=s.member_team_ids, every=s.is_admin)


def loggable_teams(user):
    """The active teams whose visits the user may log: their own."""
    s = scope_for(user)
    teams = Team.objects.filter(is_active=True)
    return teams if s.is_admin else teams.filter(pk__in=s.member_team_ids)


def keeps_roll(user, village):
    return roll_keepers(scope_for(user)).covers(village)


def shows_personal_data(s, village):
    team = getattr(village, "team", None)
    return s.handles(team_id=team.pk if team is not None else None)


def assigners(s):
    """The villages whose households the user assigns to members (定点联系): the teams they lead,
    their town office's villages."""
    return Villages(team_ids=s.leader_team_ids, town_ids=s.office_town_ids, every=s.is_admin)


def may_assign(user, team):
    """Whether the user assigns the households of this team's village: its leader, its town
    office, an administrator."""
    return assigners(scope_for(user)).covers(team.village)


def assignment_watchers(s):
    """The villages whose every assignment the user sees: those they assign, and the organization
    department's county (a member sees their own only)."""
    return Villages(team_ids=s.leader_team_ids, town_ids=s.office_town_ids, county_ids=s.org_county_ids,
                    every=s.is_admin)


def sees_assignments(user, village):
    """Whether the user sees every assignment of the village (the roll shows each household's
    members and filters by them): those who assign there, the organization department."""
    return assignment_watchers(scope_for(user)).covers(village)


def assigns_anywhere(user):
    """Whether the user assigns any village's households: `assigning_villages` without a query."""
    return not assigners(scope_for(user)).is_empty


def assigning_villages(user):
    """The villages whose households the user assigns, as a queryset: their unassigned list."""
    return Village.objects.filter(assigners(scope_for(user)).q())


def home_unassigned_villages(user):
    """The villages whose unassigned households the user's home counts: the teams they lead, their
    town office's; None when there are none. An administrator, who assigns everywhere, opens
    the list rather than paying for every county's count on each visit home."""
    s = scope_for(user)
    villages = Villages(team_ids=s.leader_team_ids, town_ids=s.office_town_ids)
    return None if villages.is_empty else Village.objects.filter(villages.q())


def watches_plans(user):
    """Whether the user sees other members' plans (the plan page's at-risk sections)."""
    return not assignment_watchers(scope_for(user)).is_empty


def _plans(s, qs):
    return qs.filter(Q(membership__user_id=s.user_id) | assignment_watchers(s).q("team__village__"))


def _in_villages(s, qs):
    return qs.filter(s.working_villages.q("village__"))


register(HouseholdTag, visible=lambda s, qs: qs, changeable=lambda s, qs: qs.none())
register(Household, visible=_in_villages, changeable=lambda s, qs: qs.filter(roll_keepers(s).q("village__")))
register(Visit, visible=_in_villages, changeable=lambda s, qs: qs.filter(team__in=s.member_team_ids))


def _assignments_seen(s, qs):
    """A member's own assignments, and every one of the villages the user oversees. Each part is
    read through its own index and the ids gathered (an OR across joins reads the whole table);
    but the organization department sees nearly every row, and checking each as the table is
    read costs less than gathering them all."""
    if s.is_admin:
        return qs
    own = Assignment.objects.filter(membership__in=Membership.objects.filter(user_id=s.user_id).values("pk"))
    watched = assignment_watchers(s)
    if s.org_county_ids:
        return qs.filter(Q(pk__in=own.values("pk")) | watched.q("household__village__"))
    parts = [own.values("pk")]
    if not watched.is_empty:
        parts.append(Assignment.objects.filter(watched.q("household__village__")).values("pk"))
    return qs.filter(pk__in=union(parts))


register(
    Assignment,
    visible=_assignments_seen,
    changeable=lambda s, qs: qs.filter(assigners(s).q("household__village__")),
)
register(MemberPlan, visible=_plans, changeable=lambda s, qs: qs.none())
register(PlannedVisit, visible=_plans, changeable=lambda s, qs: qs.none())
