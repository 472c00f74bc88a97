import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import redis
from django.conf import settings
from PIL import Image
from pillow_heif import register_heif_opener

from issues import services
from issues.models import Category, Issue
from teams.models import Holiday
from visits.models import Household, Visit

SHANGHAI = ZoneInfo("Asia/Shanghai")


register_heif_opener()


def at(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def image_bytes(kind, size=(64, 48)):
    """A small real picture in Pillow's format `kind` (JPEG, PNG, WEBP, GIF, HEIF)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, kind)
    return buffer.getvalue()


@pytest.fixture
def category(db):
    return Category.objects.get(code="livelihood")


@pytest.fixture
def tcategory(tworld):
    """The committed world is flushed after each test, migration data included."""
    return Category.objects.get_or_create(code="livelihood", defaults={"name": "民生文化", "group": "committee"})[0]


@pytest.fixture
def register(category):
    """register(world, by=…, village=…, **fields) → a new issue with sensible defaults."""

    def make(w, by=None, village=None, **fields):
        values = {
            "by": by or w.cadre,
            "village": village or w.village_a,
            "category": category,
            "title": "路灯不亮",
            "description": "西区三巷路灯坏了两周，晚上出行不便。",
            "source": Issue.Source.RECEPTION,
            "reporter_name": "王秀英",
            "reporter_phone": "13912345678",
        }
        values.update(fields)
        return services.register(**values)

    return make


@pytest.fixture
def national_day(db):
    """2026's National Day holiday (1–7 October) and its make-up Saturday, 10 October, as the
    calendar holds them (the teams' migration seeds them; set here so the test says so)."""
    days = [(date(2026, 10, d), Holiday.Kind.HOLIDAY, "国庆节") for d in range(1, 8)]
    days.append((date(2026, 10, 10), Holiday.Kind.WORKDAY, "国庆节调休"))
    for day, kind, name in days:
        Holiday.objects.update_or_create(date=day, defaults={"kind": kind, "name": name})
    Holiday.objects.filter(date__range=(date(2026, 9, 28), date(2026, 10, 31))).exclude(
        date__in=[date(2026, 10, d) for d in (1, 2, 3, 4, 5, 6, 7, 10)]
    ).delete()


@pytest.fixture
def visit(world):
    """A household visit in team A's village that needs follow-up, by the cadre."""
    household = Household.objects.create(
        village=world.village_a, head_name="王秀英", address="西区社区建设路12号", phone="13912345678"
    )
    v = Visit.objects.create(
        kind=Visit.Kind.HOUSEHOLD, date=date(2026, 11, 16), village=world.village_a, team=world.team_a,
        notes="王阿姨反映巷口路灯不亮。", needs_follow_up=True, recorded_by=world.cadre,
    )
    v.cadres.set([world.cadre])
    v.households.set([household])
    return v


def reload(issue):
    return Issue.objects.select_related("current_step").get(pk=issue.pk)


@pytest.fixture
def at_town(world, register, monday_before):
    """An issue registered by the cadre and escalated by the leader to the town office."""
    issue = register(world)
    services.escalate(issue=issue, by=world.leader, reason="涉及市政照明，村里无法解决")
    return reload(issue)


@pytest.fixture
def at_county(world, at_town):
    """The same issue with 信访局 called in by the town office."""
    services.escalate(issue=at_town, by=world.town_office, reason="需县级部门协调", department=world.dept1)
    return reload(at_town)


def forget_public_counters():
    """Drop this suite's rate-limit counters and kept lookups, and nothing else: the Redis database
    may hold other tests' data (Celery's broker shares it)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(client.scan_iter(match="*public-lookup:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def fresh_public_counters():
    """The public pages' rate limits start from nothing (their tests' `pytestmark`)."""
    forget_public_counters()
