"""Who sees and does what in the reports: the figures' dashboards, the oversight (inspections,
assessment rounds) and the Excel imports. The pages, the API, the exports and the imports all
ask these; the rules for the reports' own models are registered with `teams.scope` here too."""

from django.db.models import Q

from reports.figures import units
from reports.models import AssessmentRound, Inspection, Unit
from teams import scope
from teams.models import County, Department, Membership, Team, Town
from visits.scope import assigners

# The figures.


def manages(user, county_id):
    """Whether the user manages this county's oversight and sees all its figures: its
    organization department, administrators."""
    s = scope.scope_for(user)
    return s.is_admin or county_id in s.org_county_ids


def oversees_counties(user):
    """Whether the user oversees whole counties (the organization department, administrators):
    they record inspections and see coverage town by town."""
    s = scope.scope_for(user)
    return s.is_admin or bool(s.org_county_ids)


def managed_counties(user):
    """The counties whose organization department the user is (all of them for an administrator)."""
    s = scope.scope_for(user)
    return County.objects.all() if s.is_admin else County.objects.filter(pk__in=s.org_county_ids)


def managed_towns(user):
    """The towns of the counties the user manages."""
    s = scope.scope_for(user)
    return Town.objects.all() if s.is_admin else Town.objects.filter(county__in=s.org_county_ids)


def sees_unit(user, unit, obj):
    """Whether the user sees this unit's figures (a team, town, county or department, loaded
    with what leads up to its county; no query): the organization department its county and all
    in it, a town office its towns and their teams, a team's members their team, a department's
    staff their department."""
    if manages(user, units.of(unit).county(obj).pk):
        return True
    s = scope.scope_for(user)
    if unit == Unit.TOWN:
        return obj.pk in s.office_town_ids
    if unit == Unit.TEAM:
        return obj.pk in s.member_team_ids or obj.village.town_id in s.office_town_ids
    if unit == Unit.DEPARTMENT:
        return obj.pk in s.department_ids
    return False


def sees_member(user, member_id):
    """Whether the user sees this member's coverage (定点联系): their own; a team's leader its
    members'; a town office its town's teams' members'; the organization department its
    county's; administrators everyone's. A member of any time counts (the figures keep history)."""
    s = scope.scope_for(user)
    if s.user_id is None:
        return False
    if s.is_admin or member_id == s.user_id:
        return Membership.objects.filter(user=member_id).exists()
    return Membership.objects.filter(user=member_id).filter(
        Q(team__in=s.leader_team_ids) | Q(team__village__town__in=s.office_town_ids)
        | Q(team__village__town__county__in=s.org_county_ids)
    ).exists()


def sees_assignment_health(user):
    """Whether the user sees the assignment health of towns: those who oversee whole counties."""
    return oversees_counties(user)


def dashboards(user):
    """The units whose dashboards the user's positions open, broadest first."""
    s = scope.scope_for(user)
    result = [(Unit.COUNTY, c) for c in managed_counties(user).order_by("name")]
    result += [(Unit.TOWN, t) for t in Town.objects.filter(pk__in=s.office_town_ids).order_by("name")]
    result += [(Unit.DEPARTMENT, d) for d in Department.objects.filter(pk__in=s.department_ids).order_by("name")]
    result += [(Unit.TEAM, t) for t in Team.objects.filter(pk__in=s.member_team_ids).order_by("name")]
    return result


def works_in_department(user, department_id):
    """Whether the user is on this county department's staff (its queue is theirs)."""
    return department_id in scope.scope_for(user).department_ids


def own_units_names(user):
    """The names of the units the user works in (counties, towns, villages), "" for an
    administrator: what an export names when no unit was chosen."""
    s = scope.scope_for(user)
    if s.is_admin:
        return ""
    names = list(County.objects.filter(pk__in=s.org_county_ids).values_list("name", flat=True))
    names += list(Town.objects.filter(pk__in=s.office_town_ids).values_list("name", flat=True))
    names += list(Team.objects.filter(pk__in=s.member_team_ids).values_list("village__name", flat=True))
    return "、".join(names[:3]) + ("…" if len(names) > 3 else "")


# Assessment rounds.


def sees_assessments(user):
    """Whether the user has assessment rounds to see: the organization department, the town
    offices, administrators."""
    s = scope.scope_for(user)
    return s.is_admin or bool(s.org_county_ids or s.office_town_ids)


def rounds_visible(user):
    """The rounds the user sees: the organization department its county's, drafts included; a
    town office its county's published rounds (its own results only, see `result_towns`)."""
    s = scope.scope_for(user)
    qs = AssessmentRound.objects.all()
    if s.is_admin:
        return qs
    offices = Town.objects.filter(pk__in=s.office_town_ids).values("county_id")
    return qs.filter(
        Q(county__in=s.org_county_ids) | Q(county__in=offices, status=AssessmentRound.Status.PUBLISHED)
    )


def sees_all_results(user, round_):
    """Whether the user sees every result of the round: those who manage its county."""
    return manages(user, round_.county_id)


def result_towns(user):
    """The towns whose results (the town's and its teams') the user sees in a round of a county
    they do not manage: their town offices'."""
    return scope.scope_for(user).office_town_ids


def may_withdraw_round(user):
    """Whether the user takes a published round back: administrators only."""
    return scope.administers(user)


# Inspections: the organization department sees all of its county's and records them; a
# team's leader and its town office see their own.


def _inspections_visible(s, qs):
    return qs.filter(
        Q(team__village__town__county__in=s.org_county_ids) | Q(team__in=s.leader_team_ids)
        | Q(team__village__town__in=s.office_town_ids)
    )


scope.register(
    Inspection, visible=_inspections_visible,
    changeable=lambda s, qs: qs.filter(team__village__town__county__in=s.org_county_ids),
)


def may_record_inspections(user):
    """Whether the user records inspections at all: the organization department, administrators."""
    return oversees_counties(user)


# Imports.

_TOWN_OFFICE_IMPORTS = ("households", "roster")


def may_import(user, kind):
    """Whether the user runs this kind of import: households and rosters for the town office
    (its towns) and administrators; the holiday calendar for those who keep it; assignments
    (定点联系) for those who assign households (teams' leaders too)."""
    if kind == "holidays":
        return scope.keeps_calendar(user)
    s = scope.scope_for(user)
    if kind == "assignments":
        return not assigners(s).is_empty
    return kind in _TOWN_OFFICE_IMPORTS and (s.is_admin or bool(s.office_town_ids))


def imports_offered(user):
    """Whether the user runs any import."""
    return may_import(user, _TOWN_OFFICE_IMPORTS[0]) or may_import(user, "assignments")
