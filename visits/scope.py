"""Who sees and changes households and visits: the people working in the village (its team,
the town office, the county's organization department) see them; the village's team and the
town office keep the household roll; visits are logged by the team's members."""

from django.db.models import Q

from teams.scope import register, scope_for
from visits.models import Household, HouseholdTag, Visit


def _in_villages(s, qs):
    return qs.filter(s.village_q("village__"))


register(HouseholdTag, visible=lambda s, qs: qs, changeable=lambda s, qs: qs.none())
register(
    Household,
    visible=_in_villages,
    changeable=lambda s, qs: qs.filter(Q(village__team__in=s.member_team_ids) | Q(village__town__in=s.office_town_ids)),
)
register(Visit, visible=_in_villages, changeable=lambda s, qs: qs.filter(team__in=s.member_team_ids))


def keeps_roll(user, village):
    """Whether the user keeps the village's household roll: its team's members, its town office,
    administrators. The same rule as `changeable(user, Household)`, for a household not yet there."""
    s = scope_for(user)
    team = getattr(village, "team", None)
    return s.is_admin or village.town_id in s.office_town_ids or (team is not None and team.pk in s.member_team_ids)


def shows_personal_data(scope, village):
    """Full phone and ID numbers: only to the village's own team and administrators."""
    team = getattr(village, "team", None)
    return scope.is_admin or (team is not None and team.pk in scope.member_team_ids)


def personal_data_q(scope, prefix=""):
    """The villages whose full phone and ID numbers the user sees, as a filter: the same rule as
    `shows_personal_data`."""
    if scope.is_admin:
        return Q()
    return Q(**{f"{prefix}team__in": scope.member_team_ids})
