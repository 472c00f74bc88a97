"""A third-quarter 2026 the tests score by hand: the figures are Snapshot rows written here (as
a refresh would leave them), so every score below can be checked with a pencil.

Weights 25/25/20/15/15 (attendance, timely, coverage, satisfaction, feedback). Town 1 has teams
A, B, D and E; town 2 team C.

    team D  every metric 10/10                                     → 100.00           rank 1
    team B  att 9/10, timely 4/5, cov 50/100, sat 0/0, feedback 1/2:
            satisfaction has nothing to count, so the other 85 points of weight are scaled to
            100: 25·0.9·100/85 = 26.47, 25·0.8·100/85 = 23.53, 20·0.5·100/85 = 11.76,
            15·0.5·100/85 = 8.82                                   →  70.58           rank 2
    team E  the same figures as B                                  →  70.58           rank 2
    team A  att 9/10, timely 4/5, cov 50/100, sat 3/4, feedback 1/2:
            22.50 + 20.00 + 10.00 + 11.25 + 7.50 = 71.25, minus the inspection's 1.5
                                                                   →  69.75           rank 4
    team C  no figures at all                                      → no score, no rank
    town 1  att 30/40, nothing else to count: 25·0.75·100/25 = 75.00, minus its teams'
            inspections (1.5)                                      →  73.50           rank 1
    town 2  nothing to count                                       → no score, no rank
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from reports.models import Refresh, Snapshot, Unit
from reports.oversight import inspections
from teams import services as team_services
from teams.models import Schedule, Team, Village

Q3 = "quarter:2026-Q3"
Q3_START = date(2026, 7, 1)
INSPECTED_ON = date(2026, 9, 1)  # a Tuesday, the county's liaison day
FULL = {"attendance": (10, 10), "timely": (10, 10), "coverage": (10, 10), "satisfaction": (10, 10),
        "feedback": (10, 10)}
B_FIGURES = {"attendance": (9, 10), "timely": (4, 5), "coverage": (50, 100), "satisfaction": (0, 0),
             "feedback": (1, 2)}
A_FIGURES = {**B_FIGURES, "satisfaction": (3, 4)}
TOWN1 = {"attendance": (30, 40), "timely": (0, 0), "coverage": (0, 0), "satisfaction": (0, 0), "feedback": (0, 0)}
EXPECTED = {
    "team_d": (Decimal("100.00"), 1), "team_b": (Decimal("70.58"), 2), "team_e": (Decimal("70.58"), 2),
    "team_a": (Decimal("69.75"), 4), "team_c": (None, None), "town1": (Decimal("73.50"), 1), "town2": (None, None),
}


def add_team(w, name, village):
    v = Village.objects.create(town=w.town1, name=village)
    team = Team.objects.create(village=v, name=name)
    Schedule.objects.create(team=team, place=f"{village}村委会", starts_on=date(2026, 1, 5))
    return team


def snapshot(refresh, unit, obj, figures, kind="quarter", start=Q3_START):
    return Snapshot.objects.create(
        refresh=refresh, unit=unit, unit_id=obj.pk, period=kind, start=start, computed_at=refresh.computed_at,
        **{f"{m}_num": n for m, (n, d) in figures.items()}, **{f"{m}_den": d for m, (n, d) in figures.items()},
    )


def build_quarter(w):
    """The teams D and E, the liaison days since July, the snapshots and an inspection of team A."""
    w.team_d = add_team(w, "新围村驻点团队", "新围村")
    w.team_e = add_team(w, "塘尾村驻点团队", "塘尾村")
    team_services.generate_liaison_days(start=Q3_START, weeks=2)
    computed = datetime(2026, 11, 24, 3, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    w.refresh = Refresh.objects.create(county=w.county, status=Refresh.Status.DONE, computed_at=computed,
                                       finished_at=computed)
    for team, figures in ((w.team_d, FULL), (w.team_b, B_FIGURES), (w.team_e, B_FIGURES), (w.team_a, A_FIGURES)):
        snapshot(w.refresh, Unit.TEAM, team, figures)
    snapshot(w.refresh, Unit.TOWN, w.town1, TOWN1)
    snapshot(w.refresh, Unit.TOWN, w.town2, dict.fromkeys(FULL, (0, 0)))
    w.inspection = inspections.record(
        by=w.org_department, team=w.team_a, date=INSPECTED_ON, inspectors="县委组织部 邓志红、周文静",
        team_present=True, notice_posted=True, log_kept=False, ledger_up_to_date=True,
        findings="民情日记未按周记录。", deduction="1.5", criticism="驻点工作日志缺记，予以通报批评。",
        criticised=[w.cadre],
    )
    return w
