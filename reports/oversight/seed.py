"""Demo inspections and a published assessment round: a year of the organization department's
unannounced checks (a few a month in each town, most finding nothing wrong, a couple ending in a
criticism notice) and the last ended quarter assessed and published. Idempotent: a county that
has inspections, or a round, keeps them."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from reports import periods as P
from reports.models import AssessmentRound, Inspection
from reports.oversight import assessments
from teams.models import Attendance, LiaisonDay, User

INSPECTORS = ["县委组织部督查组", "县委组织部组织科", "县驻点办第一督查组", "县驻点办第二督查组",
              "县纪委监委驻点督查组"]
GOOD = [
    "驻点团队按时到岗，接访有序，台账记录完整。",
    "公示牌信息准确，群众知晓驻点时间和地点。",
    "民情日记记录详实，问题均已录入台账并跟进。",
    "驻点联系工作室整洁，接访登记规范。",
]
# (the check that failed, the finding, the points deducted)
BAD = [
    ("team_present", "驻点时间过半仍有成员未到岗。", Decimal("2")),
    ("notice_posted", "村委会门口未张贴驻点团队公告。", Decimal("1")),
    ("log_kept", "驻点工作日志缺记两周。", Decimal("1.5")),
    ("ledger_up_to_date", "台账中三件问题超期未更新办理情况。", Decimal("2")),
    ("ledger_up_to_date", "群众反映的问题未及时录入台账。", Decimal("1")),
    ("log_kept", "民情日记内容空泛，未记录具体诉求。", Decimal("0.5")),
]
CRITICISM = "经督查，{team}{member}同志驻点工作日无故缺勤，工作日志缺记，违反“三固定”工作要求，予以通报批评，限期整改。"


def seed_assessments(*, county, rng, stdout=None):
    with transaction.atomic():
        made = 0 if Inspection.objects.filter(team__village__town__county=county).exists() else _inspections(
            county, rng)
        round_ = None
        if not AssessmentRound.objects.filter(county=county).exists():
            round_ = _round(county)
    if stdout:
        stdout.write(f"  inspections: {made}; assessment round: {round_ or 'kept'}")


def _inspections(county, rng):
    inspector = User.objects.filter(positions__kind="org_department", positions__county=county).first()
    if inspector is None:
        return 0
    today = timezone.localdate()
    days = defaultdict(list)  # (town, month) → [(day id, team id, date)]
    for pk, team_id, day, town_id in LiaisonDay.objects.filter(
        team__village__town__county=county, status=LiaisonDay.Status.SCHEDULED, date__lt=today,
        date__gte=today - timedelta(days=365),
    ).values_list("pk", "team_id", "date", "team__village__town_id").order_by("date", "pk"):
        days[(town_id, day.year, day.month)].append((pk, team_id, day))
    rows, criticise = [], []
    for key in sorted(days):
        taken = set()
        for pk, team_id, day in rng.sample(days[key], min(rng.randint(2, 4), len(days[key]))):
            if team_id in taken:
                continue
            taken.add(team_id)
            inspection = Inspection(team_id=team_id, liaison_day_id=pk, date=day, inspectors=rng.choice(INSPECTORS),
                                    recorded_by=inspector, findings=rng.choice(GOOD))
            if rng.random() < 0.3:
                check, finding, points = rng.choice(BAD)
                setattr(inspection, check, False)
                inspection.findings, inspection.deduction = finding, points
                if check == "team_present" and len(criticise) < 3:
                    criticise.append(inspection)
            rows.append(inspection)
    Inspection.objects.bulk_create(rows, batch_size=2000)
    absent = dict(Attendance.objects.filter(
        liaison_day__in=[i.liaison_day_id for i in criticise], status=Attendance.Status.ABSENT,
    ).values_list("liaison_day_id", "member_id"))
    names = dict(User.objects.filter(memberships__team__in=[i.team_id for i in criticise]).values_list("pk", "name"))
    for inspection in criticise:
        member_id = absent.get(inspection.liaison_day_id) or next(
            (pk for pk in names if Attendance.objects.filter(liaison_day=inspection.liaison_day_id, member=pk)
             .exists()), None)
        if member_id is None:
            continue
        inspection.criticism = CRITICISM.format(team=inspection.team.name, member=names[member_id])
        inspection.save(update_fields=["criticism"])
        inspection.criticised.set([member_id])
        inspection.absent_members.set([member_id])
    return len(rows)


def _round(county):
    """The last ended quarter, computed from the figures and published by the organization department."""
    by = User.objects.filter(positions__kind="org_department", positions__county=county).first()
    quarter = P.of("quarter", timezone.localdate()).previous(2)[0]
    if by is None:
        return None
    round_ = assessments.create_round(by=by, county=county, period=quarter.key)
    return assessments.publish(round_=round_, by=by)
