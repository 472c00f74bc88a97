"""Who may see and change what: the one place that answers it.

`scope_for(user)` reads a user's positions once (team memberships, town office, county
department, organization department, administrator). `visible(user, Model)` and
`changeable(user, Model)` return the querysets of objects that user may see or change; the
admin, the pages and the API all get their objects through them. Apps higher up (visits,
issues, reports) `register` the rules for their own models here, so there is one entry point
for every model while imports still run one way.
"""

from dataclasses import dataclass

from django.db.models import CharField, IntegerField, Q, Value
from django.utils import timezone

from teams.models import (
    Attendance,
    AttendanceChange,
    County,
    Department,
    Holiday,
    LiaisonDay,
    Membership,
    Position,
    Role,
    Schedule,
    Team,
    Town,
    User,
    Village,
)


def union(parts):
    """One subquery of ids from several (`values()` querysets of one column), each read through
    its own index. PostgreSQL answers an OR across joins by reading the whole table; a union of
    narrow reads costs what the user sees. No parts: a subquery of nothing."""
    parts = [part.order_by() for part in parts]
    if not parts:
        return Village.objects.none().values("pk")
    first, *rest = parts
    return first.union(*rest) if rest else first


@dataclass(frozen=True)
class Villages:
    """Villages named by their teams, towns and counties, or all of them: one rule about
    villages, applied to a queryset (`q`) or to one village (`covers`)."""

    team_ids: frozenset = frozenset()
    town_ids: frozenset = frozenset()
    county_ids: frozenset = frozenset()
    every: bool = False

    def ids(self):
        """The villages' ids as a subquery (all villages when `every`)."""
        if self.every:
            return Village.objects.values("pk")
        parts = []
        if self.team_ids:
            parts.append(Team.objects.filter(pk__in=self.team_ids).values("village_id"))
        if self.town_ids:
            parts.append(Village.objects.filter(town__in=self.town_ids).values("pk"))
        if self.county_ids:
            parts.append(Village.objects.filter(town__county__in=self.county_ids).values("pk"))
        return union(parts)

    @property
    def is_empty(self):
        return not (self.every or self.team_ids or self.town_ids or self.county_ids)

    def q(self, prefix=""):
        """Objects whose village (reached by `prefix`, e.g. "village__") is one of these."""
        if self.every:
            return Q()
        return Q(**{f"{prefix}pk__in": self.ids()})

    def teams(self):
        """The ids of these villages' teams, as a subquery."""
        return Team.objects.filter(self.q("village__")).order_by().values("pk")

    def covers(self, village):
        if self.every or village.town_id in self.town_ids:
            return True
        team = getattr(village, "team", None)
        if team is not None and team.pk in self.team_ids:
            return True
        return bool(self.county_ids) and village.town.county_id in self.county_ids


@dataclass(frozen=True)
class Scope:
    user_id: int | None
    is_admin: bool = False
    member_team_ids: frozenset = frozenset()
    leader_team_ids: frozenset = frozenset()
    office_town_ids: frozenset = frozenset()
    department_ids: frozenset = frozenset()
    org_county_ids: frozenset = frozenset()
    # Every county the user works in, whatever the position: the reference tree they see.
    county_ids: frozenset = frozenset()

    @property
    def is_authenticated(self):
        return self.user_id is not None

    @property
    def working_villages(self):
        """Villages the user works in: their teams', their town office's, their county's."""
        return Villages(
            team_ids=self.member_team_ids, town_ids=self.office_town_ids, county_ids=self.org_county_ids,
            every=self.is_admin,
        )

    def handles(self, *, team_id=None, town_id=None, department_id=None):
        """Whether the user handles residents' matters at this unit: the team's members, the
        town's office, the department's staff, administrators. They, and an issue's first
        responder, are the ones who see a resident's personal data."""
        return (
            self.is_admin
            or (team_id is not None and team_id in self.member_team_ids)
            or (town_id is not None and town_id in self.office_town_ids)
            or (department_id is not None and department_id in self.department_ids)
        )

    @property
    def works_in_villages(self):
        """Whether the user's position covers villages (their households and visits)."""
        return self.is_admin or bool(self.member_team_ids or self.office_town_ids or self.org_county_ids)

    @property
    def has_position(self):
        return self.is_admin or any(
            (self.member_team_ids, self.office_town_ids, self.department_ids, self.org_county_ids)
        )


ANONYMOUS = Scope(user_id=None)


def scope_for(user) -> Scope:
    """The user's positions today, read once per user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, "_liaison_scope", None)
    if cached is not None:
        return cached
    # Memberships and positions in one query (every page asks it first): a membership's row has no
    # position kind, a position's no team.
    none = Value(None, output_field=IntegerField())
    memberships = (
        Membership.objects.active_on(timezone.localdate())
        .filter(user=user, team__is_active=True).order_by()
        .annotate(position_kind=Value("", output_field=CharField()), none=none)
        .values_list("position_kind", "team_id", "role", "none", "team__village__town__county_id", "none", "none",
                     "none")
    )
    held = (
        Position.objects.filter(user=user, is_active=True).order_by()
        .annotate(no_team=none, no_role=Value("", output_field=CharField()))
        .values_list("kind", "no_team", "no_role", "town_id", "town__county_id", "department_id",
                     "department__county_id", "county_id")
    )
    rows = list(memberships.union(held, all=True))
    memberships = [(team, role, county) for kind, team, role, _t, county, _d, _dc, _c in rows if not kind]
    positions = [(kind, *rest) for kind, _team, _role, *rest in rows if kind]
    kinds = {p[0] for p in positions}
    scope = Scope(
        user_id=user.pk,
        is_admin=user.is_superuser or Position.Kind.ADMIN in kinds,
        member_team_ids=frozenset(m[0] for m in memberships),
        leader_team_ids=frozenset(m[0] for m in memberships if m[1] == Role.LEADER),
        office_town_ids=frozenset(p[1] for p in positions if p[0] == Position.Kind.TOWN_OFFICE),
        department_ids=frozenset(p[3] for p in positions if p[0] == Position.Kind.DEPARTMENT),
        org_county_ids=frozenset(p[5] for p in positions if p[0] == Position.Kind.ORG_DEPARTMENT),
        county_ids=frozenset(
            [m[2] for m in memberships] + [c for p in positions for c in (p[2], p[4], p[5]) if c is not None]
        ),
    )
    user._liaison_scope = scope
    return scope



# The named questions. Everything outside the scope modules asks these (or `visible`,
# `changeable`), never a Scope's id-sets, so each rule is read and changed in one place.


def administers(user):
    """Whether the user is an administrator: they see and change everything."""
    return scope_for(user).is_admin


def keeps_calendar(user):
    """Whether the user keeps the official holiday calendar: administrators only."""
    return administers(user)


def member_teams(user):
    """The ids of the active teams the user is a member (or the leader) of today."""
    return scope_for(user).member_team_ids


def leads(user, team_id):
    """Whether the user leads this team today."""
    return team_id in scope_for(user).leader_team_ids


def office_towns(user):
    """The ids of the towns whose office (乡镇办) the user works in."""
    return scope_for(user).office_town_ids


def departments(user):
    """The ids of the county departments the user works in."""
    return scope_for(user).department_ids


def org_counties(user):
    """The ids of the counties whose organization department (组织部) the user works in."""
    return scope_for(user).org_county_ids


def may_mark_sheet(user, liaison_day):
    """The team's leader (or an administrator) marks anyone on the day's attendance sheet."""
    return administers(user) or leads(user, liaison_day.team_id)


def may_record_attendance(user, liaison_day):
    """Who records anything on the day's sheet: those who mark it, and the team's members (their
    own row only)."""
    return may_mark_sheet(user, liaison_day) or liaison_day.team_id in member_teams(user)


def team_villages(user):
    """The villages the user may give a team: every village for an administrator, their town
    office's villages otherwise (the town office keeps the rosters)."""
    if administers(user):
        return Village.objects.all()
    return Village.objects.filter(town__in=office_towns(user))


def positions(user):
    """The user's positions today, one dict each, in the shape of /api/v1/me/."""
    s = scope_for(user)
    result = [{"kind": "leader" if t in s.leader_team_ids else "member", "team": t} for t in sorted(s.member_team_ids)]
    result += [{"kind": "town_office", "town": t} for t in sorted(s.office_town_ids)]
    result += [{"kind": "department", "department": d} for d in sorted(s.department_ids)]
    result += [{"kind": "org_department", "county": c} for c in sorted(s.org_county_ids)]
    if s.is_admin:
        result.append({"kind": "admin"})
    return result


_RULES = {}


def register(model, *, visible, changeable):
    """Register a model's rules: each is `fn(scope, queryset) -> queryset`."""
    _RULES[model] = (visible, changeable)


def _queryset(model_or_queryset):
    if hasattr(model_or_queryset, "model"):
        return model_or_queryset.model, model_or_queryset
    return model_or_queryset, model_or_queryset._default_manager.all()


def visible(user, model_or_queryset):
    """Objects of this model (or within this queryset) the user may see."""
    model, queryset = _queryset(model_or_queryset)
    scope = scope_for(user)
    if not scope.is_authenticated:
        return queryset.none()
    if scope.is_admin:
        return queryset
    return _RULES[model][0](scope, queryset)


def changeable(user, model_or_queryset):
    """Objects of this model (or within this queryset) the user may change."""
    model, queryset = _queryset(model_or_queryset)
    scope = scope_for(user)
    if not scope.is_authenticated:
        return queryset.none()
    if scope.is_admin:
        return queryset
    return _RULES[model][1](scope, queryset)


def can_see(user, obj):
    return visible(user, type(obj)).filter(pk=obj.pk).exists()


def can_change(user, obj):
    return changeable(user, type(obj)).filter(pk=obj.pk).exists()


def _none(scope, qs):
    return qs.none()


def _all(scope, qs):
    return qs


# The reference tree: anyone working in a county sees its towns, villages and departments.
register(County, visible=lambda s, qs: qs.filter(pk__in=s.county_ids), changeable=_none)
register(Town, visible=lambda s, qs: qs.filter(county__in=s.county_ids), changeable=_none)
register(Village, visible=lambda s, qs: qs.filter(town__county__in=s.county_ids), changeable=_none)
register(Department, visible=lambda s, qs: qs.filter(county__in=s.county_ids), changeable=_none)
register(Holiday, visible=_all, changeable=_none)


def _team_q(scope, path="team"):
    """Objects whose team (reached by `path`) works in the user's villages."""
    return Q(**{f"{path}__in": scope.working_villages.teams()})


# Teams and their rosters: the members, the town office, the organization department.
# Rosters are changed by the town office (and administrators).
register(
    Team,
    visible=lambda s, qs: qs.filter(s.working_villages.q("village__")),
    changeable=lambda s, qs: qs.filter(village__town__in=s.office_town_ids),
)
register(
    Membership,
    visible=lambda s, qs: qs.filter(_team_q(s)),
    changeable=lambda s, qs: qs.filter(team__village__town__in=s.office_town_ids),
)
register(
    Schedule,
    visible=lambda s, qs: qs.filter(_team_q(s)),
    changeable=lambda s, qs: qs.filter(team__village__town__in=s.office_town_ids),
)
# A liaison day is rescheduled or cancelled by its team's leader or the town office.
register(
    LiaisonDay,
    visible=lambda s, qs: qs.filter(_team_q(s)),
    changeable=lambda s, qs: qs.filter(
        Q(team__in=s.leader_team_ids) | Q(team__village__town__in=s.office_town_ids)
    ),
)
# Attendance changes only through `attendance.record_attendance`, whose rule is `may_mark_sheet`.
register(
    Attendance,
    visible=lambda s, qs: qs.filter(_team_q(s, "liaison_day__team")),
    changeable=_none,
)
register(
    AttendanceChange,
    visible=lambda s, qs: qs.filter(_team_q(s, "attendance__liaison_day__team")),
    changeable=_none,
)
# Oneself, and everyone who has been a member of a team the user sees.
register(
    User,
    visible=lambda s, qs: qs.filter(
        Q(pk=s.user_id) | Q(pk__in=Membership.objects.filter(_team_q(s)).values("user_id"))
    ),
    changeable=lambda s, qs: qs.filter(pk=s.user_id),
)
register(
    Position,
    visible=lambda s, qs: qs.filter(user_id=s.user_id),
    changeable=_none,
)
