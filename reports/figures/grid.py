"""The snapshots' cells written by the database: each source row read once, bucketed into every
period at once by a day → period map, and inserted without a model instance (INSERT … SELECT).

The rows each metric counts are the registry's querysets (reports/figures/registry.py), grouped
per team and local day and compiled into the statement, so the rules stay in one place. Two
counts are restated in SQL because a queryset cannot say them per period: the households
visited (each counted once a period, with lag() over its visit dates) and the households on the
roll at each period's end (a running sum of registrations and moves out). `metrics.compute`
counts the same in Python, and the freshness tests compare the two cell by cell."""

from datetime import date, timedelta

from django.db import connection
from django.db.models import Count, F, Q
from django.utils import timezone

from issues.models import Issue, Level, overdue_q
from reports import periods as P
from reports.figures.registry import (
    ANSWERED,
    FIGURES,
    PRESENT,
    RESOLVED,
    SATISFIED,
    attendance_rows,
    judged_steps,
    local_day,
    member_periods,
    on_time,
    ratings,
)
from reports.figures.registry import aware as _aware
from reports.models import Unit
from visits.models import Visit

COLUMNS = ", ".join(FIGURES)
TEAM_FIELDS = "refresh_id, unit, unit_id, period, start, computed_at"



def _sql(queryset):
    sql, params = queryset.order_by().query.sql_with_params()
    return f"({sql})", list(params)


# In a GROUPING SETS over a day's periods of each kind: the kind of the row's set, and its start.
KIND_OF_SET = "CASE " + " ".join(
    f"WHEN GROUPING(dm.{kind}) = 0 THEN '{kind}'" for kind in P.KINDS[:-1]) + f" ELSE '{P.KINDS[-1]}' END"
START_OF_SET = f"coalesce({', '.join(f'dm.{kind}' for kind in P.KINDS)})"


def _periods_sql(period_list, today):
    """`p`: the periods asked for (with `upto`, their last day or today); `dm`: every day of them
    with the start and `upto` of its period of each kind (NULL for a kind not asked for); `d`: the
    same one row per day and kind; `p0`: each kind's first period."""
    wide = ", ".join(
        f"max(d.start) FILTER (WHERE d.kind = '{kind}') AS {kind}, "
        f"max(d.upto) FILTER (WHERE d.kind = '{kind}') AS {kind}_upto" for kind in P.KINDS)
    return (
        f"""p AS (
            SELECT kind, start, "end", LEAST("end", %s::date) AS upto
            FROM unnest(%s::text[], %s::date[], %s::date[]) AS p(kind, start, "end")
        ), d AS (
            SELECT g::date AS day, p.kind, p.start, p.upto
            FROM p, generate_series(p.start, p."end", interval '1 day') AS g
        ), dm AS (SELECT day, {wide} FROM d GROUP BY day),
        p0 AS (SELECT kind, min(start) AS start FROM p GROUP BY kind)""",
        [today, [p.kind for p in period_list], [p.start for p in period_list], [p.end for p in period_list]],
    )


def _by_period(owner, *upto):
    """GROUPING SETS of `owner` with each kind's period (and its `upto`, if asked)."""
    return "GROUPING SETS (" + ", ".join(
        f"({owner}, dm.{kind}{f', dm.{kind}_upto' if upto else ''})" for kind in P.KINDS) + ")"


def _execute(sql, params):
    with connection.cursor() as cursor:
        # The day map's generate_series is estimated at a thousand rows a period, so the planner's
        # costs pass JIT's thresholds: compiling took ten times as long as running (7.4 s for a
        # Dongguan town).
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)


def _bucketed(name, source, params, columns, key="team"):
    """A CTE `name`: the (owner, day, *columns) rows of `source` summed into every period, each
    row read once; the owner named `key` (a queryset's alias may not be a field's name, such as
    a step's `team`). A day's kind not asked for makes a row with no start, which joins nothing."""
    sums = ", ".join(f"sum(x.{c}) AS {c}" for c in columns)
    return (f"{name} AS (SELECT x.owner AS {key}, {KIND_OF_SET} AS kind, {START_OF_SET} AS start, {sums} "
            f"FROM {source} AS x JOIN dm ON dm.day = x.day GROUP BY {_by_period('x.owner')})"), params


class Window:
    """The days [first, last] of a computation (last no later than today) at the moment `now`."""

    def __init__(self, period_list, now):
        self.now = now
        self.today = timezone.localdate(now)
        self.first = min(p.start for p in period_list)
        self.last = self.today
        self.start = _aware(self.first)
        self.end = now
        # Steps due up to the last period's end count, once ended or past due (`judged_steps`).
        self.horizon = _aware(max(p.end for p in period_list) + timedelta(days=1))


def _parts(teams, towns, w):
    """The per-team, per-day sources, as (CTE name, SQL, params, columns)."""
    of_teams = {"village__team__in": teams, "village__town__in": towns}
    issues = Issue.objects.filter(**of_teams)
    yield "attendance", *_sql(
        attendance_rows(w.first, w.last, w.today).filter(liaison_day__team__in=teams)
        .values(owner=F("liaison_day__team_id"), day=F("liaison_day__date"))
        .annotate(num=Count("pk", filter=PRESENT), den=Count("pk"))
    ), ("num", "den")
    yield "timely", *_sql(
        judged_steps(w.start, w.horizon, w.now).filter(
            level=Level.VILLAGE, team__in=teams, issue__village__town__in=towns)
        .values(owner=F("team_id"), day=local_day("due_at"))
        .annotate(num=Count("pk", filter=on_time(w.now)), den=Count("pk"))
    ), ("num", "den")
    yield "received", *_sql(
        issues.filter(received_at__gte=w.start, received_at__lt=w.end)
        .values(owner=F("village__team"), day=local_day("received_at"))
        .annotate(num=Count("pk", filter=RESOLVED), den=Count("pk"),
                  open=Count("pk", filter=Q(status=Issue.Status.OPEN)), overdue=Count("pk", filter=overdue_q(w.now)))
    ), ("num", "den", "open", "overdue")
    yield "answered", *_sql(
        issues.filter(ended_at__gte=w.start, ended_at__lt=w.end)
        .values(owner=F("village__team"), day=local_day("ended_at"))
        .annotate(num=Count("pk", filter=ANSWERED), den=Count("pk"))
    ), ("num", "den")
    yield "rated", *_sql(
        ratings(w.start, w.end).filter(issue__village__team__in=teams, issue__village__town__in=towns)
        .values(owner=F("issue__village__team"), day=local_day("at"))
        .annotate(num=Count("pk", filter=SATISFIED), den=Count("pk"))
    ), ("num", "den")
    kinds = {kind: Count("pk", filter=Q(kind=kind)) for kind in Visit.Kind.values}
    yield "visits", *_sql(
        Visit.objects.filter(team__in=teams, date__range=(w.first, w.last))
        .values(owner=F("team_id"), day=F("date")).annotate(**kinds)
    ), tuple(Visit.Kind.values)


# Households visited: a household's household visits by a team in date order; a visit opens a
# period for it when the one before fell before the period's start, so each household counts
# once a period, and only if it is on the roll at the period's end (`metrics.coverage`).
VISITED = """
visited_seq AS (
    SELECT v.team_id AS team, v.date AS day, h.registered_on, h.moved_out_on,
           lag(v.date) OVER (PARTITION BY v.team_id, vh.household_id ORDER BY v.date) AS prev
    FROM visits_visit v
    JOIN visits_visit_households vh ON vh.visit_id = v.id
    JOIN visits_household h ON h.id = vh.household_id
    WHERE v.kind = %s AND v.date BETWEEN %s AND %s AND v.team_id = ANY(%s)
), visited AS (
    SELECT s.team, {kind} AS kind, {start} AS start, CASE {counts} END AS n
    FROM visited_seq s JOIN dm ON dm.day = s.day
    GROUP BY {sets}
)""".format(
    kind=KIND_OF_SET, start=START_OF_SET, sets=_by_period("s.team", "upto"),
    counts=" ".join(
        f"WHEN GROUPING(dm.{kind}) = 0 THEN count(*) FILTER (WHERE (s.prev IS NULL OR s.prev < dm.{kind}) "
        f"AND s.registered_on <= dm.{kind}_upto AND (s.moved_out_on IS NULL OR s.moved_out_on >= dm.{kind}_upto))"
        for kind in P.KINDS),
)

# Households on the roll at a period's end (its `upto`): registered by then, not moved out before
# it. Each registration, and each move out from the day after it, counts in every period whose
# end is on or after its day: summed into the period holding the day (the kind's first period
# for a day before it), then a running sum over the periods.
ON_ROLL = """
roll_days AS (
    SELECT t.id AS team, h.registered_on AS day, 1 AS n
    FROM visits_household h JOIN teams_team t ON t.village_id = h.village_id WHERE t.id = ANY(%s)
    UNION ALL
    SELECT t.id, h.moved_out_on + 1, -1
    FROM visits_household h JOIN teams_team t ON t.village_id = h.village_id
    WHERE t.id = ANY(%s) AND h.moved_out_on IS NOT NULL
), roll_by_day AS (
    SELECT team, day, sum(n) AS n FROM roll_days WHERE day <= %s GROUP BY 1, 2
), roll_changes AS (
    SELECT r.team, p0.kind, coalesce(d.start, p0.start) AS start, sum(r.n) AS n
    FROM roll_by_day r CROSS JOIN p0
    LEFT JOIN d ON d.day = r.day AND d.kind = p0.kind
    WHERE r.day < p0.start OR d.start IS NOT NULL
    GROUP BY 1, 2, 3
)"""


def write_teams(refresh_id, teams, towns, period_list, now):
    """Insert the rows of `teams` (of the towns `towns`) for every period of `period_list`."""
    w = Window(period_list, now)
    ctes, params = [], []
    periods, period_params = _periods_sql(period_list, w.today)
    ctes.append(periods)
    params += period_params
    parts = list(_parts(teams, towns, w))
    for name, source, source_params, columns in parts:
        cte, cte_params = _bucketed(name, source, source_params, columns)
        ctes.append(cte)
        params += cte_params
    ctes.append(VISITED)
    params += [Visit.Kind.HOUSEHOLD, w.first, w.last, teams]
    ctes.append(ON_ROLL)
    params += [teams, teams, w.today]
    values = {
        "attendance_num": "a.num", "attendance_den": "a.den",
        "timely_num": "ti.num", "timely_den": "ti.den",
        "resolution_num": "re.num", "resolution_den": "re.den",
        "feedback_num": "an.num", "feedback_den": "an.den",
        "satisfaction_num": "ra.num", "satisfaction_den": "ra.den",
        "coverage_num": "vi.n",
        "coverage_den": "sum(coalesce(rc.n, 0)) OVER (PARTITION BY g.team, g.kind ORDER BY g.start)",
        "issues_received": "re.den", "issues_open": "re.open", "issues_overdue": "re.overdue",
        **{f"visits_{kind}": f"vs.{kind}" for kind in Visit.Kind.values},
    }
    select = ", ".join(
        value if name == "coverage_den" else f"coalesce({value}, 0)" for name, value in
        ((name, values[name]) for name in FIGURES)
    )
    sql = f"""
        WITH {", ".join(ctes)}
        INSERT INTO reports_snapshot ({TEAM_FIELDS}, {COLUMNS})
        SELECT %s, %s, g.team, g.kind, g.start, %s, {select}
        FROM (SELECT team, p.kind, p.start FROM unnest(%s::int[]) AS team CROSS JOIN p) AS g
        LEFT JOIN attendance a USING (team, kind, start)
        LEFT JOIN timely ti USING (team, kind, start)
        LEFT JOIN received re USING (team, kind, start)
        LEFT JOIN answered an USING (team, kind, start)
        LEFT JOIN rated ra USING (team, kind, start)
        LEFT JOIN visits vs USING (team, kind, start)
        LEFT JOIN visited vi USING (team, kind, start)
        LEFT JOIN roll_changes rc USING (team, kind, start)"""
    params += [refresh_id, Unit.TEAM, now, teams]
    _execute(sql, params)


def write_towns(refresh_id, towns, period_list, now):
    """Insert the rows of `towns` for every period of `period_list`: their teams' rows in the
    refresh added up, and the steps handled at the town. A town's row is as old as the oldest
    team row it adds up (an incremental refresh recomputes only the teams a change touched)."""
    w = Window(period_list, now)
    periods, params = _periods_sql(period_list, w.today)
    steps, step_params = _sql(
        judged_steps(w.start, w.horizon, w.now).filter(level=Level.TOWN, issue__village__town__in=towns)
        .values(owner=F("town_id"), day=local_day("due_at"))
        .annotate(num=Count("pk", filter=on_time(w.now)), den=Count("pk"))
    )
    bucketed, bucketed_params = _bucketed("town_steps", steps, step_params, ("num", "den"), key="town")
    params += bucketed_params
    sums = ", ".join(
        f"coalesce(sum(s.{name}), 0) + coalesce(min(ts.{name[len('timely_'):]}), 0)" if name.startswith("timely_")
        else f"coalesce(sum(s.{name}), 0)" for name in FIGURES
    )
    sql = f"""
        WITH {periods}, {bucketed}
        INSERT INTO reports_snapshot ({TEAM_FIELDS}, {COLUMNS})
        SELECT %s, %s, g.town, g.kind, g.start, LEAST(%s, min(s.computed_at)), {sums}
        FROM (SELECT town, p.kind, p.start FROM unnest(%s::int[]) AS town CROSS JOIN p) AS g
        LEFT JOIN teams_village v ON v.town_id = g.town
        LEFT JOIN teams_team t ON t.village_id = v.id
        LEFT JOIN reports_snapshot s ON s.refresh_id = %s AND s.unit = %s AND s.unit_id = t.id
             AND s.period = g.kind AND s.start = g.start
        LEFT JOIN town_steps ts ON ts.town = g.town AND ts.kind = g.kind AND ts.start = g.start
        GROUP BY g.town, g.kind, g.start"""
    params += [refresh_id, Unit.TOWN, now, towns, refresh_id, Unit.TEAM]
    _execute(sql, params)


# Coverage by member (定点联系), in one pass over the teams' assignments: each assignment row with
# the days it is in force [lo, hi] (its own, its membership's and its household's stay on the
# roll), and the months in which its household had a household visit by the team, as the bits of
# one integer (bit 1: the first month of the periods kept by member). A period then counts an
# assignment in force at its end (`upto`), and visited if a bit of its months is set: one
# aggregate per period over the rows grouped by member, no sort and no day map. A withdrawn row
# (ended the day before it started) has lo > hi and counts nowhere.
IN_FORCE = """
in_force AS (
    SELECT m.team_id AS team, m.user_id AS member, a.household_id AS household,
           GREATEST(a.start_date, m.start_date, h.registered_on) AS lo,
           LEAST(a.end_date, m.end_date, h.moved_out_on) AS hi
    FROM visits_assignment a
    JOIN teams_membership m ON m.id = a.membership_id
    -- Only the households whose stay on the roll can tell: registered on or before the first day
    -- counted, a household on the roll is so on every later end, as if it had no such date.
    LEFT JOIN visits_household h ON h.id = a.household_id
         AND (h.moved_out_on IS NOT NULL OR h.registered_on > %s)
    WHERE m.team_id = ANY(%s) AND GREATEST(a.start_date, m.start_date, h.registered_on) <= %s
      AND (LEAST(a.end_date, m.end_date, h.moved_out_on) IS NULL
           OR LEAST(a.end_date, m.end_date, h.moved_out_on)
              >= GREATEST(a.start_date, m.start_date, h.registered_on, %s))
), visited_months AS (
    -- Grouped by household first: a team's few households are then joined by household. Bit n:
    -- the n-th month from the first day counted, 1 the first (width_bucket counts the months'
    -- starts up to the day).
    SELECT vh.household_id AS household, v.team_id AS team,
           bit_or(1 << width_bucket(v.date, %s::date[])) AS months
    FROM visits_visit v
    JOIN visits_visit_households vh ON vh.visit_id = v.id
    WHERE v.kind = %s AND v.date BETWEEN %s AND %s AND v.team_id = ANY(%s)
    GROUP BY 1, 2
)"""


def _month_number(day):
    return day.year * 12 + day.month


def write_members(refresh_id, teams, period_list, now):
    """Insert the coverage by member of `teams` for the periods of `period_list` kept by member
    (`member_periods`): a row for each member of a team in every such period that ends (or
    holds today) after one of their assignments there came into force."""
    today = timezone.localdate(now)
    period_list = member_periods(period_list, today)
    if not period_list or not teams:
        return
    first = min(p.start for p in period_list)
    base = _month_number(first)
    sums, rows, sum_params, row_params = [], [], [], []
    for i, period in enumerate(period_list):
        upto = min(period.end, today)
        months = sum(1 << (n + 1) for n in range(_month_number(period.start) - base,
                                                  _month_number(period.end) - base + 1))
        held = "f.lo <= %s AND (f.hi IS NULL OR f.hi >= %s)"
        sums.append(f"count(*) FILTER (WHERE {held}) AS den{i}, "
                    f"count(*) FILTER (WHERE {held} AND coalesce(vm.months, 0) & %s <> 0) AS num{i}")
        sum_params += [upto, upto, upto, upto, months]
        rows.append(f"(%s, %s::date, %s::date, t.num{i}, t.den{i})")
        row_params += [period.kind, period.start, upto]
    sql = f"""
        WITH {IN_FORCE}, t AS (
            SELECT f.team, f.member, min(f.lo) AS lo, {", ".join(sums)}
            FROM in_force f LEFT JOIN visited_months vm ON vm.household = f.household AND vm.team = f.team
            GROUP BY 1, 2
        )
        INSERT INTO reports_membercoverage (refresh_id, team_id, member_id, period, start, computed_at,
                                            coverage_num, coverage_den)
        SELECT %s, t.team, t.member, x.kind, x.start, %s, x.num, x.den
        FROM t CROSS JOIN LATERAL (VALUES {", ".join(rows)}) AS x(kind, start, upto, num, den)
        WHERE x.upto >= t.lo"""
    starts = [date(n // 12, n % 12 + 1, 1) for n in range(base - 1, _month_number(today))]
    params = [first, teams, today, first, starts, Visit.Kind.HOUSEHOLD, first, today, teams, *sum_params, refresh_id,
              now, *row_params]
    with connection.cursor() as cursor:
        # A county's assignments and visited households hashed in memory rather than in batches on
        # disk (4 MB by default); for this transaction only.
        cursor.execute("SET LOCAL work_mem = '64MB'")
    _execute(sql, params)
