"""The four kinds of unit the figures are kept for — team, town, county, county department —
one object each: its model, the units above it and below it, and the paths from the rows a
figure counts (teams, villages, issues, steps) to it. Pages, exports and assessments ask the
kind (`of(unit)`) instead of branching on it. Who may see a unit is `reports.scope.sees_unit`'s rule."""

from django.db.models import OuterRef, Q

from issues.models import Level
from issues.selectors import in_queue
from reports.models import Unit
from teams.models import County, Department, Team, Town, Village

NOTHING = Q(pk__in=[])


class Kind:
    unit = None
    model = None
    related = ()  # what leads from the unit up to its county, loaded with it
    county_path = "county_id"
    has_teams = True  # a department has none: no visits, no attendance, no 重点提示 of teams
    # Its records are too many to count on every page (a county's 600,000 households): counted
    # from its snapshot while that is fresh (`selectors.record_counts`).
    many_records = False

    def __str__(self):
        return self.unit

    @property
    def label(self):
        return self.unit.label

    def label_of(self, obj):
        """The tag beside a unit's name."""
        return self.label

    def load(self, unit_id):
        """The unit, with what leads up to its county; None if none."""
        return self.model.objects.select_related(*self.related).filter(pk=unit_id).first()

    def county_id(self, unit_id):
        return self.model.objects.filter(pk=unit_id).values_list(self.county_path, flat=True).first()

    def county(self, obj):
        """The county of a unit `load`ed."""
        return obj.county

    def parents(self, obj):
        """The units above `obj`, county first: the dashboard's way back up."""
        return [(Unit.COUNTY, obj.county)]

    def town_id(self, obj):
        """The town a unit `load`ed lies in; None above a town."""
        return None

    def members(self, unit_id, overdue_now=None):
        """[(member unit, queryset)]: the units whose figures show under this one's. Given
        `overdue_now(**where)`, each carries its villages' issues overdue now."""
        return []

    def ledger_place(self, obj):
        """The ledger's filter for the unit's villages, as a query string's start."""
        return ""

    def teams(self, unit_id, prefix=""):
        """Teams (or what `prefix` leads to a team from) that count for the unit."""
        return NOTHING

    def villages(self, unit_id, prefix=""):
        """What lies in the unit's villages, through `prefix`: the villages read once, not
        joined to every row."""
        return Q(**{f"{prefix}village__in": self._villages(unit_id)})

    def _villages(self, unit_id):
        return Village.objects.none().values("pk")

    def issues(self, unit_id):
        """Issues that count for the unit: those of its villages."""
        return self.villages(unit_id)

    def steps(self, unit_id):
        """Steps that count for the unit's timely-handling rate (DESIGN.md: who owns a figure)."""
        return NOTHING


class TeamKind(Kind):
    unit = Unit.TEAM
    model = Team
    related = ("village__town__county",)
    county_path = "village__town__county_id"

    def county(self, obj):
        return obj.village.town.county

    def parents(self, obj):
        return [(Unit.COUNTY, obj.village.town.county), (Unit.TOWN, obj.village.town)]

    def town_id(self, obj):
        return obj.village.town_id

    def ledger_place(self, obj):
        return f"village={obj.village_id}&"

    def teams(self, unit_id, prefix=""):
        return Q(**{f"{prefix}id": unit_id})

    def _villages(self, unit_id):
        return Team.objects.filter(pk=unit_id).values("village_id")

    def steps(self, unit_id):
        return Q(level=Level.VILLAGE, team=unit_id)


class TownKind(Kind):
    unit = Unit.TOWN
    model = Town
    related = ("county",)

    def label_of(self, obj):
        return obj.get_kind_display()  # a town is named by its own kind, 镇 or 街道

    def town_id(self, obj):
        return obj.pk

    def members(self, unit_id, overdue_now=None):
        teams = Team.objects.filter(village__town=unit_id, is_active=True).select_related("village")
        if overdue_now is not None:
            teams = teams.annotate(overdue_now=overdue_now(village=OuterRef("village")))
        return [(Unit.TEAM, teams.order_by("village__name"))]

    def ledger_place(self, obj):
        return f"town={obj.pk}&"

    def teams(self, unit_id, prefix=""):
        return Q(**{f"{prefix}village__town": unit_id})

    def _villages(self, unit_id):
        return Village.objects.filter(town=unit_id).values("pk")

    def steps(self, unit_id):
        return Q(level=Level.VILLAGE, team__village__town=unit_id) | Q(level=Level.TOWN, town=unit_id)


class CountyKind(Kind):
    unit = Unit.COUNTY
    model = County
    related = ()
    many_records = True

    def county_id(self, unit_id):
        return unit_id

    def county(self, obj):
        return obj

    def parents(self, obj):
        return []

    def members(self, unit_id, overdue_now=None):
        towns = Town.objects.filter(county=unit_id).order_by("name")
        if overdue_now is not None:
            towns = towns.annotate(overdue_now=overdue_now(village__town=OuterRef("pk")))
        return [(Unit.TOWN, towns), (Unit.DEPARTMENT, Department.objects.filter(county=unit_id).order_by("name"))]

    def teams(self, unit_id, prefix=""):
        return Q(**{f"{prefix}village__town__county": unit_id})

    def _villages(self, unit_id):
        return Village.objects.filter(town__county=unit_id).values("pk")

    def steps(self, unit_id):
        return Q(issue__village__town__county=unit_id)


class DepartmentKind(Kind):
    unit = Unit.DEPARTMENT
    model = Department
    related = ("county",)
    has_teams = False

    def issues(self, unit_id):
        """Its queue, once open: the issues whose step in hand is its own (no join to every
        step, which listed an issue reopened there twice)."""
        return in_queue("department", [unit_id])

    def steps(self, unit_id):
        return Q(level=Level.COUNTY, department=unit_id)


KINDS = {kind.unit: kind for kind in (TeamKind(), TownKind(), CountyKind(), DepartmentKind())}


def of(unit):
    return KINDS[unit]
