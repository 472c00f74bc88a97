"""Shared personas for every test module: a small county with two towns, three teams and
two departments, plus a second county to prove nothing leaks across counties.

Personas: cadre and leader (team A, town 1), other_cadre (team C, town 2), town_office
(town 1), department (信访局), org_department (county), admin, and anonymous (None)."""

import os
import shutil
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings


def pytest_configure(config):
    db = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in db or not settings.REDIS_URL:
        raise pytest.UsageError(
            "The suite runs on the real PostgreSQL and Redis: run it with `make test`, "
            "or set DATABASE_URL=postgres://… and REDIS_URL=redis://…"
        )
    # Playwright's sync API runs an event loop in the test thread; the ORM calls the tests
    # make around it are synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # Production's PBKDF2 costs half a second a user; the tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    own_redis_and_media(config, os.environ.get("PYTEST_XDIST_WORKER", ""))


# `make test-nightly` multiplies the examples the generated tests draw (schemathesis, Hypothesis).
EXAMPLES_FACTOR = int(os.environ.get("TEST_EXAMPLES_FACTOR") or 1)
REDIS_DATABASES = 16  # Redis's default `databases`


def own_redis_and_media(config, worker):
    """pytest-xdist runs the suite in processes gw0, gw1, …: each has its own test database
    (pytest-django's `_gwN` suffix), and here its own Redis database (REDIS_URL's plus N: cache,
    Celery broker and results, rate-limit counters) and its own MEDIA_ROOT. Both go into the
    environment too, so the servers and Celery workers a test starts follow them. Runs before
    any connection or storage is made (pytest_configure)."""
    if worker:
        parts = urlsplit(settings.REDIS_URL)
        db = int(parts.path.strip("/") or 0) + int(worker.removeprefix("gw"))
        if db >= REDIS_DATABASES:
            raise pytest.UsageError(f"xdist worker {worker} would need Redis database {db}: use fewer workers "
                                    f"or a lower database in REDIS_URL")
        url = parts._replace(path=f"/{db}").geturl()
        settings.REDIS_URL = settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = url
        settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": url}}
        os.environ["REDIS_URL"] = url
    media = Path(tempfile.mkdtemp(prefix=f"liaison-test-media-{worker or 'main'}-"))
    config.add_cleanup(lambda: shutil.rmtree(media, ignore_errors=True))
    settings.MEDIA_ROOT = media
    os.environ["MEDIA_ROOT"] = str(media)


def _restore_reference_data():
    from importlib import import_module

    from django.apps import apps

    if not apps.get_model("issues", "Category").objects.exists():
        import_module("issues.migrations.0002_categories").add_categories(apps, None)
        import_module("teams.migrations.0002_holiday_calendar").load(apps, None)
        # The flush made the content types anew: permission checks must not use the old ids.
        apps.get_model("contenttypes", "ContentType").objects.clear_cache()
    if not apps.get_model("visits", "HouseholdTag").objects.exists():
        import_module("visits.migrations.0003_household_tags").add_tags(apps, None)


@pytest.fixture(autouse=True)
def _reference_data_after_a_committed_test(request, django_db_blocker):
    """A committed test's flush empties every table, the migrations' reference data too: the
    ledger's categories, the holiday calendar and the household tags go back for the tests after it,
    and the content types are read afresh. Autouse, so torn down after the flush. A committed test
    also checks before it starts: a process it did not see (a subprocess's flush) may have emptied
    them."""
    if "transactional_db" in request.fixturenames:
        request.getfixturevalue("django_db_setup")
        with django_db_blocker.unblock():
            _restore_reference_data()
    yield
    if "django_db_setup" not in request.fixturenames:
        return
    with django_db_blocker.unblock():
        _restore_reference_data()


from factories import PASSWORD  # noqa: E402  (tests import it from here)


def build_world():
    from factories import (
        CountyFactory,
        MembershipFactory,
        PositionFactory,
        TeamFactory,
        TownFactory,
        UserFactory,
        VillageFactory,
    )
    from teams.models import Department, Position, Role, Town, Village, Weekday

    w = SimpleNamespace()
    w.county = CountyFactory(name="博罗县", liaison_weekday=Weekday.TUESDAY)
    w.town1 = TownFactory(county=w.county, name="罗阳街道", kind=Town.Kind.SUBDISTRICT)
    w.town2 = TownFactory(county=w.county, name="龙溪街道", kind=Town.Kind.SUBDISTRICT)
    w.village_a = VillageFactory(town=w.town1, name="西区社区", kind=Village.Kind.COMMUNITY)
    w.village_b = VillageFactory(town=w.town1, name="东区社区", kind=Village.Kind.COMMUNITY)
    w.village_c = VillageFactory(town=w.town2, name="龙溪村")
    w.team_a = TeamFactory(village=w.village_a, schedule__place="西区社区党群服务中心")
    w.team_b = TeamFactory(village=w.village_b, schedule__place="东区社区居委会")
    w.team_c = TeamFactory(village=w.village_c, schedule__place="龙溪村委会")
    w.dept1 = Department.objects.create(county=w.county, name="信访局")
    w.dept2 = Department.objects.create(county=w.county, name="住房和城乡建设局")

    w.other_county = CountyFactory(name="龙门县")
    w.other_town = TownFactory(county=w.other_county, name="龙城街道")
    w.other_village = VillageFactory(town=w.other_town, name="城东社区")
    w.other_team = TeamFactory(village=w.other_village, schedule__place="城东社区党群服务中心")

    w.leader = UserFactory(username="leader", name="陈建华", phone="13800000001")
    w.cadre = UserFactory(username="cadre", name="李丽芳", phone="13800000002")
    w.lawyer = UserFactory(username="lawyer", name="黄志明")
    w.volunteer = UserFactory(username="volunteer", name="张小燕")
    w.other_cadre = UserFactory(username="other_cadre", name="刘伟强")
    w.other_leader = UserFactory(username="other_leader", name="何国栋")
    w.town_office = UserFactory(username="town", name="叶嘉欣")
    w.department = UserFactory(username="dept", name="罗永健")
    w.org_department = UserFactory(username="orgdept", name="邓志红")
    w.admin = UserFactory(username="admin", name="系统管理员", is_staff=True, is_superuser=True)
    for team, member, role in (
        (w.team_a, w.leader, Role.LEADER),
        (w.team_a, w.cadre, Role.TOWN_CADRE),
        (w.team_a, w.lawyer, Role.LAWYER),
        (w.team_a, w.volunteer, Role.VOLUNTEER),
        (w.team_c, w.other_leader, Role.LEADER),
        (w.team_c, w.other_cadre, Role.TOWN_CADRE),
    ):
        MembershipFactory(team=team, user=member, role=role, public_phone=member.phone)
    PositionFactory(user=w.town_office, kind=Position.Kind.TOWN_OFFICE, town=w.town1)
    PositionFactory(user=w.department, kind=Position.Kind.DEPARTMENT, department=w.dept1)
    PositionFactory(user=w.org_department, kind=Position.Kind.ORG_DEPARTMENT, county=w.county)
    PositionFactory(user=w.admin, kind=Position.Kind.ADMIN)
    w.anonymous = None
    w.personas = ["cadre", "leader", "other_cadre", "town_office", "department", "org_department", "admin", "anonymous"]
    return w


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def tworld(transactional_db):
    """The same world, committed, for tests that need other connections or processes."""
    return build_world()


# The suite's clock: its named instants, each frozen by the fixture of its name (the traveller it
# yields moves the clock on). A test names the instant it needs, so it keeps it wherever it moves.
SHANGHAI = ZoneInfo("Asia/Shanghai")
LIAISON_TUESDAY = datetime(2026, 11, 24, 9, 30, tzinfo=SHANGHAI)  # a liaison day of the personas' teams
MONDAY_BEFORE = datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)  # Monday of the week before it
SUNDAY_BEFORE = datetime(2026, 11, 22, 9, 0, tzinfo=SHANGHAI)  # the Sunday before it
TODAY = LIAISON_TUESDAY.date()


def frozen_at(instant):
    return time_machine.travel(instant, tick=False)


@pytest.fixture
def liaison_tuesday():
    """Tuesday 24 November 2026, 09:30 in Shanghai, the county's weekday: the clock stands still."""
    with frozen_at(LIAISON_TUESDAY) as traveller:
        yield traveller


@pytest.fixture
def monday_before():
    """Monday 16 November 2026, 09:00 in Shanghai: the clock stands still."""
    with frozen_at(MONDAY_BEFORE) as traveller:
        yield traveller


@pytest.fixture
def sunday_before():
    """Sunday 22 November 2026, 09:00 in Shanghai: the clock stands still."""
    with frozen_at(SUNDAY_BEFORE) as traveller:
        yield traveller


@pytest.fixture
def today_day(world, liaison_tuesday):
    """Every team's liaison days of the coming weeks, with today's for team A."""
    from teams import services
    from teams.models import LiaisonDay

    services.generate_liaison_days(weeks=3)
    return LiaisonDay.objects.get(team=world.team_a, date=TODAY)


def login(client, user):
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def as_user(client):
    """as_user(user) → a Django test client logged in as that user (None: anonymous)."""
    return lambda user: login(client, user)


@pytest.fixture
def as_admin(world, client):
    """The test client signed in as the world's administrator (not pytest-django's admin_client,
    which makes a superuser of its own)."""
    return login(client, world.admin)


@pytest.fixture
def api_as():
    """api_as(user) → a DRF APIClient authenticated as that user (None: anonymous)."""
    from rest_framework.test import APIClient

    def make(user):
        api = APIClient()
        if user is not None:
            api.force_authenticate(user)
        return api

    return make


CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def phone_page(browser, live_server):
    """A page on a 390×844 phone viewport, in Chinese, with the live server's address."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=2)
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser, live_server):
    """A page on a 1280×900 desktop viewport, in Chinese, with the live server's address."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    context.close()


def browser_login(page, username, password=PASSWORD):
    page.goto(page.base_url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


@pytest.fixture
def screenshot_dir():
    path = settings.BASE_DIR / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


def run_together(*actions):
    """Run each action in its own thread (own connection), released at the same instant."""
    from django.db import connection

    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def worker(i, action):
        try:
            barrier.wait()
            results[i] = ("ok", action())
        except Exception as error:
            results[i] = ("error", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results
