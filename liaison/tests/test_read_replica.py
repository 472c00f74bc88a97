"""The read replica against a real one: the module starts a PostgreSQL primary and a streaming
replica of it (Debian's binaries, `pg_basebackup -R`) on ports of their own in a temporary
directory, loads the test database into the primary, points the `default` alias at the primary
and a `replica` alias at the replica, and stops both at the end. The machine's own server is
only read (pg_dump of the test database)."""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from copy import deepcopy
from pathlib import Path

import pytest
from django.db import connections
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases

from conftest import build_world
from issues.models import Category
from liaison import replica

BIN = Path("/usr/lib/postgresql/15/bin")
DB = "liaison_replica_test"

pytestmark = pytest.mark.replica


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(*command):
    """initdb and postgres refuse to run as root: then they run as the postgres user."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    result = subprocess.run([*prefix, *map(str, command)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"


class Cluster:
    def __init__(self, root, name, port):
        self.data, self.port, self.log = root / name, port, root / f"{name}.log"

    def start(self):
        as_postgres(BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-o", f"-p {self.port}", "-w", "start")

    def stop(self):
        as_postgres(BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")


@contextmanager
def migrated_database(django_db_blocker):
    """The test database, migrated: pytest-django makes it only when a test in the run asks for
    the database, which none of this module's tests does (they run on their own clusters)."""
    default = connections["default"].settings_dict
    if default["NAME"] == default["TEST"]["NAME"]:
        yield default
        return
    with django_db_blocker.unblock():
        made = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    try:
        yield default
    finally:
        with django_db_blocker.unblock():
            teardown_databases(made, verbosity=0)


@contextmanager
def streaming_pair(root, source):
    """A primary holding a copy of the `source` database, and its streaming replica."""
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    primary, standby = Cluster(root, "primary", free_port()), Cluster(root, "replica", free_port())
    as_postgres(BIN / "initdb", "-D", primary.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
    with open(primary.data / "postgresql.conf", "a") as conf:  # as root: initdb made it, root may append
        conf.write(f"listen_addresses = '127.0.0.1'\nunix_socket_directories = '{root}'\nfsync = off\n")
    primary.start()
    try:
        tcp = ["-h", "127.0.0.1", "-U", "postgres"]
        as_postgres(BIN / "createdb", *tcp, "-p", primary.port, DB)
        # No owners or grants: roles that other tests made on the machine's server are not here.
        dump = subprocess.run(["pg_dump", *tcp, "-p", str(source["PORT"] or 5432), "--no-owner", "--no-privileges",
                               source["NAME"]], capture_output=True, check=True).stdout
        subprocess.run(["psql", *tcp, "-p", str(primary.port), "-q", "-v", "ON_ERROR_STOP=1", DB],
                       input=dump, capture_output=True, check=True)
        as_postgres(BIN / "pg_basebackup", *tcp, "-p", primary.port, "-D", standby.data, "-R", "-X", "stream",
                    "-c", "fast")
        standby.start()
        try:
            yield primary, standby
        finally:
            standby.stop()
    finally:
        primary.stop()


@contextmanager
def aliases_on(default, primary, standby):
    """`default` on the primary, `replica` on the standby, the router on; as they were after."""
    saved = {key: default[key] for key in ("HOST", "PORT", "NAME")}
    connections["default"].close()
    default.update(HOST="127.0.0.1", PORT=str(primary.port), NAME=DB)
    connections.settings["replica"] = {**deepcopy(default), "PORT": str(standby.port),
                                       "OPTIONS": {"connect_timeout": 2}}
    try:
        with override_settings(DATABASE_ROUTERS=["liaison.replica.Router"], DATABASE_REPLICA_CHECK_SECONDS=0,
                               DATABASE_REPLICA_MAX_LAG=60, REPLICA_OWN_WRITES_SECONDS=60):
            yield
    finally:
        for alias in ("default", "replica"):
            connections[alias].close()
        del connections.settings["replica"]
        del connections["replica"]
        default.update(saved)


@pytest.fixture(scope="module")
def clusters(django_db_setup, django_db_blocker):
    """A world on the primary, its replica streaming, the router and middleware on."""
    if not (BIN / "pg_basebackup").exists():
        pytest.fail(f"PostgreSQL's server binaries are not in {BIN}: apt-get install postgresql-15")
    root = Path(tempfile.mkdtemp(prefix="liaison-replica-"))
    try:
        with migrated_database(django_db_blocker) as source, streaming_pair(root, source) as (primary, standby), \
                aliases_on(source, primary, standby), django_db_blocker.unblock():
            world = build_world()
            world.category = Category.objects.get(code="livelihood")
            world.standby = standby
            yield world
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pair(clusters):
    """The world on the primary; the replica running, caught up; nobody's writes noted."""
    from django.core.cache import cache

    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    replica.forget()
    caught_up()
    # Only these keys: the Redis database is also this worker's Celery broker.
    cache.delete_many([f"replica:wrote:user:{user.pk}" for user in (clusters.cadre, clusters.org_department)])
    return clusters


def on_replica(sql):
    with connections["replica"].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def caught_up():
    """Wait until the replica has replayed everything the primary committed."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        (lsn,) = cursor.fetchone()
    until = time.monotonic() + 10
    while not on_replica(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn"):
        assert time.monotonic() < until, "the replica did not catch up"
        time.sleep(0.02)


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def titles(client):
    response = client.get("/api/v1/issues/?page_size=1000")
    assert response.status_code == 200, response.content[:300]
    return {issue["title"] for issue in response.json()["results"]}


def register(client, world, title):
    response = client.post("/api/v1/issues/", {
        "title": title, "description": f"{title}，请尽快处理。", "category": world.category.code,
        "source": "phone", "village": world.village_a.pk, "reporter_name": "张国强",
        "reporter_phone": "13987654321",
    }, content_type="application/json")
    assert response.status_code == 201, response.content[:300]
    return response


def test_a_read_only_request_reads_the_replica_and_a_write_the_primary(pair):
    org = signed_in(pair.org_department)
    for path, table in (("/api/v1/issues/", "issues_issue"), ("/issues/", "issues_issue"),
                        (f"/reports/county/{pair.county.pk}/", "reports_"), ("/visits/diary/", "visits_visit")):
        with CaptureQueriesContext(connections["replica"]) as replica_side, \
                CaptureQueriesContext(connections["default"]) as primary_side:
            assert org.get(path).status_code == 200, path
        assert any(f'"{table}' in q["sql"] for q in replica_side), path
        # The primary: the session, and the user to know whether they wrote lately.
        assert {table for q in primary_side for table in re.findall(r'FROM "(\w+)"', q["sql"])} <= {
            "django_session", "teams_user"}, path

    cadre = signed_in(pair.cadre)
    with CaptureQueriesContext(connections["replica"]) as replica_side:
        register(cadre, pair, "井盖缺失")
    assert not any("issues_" in q["sql"] for q in replica_side)


def test_a_writer_reads_their_own_writes_others_the_replica_then_the_primary_once_it_lags(pair, settings):
    pause()
    cadre, org = signed_in(pair.cadre), signed_in(pair.org_department)
    register(cadre, pair, "路灯不亮")

    assert "路灯不亮" in titles(cadre)  # the cookie its write set
    assert "路灯不亮" in titles(signed_in(pair.cadre))  # the cadre's other device: the user noted in Redis
    assert "路灯不亮" not in titles(org)  # the replica, paused, within the (test's 60 s) bound

    # The replica falls behind the bound: everyone reads the primary, without an error.
    settings.DATABASE_REPLICA_MAX_LAG = 0.3
    until = time.monotonic() + 10
    while (replica.lag() or 0) <= 0.3:
        assert time.monotonic() < until, "the paused replica never lagged"
        time.sleep(0.05)
    with CaptureQueriesContext(connections["replica"]) as replica_side:
        assert "路灯不亮" in titles(org)
    assert all("pg_last_wal" in q["sql"] for q in replica_side)

    on_replica("SELECT pg_wal_replay_resume()")
    caught_up()
    assert replica.lag() == 0
    assert "路灯不亮" in titles(org)


def test_a_writer_through_an_api_token_reads_their_own_writes(pair):
    from knox.models import AuthToken

    _token, key = AuthToken.objects.create(user=pair.cadre)
    api = Client(headers={"Authorization": f"Token {key}"})
    pause()
    register(api, pair, "自来水浑浊")
    api.cookies.clear()  # a script keeps no cookies: the token is what is noted
    assert "自来水浑浊" in titles(api)
    assert "自来水浑浊" not in titles(signed_in(pair.org_department))


def test_pages_answer_from_the_primary_when_the_replica_goes_away(pair, settings):
    org = signed_in(pair.org_department)
    register(signed_in(pair.cadre), pair, "垃圾清运不及时")
    caught_up()
    settings.DATABASE_REPLICA_CHECK_SECONDS = 60  # this process last saw it well a moment ago
    assert "垃圾清运不及时" in titles(org)
    pair.standby.stop()
    try:
        # Gone since the last check: the request that meets it runs again on the primary.
        with CaptureQueriesContext(connections["default"]) as primary_side:
            assert "垃圾清运不及时" in titles(org)
        assert any('"issues_issue"' in q["sql"] for q in primary_side)
        assert org.get("/issues/").status_code == 200  # and the pages after it, not asking it again
        assert org.get("/reports/", follow=True).status_code == 200  # the county dashboard
        assert replica.lag() is None
    finally:
        pair.standby.start()
        connections["replica"].close()


def test_transactions_locks_and_sign_in_state_stay_on_the_primary(pair):
    from django.contrib.sessions.models import Session
    from django.db import transaction

    from core.replica import reading
    from issues.models import Issue

    assert Issue.objects.all().db == "default"  # nothing said it may read the replica (a Celery task)
    with reading():
        assert Issue.objects.all().db == "replica"
        assert Issue.objects.select_for_update().db == "default"
        assert Session.objects.all().db == "default"
        with transaction.atomic():
            assert Issue.objects.all().db == "default"


def pause():
    on_replica("SELECT pg_wal_replay_pause()")
    until = time.monotonic() + 10
    while on_replica("SELECT pg_get_wal_replay_pause_state()") != "paused":
        assert time.monotonic() < until
        time.sleep(0.02)


def exported_titles(job):
    from io import BytesIO

    from openpyxl import load_workbook

    from reports.excel import exports

    exports.run(job.pk)
    job.refresh_from_db()
    assert job.status == job.Status.DONE, job.failure
    with job.file.open("rb") as f:
        sheet = load_workbook(BytesIO(f.read()), read_only=True).active
        return {cell for row in sheet.iter_rows(values_only=True) for cell in row if isinstance(cell, str)}


def test_an_export_reads_the_replica_once_it_holds_the_job(pair, settings, tmp_path):
    from reports.models import ExportJob

    settings.MEDIA_ROOT = tmp_path
    cadre = signed_in(pair.cadre)
    register(cadre, pair, "二巷路面塌陷")
    first = ExportJob.objects.create(user=pair.org_department, kind="issues", filters={}, total=0)
    caught_up()
    pause()
    register(cadre, pair, "三巷下水道反味")
    assert "三巷下水道反味" not in exported_titles(first)  # asked for before it: the replica's rows
    second = ExportJob.objects.create(user=pair.org_department, kind="issues", filters={}, total=0)
    assert {"二巷路面塌陷", "三巷下水道反味"} <= exported_titles(second)  # the replica lacks the job: the primary


def test_healthz_reports_the_replica_lag_and_fails_when_it_falls_behind_or_goes_away(pair, settings):
    def healthz():
        return Client().get("/healthz?checks=database,replica")

    response = healthz()
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["replica"]["lag_seconds"] == 0

    pause()
    register(signed_in(pair.cadre), pair, "路口积水")
    settings.HEALTH_REPLICA_LAG_SECONDS = 0.3
    until = time.monotonic() + 10
    while (replica.lag() or 0) <= 0.3:
        assert time.monotonic() < until, "the paused replica never lagged"
        time.sleep(0.05)
    response = healthz()
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["replica"]
    assert body["checks"]["replica"]["lag_seconds"] >= 0.3  # reported to a tenth of a second
    on_replica("SELECT pg_wal_replay_resume()")
    caught_up()

    pair.standby.stop()
    try:
        response = healthz()
        assert response.status_code == 503
        body = response.json()
        assert body["failing"] == ["replica"]
        assert body["checks"]["replica"]["error"] == "not answering"
        assert body["checks"]["database"]["ok"] is True
    finally:
        pair.standby.start()
        connections["replica"].close()
