"""Named reads for households, visits and coverage, with their related rows loaded inside."""

from datetime import date

from django.db.models import Count, Exists, F, Min, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from teams import scope
from teams.models import Membership, User, Village
from visits.models import Assignment, Household, HouseholdTag, Visit
from visits.scope import loggable_teams, personal_data_villages

VisitHousehold = Visit.households.through
MASK_SHOWS_DIGITS = 4


def year_start(today=None):
    today = today or timezone.localdate()
    return date(today.year, 1, 1)


def visited_since(start, until=None):
    """Exists(a household visit to the outer household on or after `start`, up to `until`): what
    counts as visited for the village pages and for the coverage figures alike."""
    days = {"visit__date__gte": start} if until is None else {"visit__date__range": (start, until)}
    return Exists(
        VisitHousehold.objects.filter(household=OuterRef("pk"), visit__kind=Visit.Kind.HOUSEHOLD, **days)
    )


def assigned_on(day):
    """Exists(an assignment of the outer household in force on `day`)."""
    return Exists(Assignment.objects.active_on(day).filter(household=OuterRef("pk")))


def unassigned(households, day=None):
    """Of `households`, those on the roll on `day` (default today) that no member has: listed
    until someone takes them (a member's assignments end with their membership)."""
    day = day or timezone.localdate()
    return (households.filter(registered_on__lte=day).filter(Q(is_active=True) | Q(moved_out_on__gte=day))
            .exclude(assigned_on(day)))


def working_villages(user):
    """Villages whose households and visits the user sees: their teams', their town
    office's, their organization department's county (all of them for administrators).
    Narrower than the reference tree every county worker sees."""
    s = scope.scope_for(user)
    if not s.is_authenticated:
        return Village.objects.none()
    return Village.objects.filter(s.working_villages.q())


def last_household_visit():
    """The date of the outer household's last household visit, as a subquery: for one household."""
    return Subquery(
        VisitHousehold.objects.filter(household=OuterRef("pk"), visit__kind=Visit.Kind.HOUSEHOLD)
        .order_by("-visit__date")
        .values("visit__date")[:1]
    )


def households_visible(user):
    return scope.visible(user, Household)


def search_households(queryset, text, *, user):
    """By name, address or the phone's last digits: any number of them in the villages whose
    numbers the user sees in full, elsewhere only the four the masked number shows."""
    text = (text or "").replace("\x00", "").strip()
    if not text:
        return queryset
    q = Q(head_name__contains=text) | Q(address__contains=text)
    if text.isascii() and text.isdigit():
        phone = Q(phone__endswith=text)
        if len(text) != MASK_SHOWS_DIGITS:
            phone &= personal_data_villages(scope.scope_for(user)).q("village__")
        q |= phone
    return queryset.filter(q)


def household_list(user, *, village):
    """A village's active households with their tags and last household visit (a subquery that a
    cursor's page computes for its own rows only)."""
    return (
        households_visible(user).filter(village=village, is_active=True)
        .prefetch_related(Prefetch("tags", queryset=HouseholdTag.objects.order_by("priority", "code")))
        .annotate(last_visit=last_household_visit())
        .order_by("address", "pk")
    )


def household_detail(user, pk):
    return households_visible(user).select_related("village__town", "village__team").get(pk=pk)


def household_visits(household):
    return (
        household.visits.select_related("recorded_by", "team")
        .prefetch_related("cadres")
        .order_by("-date", "-pk")
    )


def villages_for_visits(user):
    """The villages whose teams the user may log visits for."""
    villages = Village.objects.filter(team__in=loggable_teams(user)).select_related("town", "team")
    return villages.order_by("town__name", "name")


def cadres_of(team):
    """Everyone who has been a member of the team, for the diary's choice of cadre."""
    if team is None:
        return []
    return list(User.objects.filter(memberships__team=team).distinct().order_by("name", "pk"))


def team_and_cadres(teams, pk):
    """The team `pk` among `teams`, and everyone who has been its member, in one query: the
    diary's heading and its choice of cadre. Team.DoesNotExist if it is not among them."""
    memberships = list(
        Membership.objects.filter(team__in=teams, team=pk).select_related("team__village", "user")
        .order_by("user__name", "user_id")
    )
    if not memberships:
        return teams.select_related("village").get(pk=pk), []
    return memberships[0].team, list({m.user_id: m.user for m in memberships}.values())


def diary(user):
    """Visits the user sees, newest first."""
    return (
        scope.visible(user, Visit)
        .select_related("village", "team", "recorded_by")
        .prefetch_related("cadres", "households")
        .order_by("-date", "-pk")
    )


def visit_detail(user, pk):
    return (
        scope.visible(user, Visit)
        .select_related("village__town", "team", "recorded_by")
        .prefetch_related("cadres", "households__tags")
        .get(pk=pk)
    )


def coverage_counts(villages, start):
    """{village id: {"total": active households, "visited": those with a household visit since `start`}}.
    Live, on the roll as it is now; the figures' coverage counts the roll at each period's end
    (reports/figures/registry.py), which a household moved out later was still on."""
    rows = (
        Household.objects.filter(village__in=villages, is_active=True)
        .values("village")
        .annotate(total=Count("pk"), visited=Count("pk", filter=Q(visited_since(start))))
    )
    return {row["village"]: {"total": row["total"], "visited": row["visited"]} for row in rows}


def coverage_row(village, counts):
    row = counts.get(village.pk, {"total": 0, "visited": 0})
    rate = row["visited"] / row["total"] if row["total"] else None
    return {"village": village, "total": row["total"], "visited": row["visited"], "rate": rate}


def not_visited(user, *, village, today=None):
    """Active households with no household visit this year, priority tags first."""
    return (
        households_visible(user)
        .filter(village=village, is_active=True)
        .filter(~visited_since(year_start(today)))
        .annotate(priority=Min("tags__priority"))
        .prefetch_related(Prefetch("tags", queryset=HouseholdTag.objects.order_by("priority", "code")))
        .order_by(F("priority").asc(nulls_last=True), "address", "pk")
    )


# 定点联系 pages: a member's own households, the roll's members, the unassigned.


def quarter_start(today=None):
    today = today or timezone.localdate()
    return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)


def has_tags():
    """Exists(a tag on the outer household): every tag marks a priority household (低保, 独居老人…)."""
    return Exists(Household.tags.through.objects.filter(household=OuterRef("pk")))


def on_roll(households, day):
    return households.filter(registered_on__lte=day).filter(Q(is_active=True) | Q(moved_out_on__gte=day))


def my_households(user, day=None):
    """The households assigned to the user on `day` (default today), in every team of theirs, on
    the roll that day."""
    day = day or timezone.localdate()
    mine = Assignment.objects.active_on(day).filter(membership__user=user, membership__team__is_active=True)
    return on_roll(Household.objects.filter(pk__in=mine.values("household_id")), day)


def my_households_list(households):
    """Never visited first, then the longest since their last household visit; priority first."""
    return (
        households.select_related("village__team")
        .prefetch_related(Prefetch("tags", queryset=HouseholdTag.objects.order_by("priority", "code")))
        .annotate(last_visit=last_household_visit(), priority=has_tags())
        .order_by(F("last_visit").asc(nulls_first=True), F("priority").desc(), "address", "pk")
    )


def not_visited_since(households, start):
    return households.filter(~visited_since(start))


def priority_not_visited_since(households, start):
    return households.filter(has_tags()).filter(~visited_since(start))


def my_progress(households, today=None):
    """This year's round in one query: households, those visited this year, and the priority
    households not visited this quarter."""
    today = today or timezone.localdate()
    counts = households.aggregate(
        total=Count("pk"),
        visited=Count("pk", filter=Q(visited_since(year_start(today)))),
        priority_behind=Count("pk", filter=Q(has_tags()) & ~Q(visited_since(quarter_start(today)))),
    )
    counts["behind"] = counts["total"] - counts["visited"]
    return counts


def _assignments_seen(user, everyone):
    """The assignments a page reads: all of them where the user sees every one of the village's
    (`visits.scope.sees_assignments`, asked by the page), else those the scope shows them."""
    return Assignment.objects.all() if everyone else scope.visible(user, Assignment)


def with_members(households, user, day=None, *, everyone=False):
    """The ids of each household's members on `day`, those the user may see, as columns of the
    page's own query (one named member, or a pair): `member1`, `member2`, None where there is none."""
    day = day or timezone.localdate()
    current = (_assignments_seen(user, everyone).active_on(day).filter(household=OuterRef("pk"))
               .order_by("start_date", "pk").values("membership__user_id"))
    return households.annotate(member1=Subquery(current[:1]), member2=Subquery(current[1:2]))


def members_of(household, names):
    """[(user id, name)] of the household's members read by `with_members`; `names`: {user id: name}."""
    return [(pk, names.get(pk, "")) for pk in (household.member1, household.member2) if pk is not None]


def assigned_to(households, user, member_id, day=None, *, everyone=False):
    """Of `households`, those assigned to the user `member_id` on `day`, as far as `user` sees."""
    day = day or timezone.localdate()
    held = _assignments_seen(user, everyone).active_on(day).filter(membership__user=member_id)
    return households.filter(pk__in=held.values("household_id"))


def team_members_and_loads(team, day=None):
    """The team's members on `day` (one row a person, by name) and how many households each has:
    [(user, count)], in one query."""
    day = day or timezone.localdate()
    held = (Assignment.objects.active_on(day).filter(membership__team=team, membership__user=OuterRef("user_id"))
            .order_by().values("membership__user").annotate(n=Count("pk")).values("n"))
    members = {}
    for membership in (Membership.objects.active_on(day).filter(team=team).select_related("user")
                       .annotate(households=Subquery(held)).order_by("user__name", "user_id")):
        members.setdefault(membership.user_id, (membership.user, membership.households or 0))
    return list(members.values())


def unassigned_by_village(households, day=None):
    """{village id: count} of the unassigned among `households`, in one query."""
    rows = unassigned(households, day).order_by().values("village").annotate(n=Count("pk"))
    return {row["village"]: row["n"] for row in rows}
