"""Demo data for the administrative tree, teams, schedules, a year of liaison days with
attendance, and the demo accounts. Deterministic for a given random generator; written with
bulk inserts so the Dongguan preset stays within its time budget."""

import random
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from teams import services
from teams.models import (
    Attendance,
    County,
    Department,
    HalfDay,
    LiaisonDay,
    Membership,
    Position,
    Role,
    Schedule,
    Team,
    Town,
    User,
    Village,
    Weekday,
)

DEMO_PASSWORD = "liaison-demo"

SURNAMES = (
    "陈李黄张梁刘林何叶罗郑钟谢邓卢袁莫蔡赖曾王杨周吴徐孙朱胡郭彭潘方冯余苏温"
    "祁邱戴古麦严江肖杜范唐许伍"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红永健文德光荣辉海"
    "俊峰婷玉兰雪梅庆宏斌新春燕嘉欣佳怡子豪宇航浩然锦棠耀祖丽萍伟雄国强少芬"
)
VILLAGE_FIRST = "大小新上下东西南北中黄白石沙水龙凤金银岗塘溪湖田山头坑围"
VILLAGE_SECOND = "罗朗田岭塘坑洲沙湾围村坊岗洞边涌头美安和平兴福乐富丰"

DONGGUAN_TOWNS = [
    ("莞城街道", "subdistrict"), ("南城街道", "subdistrict"), ("东城街道", "subdistrict"),
    ("万江街道", "subdistrict"), ("石碣镇", "town"), ("石龙镇", "town"), ("茶山镇", "town"),
    ("石排镇", "town"), ("企石镇", "town"), ("横沥镇", "town"), ("桥头镇", "town"), ("谢岗镇", "town"),
    ("东坑镇", "town"), ("常平镇", "town"), ("寮步镇", "town"), ("樟木头镇", "town"), ("大朗镇", "town"),
    ("黄江镇", "town"), ("清溪镇", "town"), ("塘厦镇", "town"), ("凤岗镇", "town"), ("大岭山镇", "town"),
    ("长安镇", "town"), ("虎门镇", "town"), ("厚街镇", "town"), ("沙田镇", "town"), ("道滘镇", "town"),
    ("洪梅镇", "town"), ("麻涌镇", "town"), ("望牛墩镇", "town"), ("中堂镇", "town"), ("高埗镇", "town"),
]
DEMO_TOWNS = [("罗阳街道", "subdistrict"), ("龙溪街道", "subdistrict"), ("石湾镇", "town"), ("园洲镇", "town")]
DEPARTMENTS = [
    "信访局", "自然资源局", "住房和城乡建设局", "公安局", "司法局", "人力资源和社会保障局", "民政局",
    "农业农村局", "水务局", "交通运输局", "卫生健康局", "教育局", "生态环境局", "市场监督管理局",
]
PLACES = ["村委会党群服务中心驻点联系工作室", "村委会办公楼一楼接待室", "社区党群服务中心", "村民服务站"]


@dataclass(frozen=True)
class Preset:
    county: str
    towns: list
    villages: int
    weekday: int
    # The names of the further counties of `seed_demo --counties N`, the first county's neighbours.
    neighbours: tuple = ()


PRESETS = {
    "demo": Preset("博罗县", DEMO_TOWNS, 24, Weekday.TUESDAY, ("龙门县", "惠东县", "紫金县", "和平县", "龙川县")),
    # 32 towns, 593 villages and teams (the seeds' figures).
    "dongguan": Preset("东莞市", DONGGUAN_TOWNS, 593, Weekday.TUESDAY,
                       ("中山市", "江门市", "肇庆市", "清远市", "河源市", "汕尾市", "阳江市")),
}


def county_name(preset, index):
    """The name of the preset's county number `index` (0 is the preset's own)."""
    if index == 0:
        return preset.county
    if index <= len(preset.neighbours):
        return preset.neighbours[index - 1]
    return f"{preset.county}（{index + 1}）"


def county_rng(seed, index):
    """Each county its own generator, so that a county is the same whether or not the ones
    before it were seeded in the same run; the first keeps the generator a one-county run has."""
    return make_rng(seed if index == 0 else f"{seed}/{index}")


class Names:
    """Unique, realistic Chinese personal names and phone numbers from one generator; `taken`
    are phone numbers already in use (other counties' people)."""

    def __init__(self, rng, taken=()):
        self.rng = rng
        self.used_phones = set(taken)

    def person(self):
        given = self.rng.choice(GIVEN) + (self.rng.choice(GIVEN) if self.rng.random() < 0.75 else "")
        return self.rng.choice(SURNAMES) + given

    def phone(self):
        while True:
            number = self.rng.choice("3456789") + "".join(self.rng.choice("0123456789") for _ in range(9))
            number = "1" + number
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number


def village_names(rng, count, taken):
    names = []
    while len(names) < count:
        name = rng.choice(VILLAGE_FIRST) + rng.choice(VILLAGE_SECOND)
        kind = "community" if rng.random() < 0.25 else "village"
        full = name + ("社区" if kind == "community" else "村")
        if full not in taken:
            taken.add(full)
            names.append((full, kind))
    return names


# A team's members beside its leader: (role, how many, probability the team has them).
TEAM_SHAPE = [
    (Role.TOWN_CADRE, 4, 1.0),
    (Role.DEPARTMENT_HEAD, 1, 0.8),
    (Role.PARTY_REPRESENTATIVE, 1, 0.8),
    (Role.NPC_DEPUTY, 1, 0.8),
    (Role.CPPCC_MEMBER, 1, 0.5),
    (Role.POLICE_OFFICER, 1, 0.7),
    (Role.PROSECUTOR, 1, 0.2),
    (Role.JUDGE, 1, 0.3),
    (Role.LAWYER, 1, 0.7),
    (Role.FIRST_SECRETARY, 1, 0.3),
    (Role.VILLAGE_COMMITTEE, 1, 0.9),
    (Role.VOLUNTEER, 1, 0.5),
    (Role.GRADUATE_OFFICIAL, 1, 0.4),
]


def seed_tree(*, preset_name, rng, index=0, stdout=None):
    """Create the preset's county number `index`, its towns, villages, departments, users, teams,
    memberships and schedules; the first county gets the demo accounts, the others an
    organization department's account. Returns the county; if it exists, returns it as it is."""
    preset = PRESETS[preset_name]
    name = county_name(preset, index)
    existing = County.objects.filter(name=name).first()
    if existing:
        return existing, False
    names = Names(rng, taken=User.objects.exclude(phone="").values_list("phone", flat=True))
    today = timezone.localdate()
    year_ago = today - timedelta(days=365)
    member_since = year_ago - timedelta(days=rng.randint(30, 400))
    with transaction.atomic():
        county = County.objects.create(name=name, liaison_weekday=preset.weekday)
        towns = Town.objects.bulk_create(Town(county=county, name=n, kind=k) for n, k in preset.towns)
        Department.objects.bulk_create(Department(county=county, name=n) for n in DEPARTMENTS)
        taken = set()
        villages = []
        per_town, extra = divmod(preset.villages, len(towns))
        for position, town in enumerate(towns):
            count = per_town + (position < extra)
            villages += [Village(town=town, name=n, kind=k) for n, k in village_names(rng, count, taken)]
        villages = Village.objects.bulk_create(villages, batch_size=2000)
        teams = Team.objects.bulk_create(
            [Team(village=v, name=f"{v.name}驻点团队") for v in villages], batch_size=2000
        )
        Schedule.objects.bulk_create(
            [
                Schedule(
                    team=t,
                    # Remote villages meet every two weeks; a few teams keep another weekday.
                    every_weeks=Schedule.Frequency.FORTNIGHTLY if rng.random() < 0.08 else Schedule.Frequency.WEEKLY,
                    weekday=Weekday.FRIDAY if rng.random() < 0.1 else None,
                    half_day=HalfDay.AFTERNOON if rng.random() < 0.4 else HalfDay.MORNING,
                    place=t.village.name + rng.choice(PLACES),
                    starts_on=year_ago,
                )
                for t in teams
            ],
            batch_size=2000,
        )
        # Usernames are unique across counties: u00001… in the first, c2u00001… in the second.
        prefix = "u" if index == 0 else f"c{index + 1}u"
        users, memberships = _people(rng, names, towns, teams, member_since, today, prefix)
        if index == 0:
            _demo_accounts(county, towns[0], teams)
        else:
            _org_department(county, index)
    if stdout:
        stdout.write(f"  tree: {len(towns)} towns, {len(villages)} villages and teams, "
                     f"{len(users)} users, {len(memberships)} memberships")
    return county, True


def _people(rng, names, towns, teams, member_since, today, prefix):
    unusable = "!"  # generated cadres log in only once an administrator sets a password
    users, memberships = [], []
    teams_by_town = {}
    for team in teams:
        teams_by_town.setdefault(team.village.town_id, []).append(team)

    def new_user():
        user = User(
            username=f"{prefix}{len(users) + 1:05d}", name=names.person(), phone=names.phone(), password=unusable
        )
        users.append(user)
        return user

    plan = []  # (team, user, role, start, end)
    for town in towns:
        town_teams = teams_by_town.get(town.pk, [])
        # Town leaders lead one or two teams each (每人直接联系1—2个村).
        index = 0
        while index < len(town_teams):
            leader = new_user()
            span = 2 if rng.random() < 0.45 and index + 1 < len(town_teams) else 1
            for team in town_teams[index:index + span]:
                plan.append((team, leader, Role.LEADER, member_since, None))
            index += span
        for team in town_teams:
            for role, count, chance in TEAM_SHAPE:
                for _ in range(count):
                    if rng.random() >= chance:
                        continue
                    user = new_user()
                    if rng.random() < 0.04:
                        # Someone left during the year; the successor's membership starts next day.
                        left = today - timedelta(days=rng.randint(20, 300))
                        plan.append((team, user, role, member_since, left))
                        plan.append((team, new_user(), role, left + timedelta(days=1), None))
                    else:
                        plan.append((team, user, role, member_since, None))
    users = User.objects.bulk_create(users, batch_size=5000)
    memberships = Membership.objects.bulk_create(
        [
            Membership(
                team=team, user=user, role=role, start_date=start, end_date=end,
                public_phone=user.phone if role in (Role.LEADER, Role.TOWN_CADRE, Role.FIRST_SECRETARY) else "",
            )
            for team, user, role, start, end in plan
        ],
        batch_size=5000,
    )
    return users, memberships


def _demo_accounts(county, town, teams):
    """cadre and leader are members of the first team; town, dept and orgdept hold offices."""
    password = make_password(DEMO_PASSWORD)
    first_team = teams[0]
    leader_membership = Membership.objects.filter(team=first_team, role=Role.LEADER).select_related("user").first()
    cadre_membership = Membership.objects.filter(
        team=first_team, role=Role.TOWN_CADRE, end_date__isnull=True
    ).select_related("user").first()
    for membership, username in ((leader_membership, "leader"), (cadre_membership, "cadre")):
        user = membership.user
        user.username, user.password = username, password
        user.save(update_fields=["username", "password"])
    offices = [
        ("town", "镇街驻点办", dict(kind=Position.Kind.TOWN_OFFICE, town=town)),
        ("dept", "信访局", dict(kind=Position.Kind.DEPARTMENT, department=county.departments.get(name="信访局"))),
        ("orgdept", "组织部", dict(kind=Position.Kind.ORG_DEPARTMENT, county=county)),
    ]
    for username, title, position in offices:
        user, _ = User.objects.update_or_create(
            username=username, defaults={"name": f"{title}值班员", "password": password}
        )
        Position.objects.get_or_create(user=user, title=title, **position)
    admin, _ = User.objects.update_or_create(
        username="admin", defaults={"name": "系统管理员", "password": password, "is_staff": True, "is_superuser": True}
    )
    Position.objects.get_or_create(user=admin, kind=Position.Kind.ADMIN)


def _org_department(county, index):
    """A further county's organization department, which inspects its teams and publishes its
    rounds; it signs in once an administrator sets a password."""
    user = User.objects.create(
        username=f"c{index + 1}orgdept", name=f"{county.name}组织部值班员", password=make_password(None)
    )
    Position.objects.create(user=user, kind=Position.Kind.ORG_DEPARTMENT, county=county, title="组织部")


def seed_liaison_days(*, county, rng, stdout=None):
    """A year of past liaison days with attendance about 98% present, and the coming weeks'."""
    today = timezone.localdate()
    year_ago = today - timedelta(days=365)
    teams = list(Team.objects.filter(village__town__county=county).values_list("pk", flat=True))
    days_created, _ = services.generate_liaison_days(start=year_ago, teams=teams)
    past_days = list(
        LiaisonDay.objects.filter(team__in=teams, date__lt=today, status=LiaisonDay.Status.SCHEDULED)
        .exclude(attendance__isnull=False)
        .values_list("pk", "team_id", "date")
    )
    members = {}
    for team_id, user_id, start, end in Membership.objects.filter(
        team__in=teams, role__in=services.REQUIRED_ROLES
    ).values_list("team_id", "user_id", "start_date", "end_date"):
        members.setdefault(team_id, []).append((user_id, start, end))
    rows = []
    leave_reasons = ["参加县里会议", "病假", "外出培训", "处理防汛值班", "事假"]
    for day_id, team_id, day in past_days:
        for user_id, start, end in members.get(team_id, []):
            if start <= day and (end is None or end >= day):
                roll = rng.random()
                if roll < 0.982:
                    rows.append(Attendance(liaison_day_id=day_id, member_id=user_id, status=Attendance.Status.PRESENT))
                elif roll < 0.992:
                    rows.append(Attendance(liaison_day_id=day_id, member_id=user_id,
                                           status=Attendance.Status.LEAVE, note=rng.choice(leave_reasons)))
                else:
                    rows.append(Attendance(liaison_day_id=day_id, member_id=user_id, status=Attendance.Status.ABSENT))
    Attendance.objects.bulk_create(rows, batch_size=10000)
    if stdout:
        stdout.write(f"  liaison days: {days_created} days, {len(rows)} past attendance rows")
    return days_created, len(rows)


def make_rng(seed):
    return random.Random(seed)
