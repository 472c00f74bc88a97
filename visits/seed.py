"""Demo households and a year of visits. At the Dongguan preset that is ~593,000 households
and ~560,000 visits with their cadres and households, so rows are generated in memory with
their ids and written with PostgreSQL's COPY (bulk_create elsewhere)."""

import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from teams.models import REQUIRED_ROLES, LiaisonDay, Membership, Role, Team
from teams.seed import GIVEN, SURNAMES
from visits.assignments import address_key
from visits.models import Assignment, Household, HouseholdTag, Visit
from visits.validators import id_check_digit


@dataclass(frozen=True)
class Scale:
    households_per_village: tuple  # (min, max)
    visits_per_team: int


SCALES = {
    "demo": Scale((60, 90), 150),
    # ~1,000 households a village; 560,000 visits a year over 593 teams (the seeds' figures).
    "dongguan": Scale((950, 1050), 944),
}

# Share of each kind among a team's visits; household visits are the bulk of the work.
KINDS = [(Visit.Kind.HOUSEHOLD, 0.66), (Visit.Kind.RECEPTION, 0.2), (Visit.Kind.CONSOLATION, 0.08),
         (Visit.Kind.FORUM, 0.06)]
# Tags and how often a household carries them.
TAG_SHARE = {"dibao": 0.06, "elderly-alone": 0.05, "disabled": 0.03, "party-member-difficulty": 0.01,
             "poverty-watch": 0.02}
GROUPS = "一二三四五六七八九十"
ROADS = ["建设路", "人民路", "新华街", "兴业路", "振兴路", "东风路", "文明路", "育才路", "朝阳路", "富民路"]
NOTES = {
    Visit.Kind.HOUSEHOLD: [
        "入户了解家庭生产生活情况，宣传医保缴费政策。", "户主反映门前排水沟堵塞，雨天积水。",
        "了解老人身体状况，提醒按时复诊。", "宣传防诈骗知识，留下驻点团队联系卡。",
        "户主咨询低保续办材料，已现场解答。", "反映村道路灯不亮，夜间出行不便。",
        "了解子女就学情况，宣传教育资助政策。", "家中用电线路老化，建议尽快检修。",
        "户主反映邻里宅基地界线纠纷。", "了解就业情况，推荐镇里招聘会信息。",
    ],
    Visit.Kind.RECEPTION: [
        "驻点日接待群众来访，登记诉求。", "群众咨询养老保险缴费年限。", "群众反映小区噪音扰民。",
        "接待群众咨询户籍迁移手续。", "群众反映农田灌溉用水问题。",
    ],
    Visit.Kind.CONSOLATION: [
        "节前慰问困难家庭，送去米油。", "慰问独居老人，了解生活所需。", "慰问困难党员，送上慰问金。",
    ],
    Visit.Kind.FORUM: [
        "召开村民座谈会，听取对人居环境整治的意见。", "与村两委座谈，梳理本月群众诉求。",
        "组织党员群众座谈，征求村务公开意见。",
    ],
}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def seed_visits(*, county, preset_name, rng, stdout=None):
    """Households for every village of the county and a year of visits by its teams."""
    scale = SCALES[preset_name]
    today = timezone.localdate()
    teams = list(
        Team.objects.filter(village__town__county=county).select_related("village").order_by("pk")
    )
    if Household.objects.filter(village__town__county=county).exists():
        return 0, 0
    tables = [Household, Household.tags.through, Visit, Visit.cadres.through, Visit.households.through]
    with transaction.atomic(), _foreign_keys_checked_once(tables):
        households = _households(rng, teams, scale, today)
        visits = _visits(rng, teams, households, scale, today)
    if stdout:
        stdout.write(f"  visits: {len(households['rows'])} households, {len(visits)} visits")
    return len(households["rows"]), len(visits)


def _next_id(model):
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


class Draw:
    """rng.choice and rng.randint, several times faster: the seed draws millions of times."""

    def __init__(self, rng):
        self.random = rng.random

    def pick(self, seq):
        return seq[int(self.random() * len(seq))]

    def between(self, low, high):
        return low + int(self.random() * (high - low + 1))


def _households(rng, teams, scale, today):
    tags = dict(HouseholdTag.objects.filter(code__in=TAG_SHARE).values_list("code", "pk"))
    created = timezone.now() - timedelta(days=400)
    next_id = _next_id(Household)
    rows, tag_rows, by_team = [], [], {}
    draw = Draw(rng)
    pick, between, random = draw.pick, draw.between, rng.random
    tag_shares = [(tags[code], share) for code, share in TAG_SHARE.items() if code in tags]
    for team in teams:
        village = team.village
        community = village.kind == "community"
        ids = []
        for n in range(between(*scale.households_per_village)):
            if community:
                room = f"{between(1, 12)}栋{between(1, 18)}0{between(1, 6)}"
                address = f"{village.name}{pick(ROADS)}{between(1, 199)}号{room}"
            else:
                address = f"{village.name}{GROUPS[n % 10]}组{n // 10 + 1}号"
            name = pick(SURNAMES) + pick(GIVEN) + (pick(GIVEN) if random() < 0.75 else "")
            phone = f"1{pick('3578')}{int(random() * 10 ** 9):09d}" if random() < 0.85 else ""
            id_number = _id_number(draw) if random() < 0.4 else ""
            # A few households came onto the roll this past year, a few moved out of it.
            registered_on = today - timedelta(days=between(1, 330)) if random() < 0.03 else created.date()
            moved = random() < 0.015 and registered_on == created.date()
            moved_on = today - timedelta(days=between(1, 300)) if moved else None
            rows.append((next_id, village.pk, name, address, phone, id_number, between(1, 6), not moved,
                         moved_on, created, registered_on))
            for tag_id, share in tag_shares:
                if random() < share:
                    tag_rows.append((next_id, tag_id))
            ids.append((next_id, registered_on, moved_on))
            next_id += 1
        by_team[team.pk] = ids
    _write(Household, ["id", "village_id", "head_name", "address", "phone", "id_number", "members_count",
                       "is_active", "moved_out_on", "created_at", "registered_on"], rows)
    _write(Household.tags.through, ["household_id", "householdtag_id"], tag_rows)
    return {"rows": rows, "by_team": by_team}


def _id_number(draw):
    born = date(1940, 1, 1) + timedelta(days=draw.between(0, 60 * 365))
    first17 = f"4419{draw.between(0, 99):02d}{born:%Y%m%d}{draw.between(0, 999):03d}"
    return first17 + id_check_digit(first17)


def _visits(rng, teams, households, scale, today):
    start = today - timedelta(days=364)
    members = {}
    for team_id, user_id in Membership.objects.filter(
        team__in=teams, role__in=REQUIRED_ROLES, start_date__lte=start, end_date__isnull=True
    ).values_list("team_id", "user_id"):
        members.setdefault(team_id, []).append(user_id)
    liaison_days = {}
    for team_id, day in LiaisonDay.objects.filter(
        team__in=teams, date__range=(start, today), status=LiaisonDay.Status.SCHEDULED
    ).values_list("team_id", "date"):
        liaison_days.setdefault(team_id, []).append(day)
    weekdays = [start + timedelta(days=i) for i in range(365) if (start + timedelta(days=i)).isoweekday() <= 5]
    kinds, weights = zip(*KINDS, strict=True)
    next_id = _next_id(Visit)
    visits, cadre_rows, household_rows = [], [], []
    draw = Draw(rng)
    pick, random = draw.pick, rng.random
    for team in teams:
        team_members = members.get(team.pk)
        if not team_members:
            continue
        days = liaison_days.get(team.pk) or weekdays
        homes = households["by_team"][team.pk]
        # A few households are hard to reach: the rest are visited in turn, so that most
        # households get a household visit during the year (每户必访).
        order = [h for h in homes if rng.random() > 0.07]
        rng.shuffle(order)
        cursor = 0
        count = int(scale.visits_per_team * rng.uniform(0.9, 1.1))
        team_visits = []
        for kind in rng.choices(kinds, weights, k=count):
            day = pick(days) if kind == Visit.Kind.RECEPTION else pick(weekdays)
            team_visits.append((day, kind))
        team_visits.sort()
        for day, kind in team_visits:
            first = int(random() * len(team_members))
            cadres = [team_members[(first + i) % len(team_members)] for i in range(pick((1, 2, 2, 3)))]
            cadres = list(dict.fromkeys(cadres))
            visit_homes = []
            if kind in (Visit.Kind.HOUSEHOLD, Visit.Kind.CONSOLATION) and order:
                for _ in range(pick((1, 1, 2, 2, 3)) if kind == Visit.Kind.HOUSEHOLD else 1):
                    home_id, registered_on, moved_on = order[cursor % len(order)]
                    cursor += 1
                    on_roll = registered_on <= day and (moved_on is None or moved_on >= day)
                    if on_roll and home_id not in visit_homes:
                        visit_homes.append(home_id)
            if kind == Visit.Kind.HOUSEHOLD and not visit_homes:
                continue
            recorded_at = datetime.combine(day, time(17, int(random() * 60)), SHANGHAI)
            visits.append((next_id, kind, day, team.village_id, team.pk, pick(NOTES[kind]),
                           random() < 0.05, cadres[0], recorded_at))
            cadre_rows += [(next_id, c) for c in cadres]
            household_rows += [(next_id, h) for h in visit_homes]
            next_id += 1
    _write(Visit, ["id", "kind", "date", "village_id", "team_id", "notes", "needs_follow_up", "recorded_by_id",
                   "recorded_at"], visits)
    _write(Visit.cadres.through, ["visit_id", "user_id"], cadre_rows)
    _write(Visit.households.through, ["visit_id", "household_id"], household_rows)
    return visits


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_line(row):
    return "\t".join(
        "\\N" if v is None else v.translate(_COPY_ESCAPES) if v.__class__ is str else str(v) for v in row
    )


@contextmanager
def _foreign_keys_checked_once(models):
    """Drop the tables' foreign keys for the load and add them back afterwards: PostgreSQL
    then checks each key once, in one pass, instead of with a trigger per inserted row."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        # Run the checks still pending in this transaction: ALTER TABLE refuses to touch a
        # table with pending trigger events.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
            [[m._meta.db_table for m in models]],
        )
        keys = cursor.fetchall()
        for table, name, _definition in keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    yield
    with connection.cursor() as cursor:
        for table, name, definition in keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _write(model, columns, rows):
    """Insert rows (tuples in `columns` order). PostgreSQL gets one COPY, and the table's id
    sequence is moved past the ids given here; other databases get bulk_create."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create((model(**dict(zip(columns, row, strict=True))) for row in rows), batch_size=2000)
        return
    text = "\n".join(map(_copy_line, rows)) + "\n"
    table = model._meta.db_table
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
            copy.write(text)
        if "id" in columns:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM \"{table}\"))", [table]
            )


# 定点联系 in the demo data. A member who left within these many days has not been replaced in
# the households' assignments yet: theirs wait on the unassigned list, as the leader's next job.
LEFT_RECENTLY_DAYS = 45
# Share of teams whose households are shared unevenly (one member with about twice the others').
UNBALANCED_TEAMS = 0.1


def assignments_rng(seed, index=0):
    """The assignments' own generator (`seed_demo --seed` and the county's index), so that adding
    them to a database seeded before they existed gives what a fresh seed gives."""
    return random.Random(f"{seed}/{index}/assignments")


def seed_assignments(*, county, rng, stdout=None):
    """Every household of the county's roll assigned to a member of its village's team: the members
    share the households in runs of neighbouring addresses (the demo accounts' team too), each
    from the day both the membership and the household were there, until the household moved
    out. A few teams share unevenly. A member who left during the year had their households
    handed to their successor a few days later, unless they left in the last LEFT_RECENTLY_DAYS:
    those households are unassigned now. Nothing is done for a county that has assignments."""
    if Assignment.objects.filter(household__village__town__county=county).exists():
        return 0
    today = timezone.localdate()
    memberships = {}
    for row in (Membership.objects.filter(team__village__town__county=county).order_by("team_id", "start_date", "pk")
                .values_list("pk", "team_id", "user_id", "role", "start_date", "end_date")):
        memberships.setdefault(row[1], []).append(row)
    homes = {}
    for row in (Household.objects.filter(village__town__county=county)
                .values_list("pk", "village_id", "address", "registered_on", "moved_out_on")):
        homes.setdefault(row[1], []).append(row)
    now = timezone.now()
    rows, next_id = [], _next_id(Assignment)
    for team_id, village_id in Team.objects.filter(village__town__county=county).order_by("pk").values_list(
            "pk", "village_id"):
        chains = _chains(memberships.get(team_id, []))
        if not chains:
            continue
        by = next((m[2] for m in memberships[team_id] if m[3] == Role.LEADER), chains[0][0][2])
        walk = sorted(homes.get(village_id, []), key=lambda h: (address_key(h[2]), h[0]))
        weights = [1.0] * len(chains)
        if rng.random() < UNBALANCED_TEAMS:
            weights[rng.randrange(len(chains))] = rng.uniform(1.8, 2.6)
        bounds, total, start = [], sum(weights), 0
        for weight in weights:
            bounds.append((start, start + round(len(walk) * weight / total)))
            start = bounds[-1][1]
        bounds[-1] = (bounds[-1][0], len(walk))
        for chain, (first, last) in zip(chains, bounds, strict=True):
            handover = rng.randint(3, 20)
            for pk, _village, _address, registered_on, moved_out_on in walk[first:last]:
                for held in _held(chain, registered_on, moved_out_on, handover, today):
                    rows.append((next_id, pk, *held, by, now))
                    next_id += 1
    with transaction.atomic(), _foreign_keys_checked_once([Assignment]):
        _write(Assignment, ["id", "household_id", "membership_id", "start_date", "end_date", "assigned_by_id",
                            "assigned_at"], rows)
    if stdout:
        stdout.write(f"  assignments: {len(rows)} for {sum(len(h) for h in homes.values())} households")
    return len(rows)


def _chains(memberships):
    """The team's members as chains of one position: a membership, then the one of the same role
    that began the day after it ended (a successor), and so on."""
    chains, followed = [], set()
    for m in memberships:
        if m[0] in followed:
            continue
        chain = [m]
        while chain[-1][5] is not None:
            after = next((n for n in memberships if n[0] not in followed and n[3] == chain[-1][3]
                          and n[4] == chain[-1][5] + timedelta(days=1)), None)
            if after is None:
                break
            followed.add(after[0])
            chain.append(after)
        chains.append(chain)
    return chains


def _held(chain, registered_on, moved_out_on, handover, today):
    """(membership id, start, end) of one household's assignments along a chain of members: each
    from when both were there (a successor a few days after taking over), ending when it moved out."""
    held = []
    for position, (pk, _team, _user, _role, start, end) in enumerate(chain):
        begins = max(start, registered_on)
        if position:
            if chain[position - 1][5] >= today - timedelta(days=LEFT_RECENTLY_DAYS):
                break  # the member before left lately: not handed over yet
            begins = max(begins, min(start + timedelta(days=handover), today))
        if (end is not None and end < begins) or (moved_out_on is not None and moved_out_on < begins):
            continue
        moves_out_meanwhile = moved_out_on is not None and (end is None or moved_out_on <= end)
        held.append((pk, begins, moved_out_on if moves_out_meanwhile else None))
        if moves_out_meanwhile:
            break
    return held
