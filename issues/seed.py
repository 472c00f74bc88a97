"""A year of demo issues, consistent with their steps, timeline and the holiday calendar.

About 49 issues a village a year (~29,000 at the Dongguan preset): 80% finished at the
village, 15% escalated to the town, 5% to a county department; about 98.6% of steps end on
time; most answers rated satisfied; the last weeks' issues still open, a few overdue. Rows
get their ids up front and go in with bulk inserts (the issue ↔ current step foreign keys are
deferred to the end of the transaction), so the Dongguan preset stays within its budget."""

import time as time_module
from datetime import datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from issues import codes, deadlines
from issues.models import Category, Event, Issue, Level, Notification, Step
from teams.models import REQUIRED_ROLES, Department, Membership, Position, Role, Town, User, Village
from teams.seed import Names
from teams.workdays import WorkCalendar

ISSUES_PER_VILLAGE_YEAR = 49
ON_TIME = 0.986
SOURCES = [("visit", 45), ("reception", 30), ("phone", 12), ("online", 8), ("grid", 5)]
SATISFACTION = [("satisfied", 86), ("basically_satisfied", 11), ("dissatisfied", 3)]
SUBJECTS = {
    "party": [("党员活动室设施老化", "村党员活动室桌椅破旧，投影仪无法使用。"),
              ("困难党员慰问", "老党员长期卧病在床，家庭生活困难，希望组织关心。")],
    "governance": [("夜间大排档噪音扰民", "路口大排档营业到凌晨两点，噪音影响周边居民休息。"),
                   ("出租屋消防隐患", "出租屋楼道堆放杂物，电动车在楼道内充电。"),
                   ("道路违停堵塞", "村道两侧长期违停，消防车和校车无法通行。")],
    "planning": [("村道路面破损", "村主干道多处坑洼，雨天积水，电动车容易摔倒。"),
                 ("路灯不亮", "巷口路灯坏了两周，晚上出行不便。"),
                 ("排水沟堵塞", "排水沟被垃圾堵塞，下雨时污水漫进民房。"),
                 ("危房改造申请", "老屋墙体开裂，申请危房改造补助。")],
    "livelihood": [("自来水水压不足", "高处几户人家白天水压不足，二楼以上没有水。"),
                   ("低保申请咨询", "家中老人无劳动能力，咨询低保申请条件和流程。"),
                   ("医保缴费问题", "外出务工人员医保断缴，咨询如何补缴。"),
                   ("村文化室开放时间", "希望文化室晚上开放，方便群众跳广场舞和看书。")],
    "economy": [("农产品销路难", "今年荔枝丰收但收购价低，希望帮助拓宽销路。"),
                ("企业拖欠货款", "本地小作坊被企业拖欠货款半年。"),
                ("创业贷款咨询", "返乡青年想开网店，咨询创业担保贷款。")],
    "land-dispute": [("宅基地边界纠纷", "两户村民因宅基地边界围墙位置发生争执。")],
    "forest-dispute": [("山林权属纠纷", "两个村民小组对一片山林的权属有争议。")],
    "family-dispute": [("赡养老人纠纷", "兄弟三人对母亲赡养费分担有分歧。")],
    "demolition-dispute": [("征地补偿款分配", "村民对征地补偿款在小组内的分配方案有异议。")],
    "neighbour-dispute": [("邻里排水纠纷", "邻居加建房屋后雨水排到自家院子。"),
                          ("楼上漏水", "楼上卫生间漏水，多次协商未果。")],
    "labour-dispute": [("工资拖欠", "在附近工地务工三个月，工资一直未结清。")],
}
RESULTS = ["已协调相关单位处理完毕，群众认可。", "已现场查看并组织维修，问题已解决。",
           "经调解双方达成一致意见，签订调解协议。", "已落实相关政策，款项已发放到位。"]
EXPLANATIONS = ["该事项涉及规划调整，暂不具备解决条件，已向群众解释说明政策依据。",
                "属司法程序处理事项，已引导群众通过法律途径解决。"]
PROGRESS = ["已电话联系反映人了解详细情况。", "已到现场查看，正在协调相关单位。", "已约相关当事人面谈。"]
ESCALATE_TOWN = ["涉及多个部门职责，村级无法协调解决，提请镇街统筹。", "所需资金超出村级能力，需镇街协调。"]
ESCALATE_COUNTY = ["需县直部门依职责处理（吹哨报到）。", "涉及县级审批事项，提请相关部门办理。"]
FEEDBACK = ["已电话告知反映人办理结果。", "已上门向反映人反馈办理结果。", "驻点日当面向反映人回音。"]


def _weighted(rng, pairs):
    total = sum(w for _, w in pairs)
    roll = rng.uniform(0, total)
    for value, weight in pairs:
        roll -= weight
        if roll <= 0:
            return value
    return pairs[-1][0]


def _code(rng, taken):
    while True:
        body = "".join(rng.choice(codes.ALPHABET) for _ in range(codes.BODY_LENGTH))
        code = body + codes.check_character(body)
        if code not in taken:
            taken.add(code)
            return code


def _office_users(county):
    """Every town office and county department gets a person on duty, so handling steps have
    someone to act and be notified."""
    unusable = make_password(None)
    towns = Town.objects.filter(county=county).exclude(
        pk__in=Position.objects.filter(kind=Position.Kind.TOWN_OFFICE, is_active=True).values("town_id")
    )
    departments = Department.objects.filter(county=county).exclude(
        pk__in=Position.objects.filter(kind=Position.Kind.DEPARTMENT, is_active=True).values("department_id")
    )
    for town in towns:
        user = User.objects.create(username=f"office{town.pk}", name=f"{town.name}驻点办", password=unusable)
        Position.objects.create(user=user, kind=Position.Kind.TOWN_OFFICE, town=town, title="镇街驻点办")
    for department in departments:
        user = User.objects.create(username=f"dept{department.pk}", name=f"{department.name}联络员", password=unusable)
        Position.objects.create(user=user, kind=Position.Kind.DEPARTMENT, department=department, title="联络员")
    town_users = dict(
        Position.objects.filter(kind=Position.Kind.TOWN_OFFICE, town__county=county, is_active=True)
        .order_by("pk").values_list("town_id", "user_id")
    )
    department_users = dict(
        Position.objects.filter(kind=Position.Kind.DEPARTMENT, department__county=county, is_active=True)
        .order_by("pk").values_list("department_id", "user_id")
    )
    return town_users, department_users


def _households(county, per_village=60):
    """Up to `per_village` households of each village: (id, head's name, phone)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT village_id, id, head_name, phone FROM (
                SELECT h.village_id, h.id, h.head_name, h.phone,
                       ROW_NUMBER() OVER (PARTITION BY h.village_id ORDER BY h.id) AS n
                FROM visits_household h JOIN teams_village v ON v.id = h.village_id
                JOIN teams_town t ON t.id = v.town_id
                WHERE t.county_id = %s AND h.is_active
            ) ranked WHERE n <= %s
            """,
            [county.pk, per_village],
        )
        result = {}
        for village_id, pk, name, phone in cursor.fetchall():
            result.setdefault(village_id, []).append((pk, name, phone))
    return result


class _Ids:
    def __init__(self, model):
        self.next = (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1

    def take(self):
        value = self.next
        self.next += 1
        return value


class _Builder:
    def __init__(self, *, rng, now, calendar, names):
        self.rng, self.now, self.calendar, self.names = rng, now, calendar, names
        self.issue_ids, self.step_ids, self.event_ids = _Ids(Issue), _Ids(Step), _Ids(Event)
        self.issues, self.steps, self.events = [], [], []

    def event(self, issue, step, kind, at, actor, public="", internal="", satisfaction=""):
        self.events.append(Event(
            id=self.event_ids.take(), issue_id=issue.id, step_id=step.id if step else None, at=at, actor_id=actor,
            kind=kind, public_note=public, internal_note=internal, satisfaction=satisfaction,
        ))

    def open_step(self, issue, level, at, **handler):
        step = Step(
            id=self.step_ids.take(), issue_id=issue.id, level=level, opened_at=at,
            due_at=deadlines.due_at(level, at, self.calendar), **handler,
        )
        self.steps.append(step)
        issue.level, issue.current_step_id, issue.due_at = level, step.id, step.due_at
        return step

    def handling_time(self, step):
        """When the step ends: within its limit 98.6% of the time, else some hours to days late."""
        if self.rng.random() < ON_TIME:
            return step.opened_at + (step.due_at - step.opened_at) * self.rng.uniform(0.05, 0.95)
        return step.due_at + timedelta(hours=self.rng.uniform(2, 120))

    def end_step(self, step, at, outcome, by, note):
        step.ended_at, step.outcome, step.ended_by_id, step.note = at, outcome, by, note
        step.on_time = at <= step.due_at


def _plan(rng):
    roll = rng.random()
    return [Level.VILLAGE] if roll < 0.80 else [Level.VILLAGE, Level.TOWN] if roll < 0.95 else [
        Level.VILLAGE, Level.TOWN, Level.COUNTY]


def _issue(b, *, village, team_id, responder, leader, category, received, households, town_user, department,
           department_user, plan, codes_taken):
    rng = b.rng
    title, description = rng.choice(SUBJECTS.get(category.code, SUBJECTS["livelihood"]))
    home = rng.choice(households) if households and rng.random() < 0.8 else None
    issue = Issue(
        id=b.issue_ids.take(), code=_code(rng, codes_taken), title=title, description=description,
        category_id=category.pk, source=_weighted(rng, SOURCES), village_id=village.pk,
        household_id=home[0] if home else None,
        reporter_name=home[1] if home else b.names.person(),
        reporter_phone=(home[2] if home and home[2] else b.names.phone()),
        first_responder_id=responder, received_at=received, status=Issue.Status.OPEN,
    )
    b.issues.append(issue)
    handlers = {Level.VILLAGE: {"team_id": team_id}, Level.TOWN: {"town_id": village.town_id},
                Level.COUNTY: {"department_id": department}}
    actors = {Level.VILLAGE: leader if rng.random() < 0.3 else responder, Level.TOWN: town_user,
              Level.COUNTY: department_user}
    step = b.open_step(issue, Level.VILLAGE, received, **handlers[Level.VILLAGE])
    b.event(issue, step, Event.Kind.REGISTERED, received, responder)
    # About one in a hundred recent issues has been left lying past its deadline: overdue now.
    forgotten = b.now - timedelta(days=40) < received < b.now - timedelta(days=8) and rng.random() < 0.012
    for index, level in enumerate(plan):
        end = b.now + timedelta(days=1) if forgotten else b.handling_time(step)
        if rng.random() < 0.35:
            moment = step.opened_at + (min(end, b.now) - step.opened_at) * rng.uniform(0.2, 0.8)
            b.event(issue, step, Event.Kind.PROGRESS, moment, actors[level], rng.choice(PROGRESS))
        if end > b.now:
            return issue
        if index + 1 < len(plan):
            reason = rng.choice(ESCALATE_TOWN if level == Level.VILLAGE else ESCALATE_COUNTY)
            escalator = (leader if level == Level.VILLAGE else town_user)
            b.end_step(step, end, Step.Outcome.ESCALATED, escalator, reason)
            step = b.open_step(issue, plan[index + 1], end, **handlers[plan[index + 1]])
            kind = Event.Kind.ESCALATED_TOWN if level == Level.VILLAGE else Event.Kind.ESCALATED_COUNTY
            b.event(issue, step, kind, end, escalator, reason)
    return _answer(b, issue, step, end, actors[plan[-1]], responder)


def _answer(b, issue, step, end, actor, responder):
    """The last step ends resolved or explained; then feedback and the resident's rating."""
    rng = b.rng
    explained = rng.random() < 0.08
    text = rng.choice(EXPLANATIONS if explained else RESULTS)
    outcome = Step.Outcome.EXPLAINED if explained else Step.Outcome.RESOLVED
    b.end_step(step, end, outcome, actor, text)
    issue.status = Issue.Status.EXPLAINED if explained else Issue.Status.RESOLVED
    issue.result, issue.ended_at = text, end
    b.event(issue, step, Event.Kind.EXPLAINED if explained else Event.Kind.RESOLVED, end, actor, text)
    answered = end + timedelta(hours=rng.uniform(1, 72))
    if answered < b.now and rng.random() < 0.96:
        issue.status, issue.feedback_at, issue.feedback_note = Issue.Status.CLOSED, answered, rng.choice(FEEDBACK)
        b.event(issue, step, Event.Kind.FEEDBACK, answered, responder, issue.feedback_note)
    rated = answered + timedelta(hours=rng.uniform(2, 120))
    if rated >= b.now or rng.random() >= 0.8:
        return issue
    satisfaction = _weighted(rng, SATISFACTION)
    b.event(issue, step, Event.Kind.RATED, rated, None, satisfaction=satisfaction)
    if satisfaction == Issue.Satisfaction.DISSATISFIED and not explained:
        again = b.open_step(issue, step.level, rated, team_id=step.team_id, town_id=step.town_id,
                            department_id=step.department_id)
        issue.status, issue.ended_at, issue.result = Issue.Status.OPEN, None, ""
        issue.feedback_at, issue.feedback_note = None, ""
        b.event(issue, again, Event.Kind.REOPENED, rated, None, "群众不满意，问题重新办理。")
        end = b.handling_time(again)
        if end <= b.now:
            return _answer(b, issue, again, end, actor, responder)
        return issue
    issue.satisfaction, issue.rated_at = satisfaction, rated
    return issue


def _notifications(b, since):
    """Recent changes as notices to each issue's first responder; older ones already read."""
    responder = {i.id: i.first_responder_id for i in b.issues}
    read_before = b.now - timedelta(days=3)
    return [
        Notification(user_id=responder[e.issue_id], issue_id=e.issue_id, event_id=e.id, kind=e.kind,
                     read_at=e.at + timedelta(hours=4) if e.at < read_before else None)
        for e in b.events
        if e.at >= since and e.actor_id != responder[e.issue_id] and e.kind != Event.Kind.REGISTERED
    ]


def _showcase(b, *, first_team, town_user, department, category, codes_taken):
    """Issues the demo accounts find at once, all registered by `cadre`: one open with the
    team, one with the town office, one with 信访局 (吹哨报到)."""
    levels = [Level.VILLAGE, Level.TOWN, Level.COUNTY]
    handlers = {Level.VILLAGE: {"team_id": first_team["team_id"]},
                Level.TOWN: {"town_id": first_team["village"].town_id}, Level.COUNTY: {"department_id": department}}
    actors = {Level.VILLAGE: first_team["leader"], Level.TOWN: town_user}
    subjects = [("巷口路灯不亮", "建设路三巷路灯坏了两周，老人晚上出行不便。"),
                ("村道塌陷需修复", "村东主干道一段路基塌陷，村里无力承担修复费用。"),
                ("多年信访积案", "征地补偿遗留问题，涉及多个部门，群众多次反映。")]
    for depth, (title, description) in enumerate(subjects):
        received = b.now - timedelta(days=1 + 4 * depth, hours=3)
        issue = Issue(
            id=b.issue_ids.take(), code=_code(b.rng, codes_taken), title=title, description=description,
            category_id=category.pk, source=Issue.Source.VISIT, village_id=first_team["village"].pk,
            reporter_name=b.names.person(), reporter_phone=b.names.phone(), first_responder_id=first_team["cadre"],
            received_at=received, status=Issue.Status.OPEN,
        )
        b.issues.append(issue)
        step = b.open_step(issue, Level.VILLAGE, received, **handlers[Level.VILLAGE])
        b.event(issue, step, Event.Kind.REGISTERED, received, first_team["cadre"])
        for level in levels[1:depth + 1]:
            moved = step.opened_at + timedelta(days=1, hours=2)
            reason = ESCALATE_TOWN[0] if level == Level.TOWN else ESCALATE_COUNTY[0]
            actor = actors[step.level]
            b.end_step(step, moved, Step.Outcome.ESCALATED, actor, reason)
            step = b.open_step(issue, level, moved, **handlers[level])
            kind = Event.Kind.ESCALATED_TOWN if level == Level.TOWN else Event.Kind.ESCALATED_COUNTY
            b.event(issue, step, kind, moved, actor, reason)


def seed_issues(*, county, rng, stdout=None):
    """A year of issues for every village of the county. Returns the number of issues."""
    if Issue.objects.filter(village__town__county=county).exists():
        return 0
    started = time_module.monotonic()
    now = timezone.now()
    start = now - timedelta(days=365)
    calendar = WorkCalendar.load()
    b = _Builder(rng=rng, now=now, calendar=calendar, names=Names(rng))
    categories = list(Category.objects.all())
    weights = [(c, 14 if c.group == Category.Group.COMMITTEE else 4) for c in categories]
    town_users, department_users = _office_users(county)
    departments = list(Department.objects.filter(county=county).order_by("pk").values_list("pk", flat=True))
    households = _households(county)
    villages = list(Village.objects.filter(town__county=county).select_related("team").order_by("pk"))
    members = {}
    today = timezone.localdate()
    for team_id, user_id, role in (
        Membership.objects.active_on(today).filter(team__village__town__county=county, role__in=REQUIRED_ROLES)
        .order_by("pk").values_list("team_id", "user_id", "role")
    ):
        members.setdefault(team_id, {"all": [], "leader": None})
        members[team_id]["all"].append(user_id)
        if role == Role.LEADER and members[team_id]["leader"] is None:
            members[team_id]["leader"] = user_id
    demo = dict(User.objects.filter(username__in=["cadre", "leader"]).values_list("username", "pk"))
    # Tracking codes are unique across counties: the other counties' are taken.
    codes_taken = set(Issue.objects.values_list("code", flat=True))
    first_team = None
    with transaction.atomic():
        for village in villages:
            team_id = village.team.pk
            crew = members.get(team_id)
            if not crew:
                continue
            leader = crew["leader"] or crew["all"][0]
            if first_team is None and demo.get("cadre") in crew["all"]:
                first_team = {"village": village, "team_id": team_id, "cadre": demo["cadre"],
                              "leader": demo.get("leader", leader), "households": households.get(village.pk, [])}
            count = max(5, round(rng.gauss(ISSUES_PER_VILLAGE_YEAR, 7)))
            for _ in range(count):
                day = start + timedelta(days=rng.uniform(0, 365))
                local = timezone.localtime(day).date()
                received = timezone.make_aware(datetime.combine(local, time(8, 30))) + timedelta(
                    minutes=rng.randint(0, 9 * 60))
                if received >= now:
                    continue
                responder = rng.choice(crew["all"])
                department = _weighted(rng, [(d, 6 if i == 0 else 1) for i, d in enumerate(departments)])
                _issue(
                    b, village=village, team_id=team_id, responder=responder, leader=leader,
                    category=_weighted(rng, weights), received=received, households=households.get(village.pk, []),
                    town_user=town_users.get(village.town_id), department=department,
                    department_user=department_users.get(department), plan=_plan(rng), codes_taken=codes_taken,
                )
        if first_team is not None:
            xinfang = Department.objects.filter(county=county, name="信访局").values_list("pk", flat=True).first()
            _showcase(
                b, first_team=first_team, town_user=town_users.get(first_team["village"].town_id),
                department=xinfang or departments[0],
                category=next(c for c in categories if c.code == "planning"), codes_taken=codes_taken,
            )
        Issue.objects.bulk_create(b.issues, batch_size=5000)
        Step.objects.bulk_create(b.steps, batch_size=5000)
        Event.objects.bulk_create(b.events, batch_size=10000)
        notices = _notifications(b, now - timedelta(days=14))
        Notification.objects.bulk_create(notices, batch_size=10000)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Issue, Step, Event]):
                cursor.execute(sql)
    if stdout:
        on_time = sum(1 for s in b.steps if s.on_time)
        ended = sum(1 for s in b.steps if s.ended_at)
        stdout.write(
            f"  issues: {len(b.issues)} issues, {len(b.steps)} steps ({on_time / max(ended, 1):.1%} on time), "
            f"{len(b.events)} timeline events, {len(notices)} notifications "
            f"in {time_module.monotonic() - started:.1f}s"
        )
    return len(b.issues)
