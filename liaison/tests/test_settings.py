"""Settings come from the environment; a bad value stops start-up with a message that
names the variable; production mode passes `check --deploy`."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

PRODUCTION_ENV = {
    "LIAISON_PRODUCTION": "1",
    "SECRET_KEY": "k" * 20 + "Zq8$w!e3Rt6Yu9Io0Pa2Sd5Fg7Hj1Kl4Xc",
    "ALLOWED_HOSTS": "liaison.example.cn",
}


def run_manage(*args, **env):
    unset = ("DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL", "LIAISON_PRODUCTION", "DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env={**base, **env},
        capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DATABASE_URL": "mysql://root@localhost/liaison"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/"}, "names no database"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"LIAISON_PRODUCTION": "maybe"}, "LIAISON_PRODUCTION"),
        ({"LIAISON_DAYS_AHEAD_WEEKS": "eight"}, "LIAISON_DAYS_AHEAD_WEEKS"),
        ({"SESSION_IDLE_MINUTES": "2"}, "SESSION_IDLE_MINUTES"),
        ({"LOGIN_FAILURE_LIMIT": "0"}, "LOGIN_FAILURE_LIMIT"),
        ({"LOGIN_LOCKOUT_MINUTES": "fifteen"}, "LOGIN_LOCKOUT_MINUTES"),
        ({"API_TOKEN_HOURS": "a day"}, "API_TOKEN_HOURS"),
        ({"REDIS_CONNECT_TIMEOUT": "0"}, "REDIS_CONNECT_TIMEOUT"),
        ({"REDIS_SOCKET_TIMEOUT": "soon"}, "REDIS_SOCKET_TIMEOUT"),
        ({"CELERY_VISIBILITY_TIMEOUT": "1h"}, "CELERY_VISIBILITY_TIMEOUT"),
        ({"HEALTH_WORKER_STALE_SECONDS": "30"}, "HEALTH_WORKER_STALE_SECONDS"),  # the heartbeat's own period
        ({"HEALTH_PENDING_SECONDS": "a while"}, "HEALTH_PENDING_SECONDS"),
        ({"DATABASE_REPLICA_URL": "postgres://postgres@replica:5432/liaison"}, "DATABASE_REPLICA_URL"),
        ({"DATABASE_URL": "postgres://postgres@db:5432/liaison", "REDIS_URL": "redis://redis:6379/0",
          "DATABASE_REPLICA_URL": "replica:5432"}, "DATABASE_REPLICA_URL"),
        ({"DATABASE_REPLICA_MAX_LAG": "3s"}, "DATABASE_REPLICA_MAX_LAG"),
        ({"LIAISON_PRODUCTION": "1", "ALLOWED_HOSTS": "a.cn"}, "SECRET_KEY"),
        ({"LIAISON_PRODUCTION": "1", "SECRET_KEY": PRODUCTION_ENV["SECRET_KEY"]}, "ALLOWED_HOSTS"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(env, message):
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_mode_passes_check_deploy():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_with_nothing_set_the_demo_needs_no_service():
    result = run_manage(
        "shell", "-v", "0", "-c",
        "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True"]


def test_with_nothing_set_every_migration_applies_on_sqlite(tmp_path):
    """The demo's first step: PostgreSQL-only constructs are made only on PostgreSQL, and the
    models match the migrations there too. (.ci/fresh_clone_check runs the whole demo.)"""
    (tmp_path / "sqlite_settings.py").write_text(
        "from liaison.settings import *  # noqa: F403\n"
        f"DATABASES['default']['NAME'] = {str(tmp_path / 'db.sqlite3')!r}\n"
    )
    env = {"DJANGO_SETTINGS_MODULE": "sqlite_settings", "PYTHONPATH": str(tmp_path)}
    for command in (["migrate", "--noinput", "-v", "0"], ["makemigrations", "--check", "--dry-run"]):
        result = run_manage(*command, **env)
        assert result.returncode == 0, result.stdout + result.stderr[-2000:]


def test_the_suite_runs_on_postgresql_and_redis():
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    assert settings.LANGUAGE_CODE == "zh-hans" and settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ


@pytest.mark.parametrize("env, message", [
    ({"REQUEST_MAX_KB": "1MB"}, "REQUEST_MAX_KB"), ({"REQUEST_MAX_KB": "8"}, "at least 64"),
    ({"PHOTO_MAX_MB": "0"}, "PHOTO_MAX_MB"), ({"PHOTOS_PER_ISSUE": "-1"}, "PHOTOS_PER_ISSUE"),
])
def test_a_bad_size_bound_stops_start_up_naming_the_variable(env, message):
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_the_size_bounds_come_from_the_environment():
    result = run_manage(
        "shell", "-v", "0", "-c",
        "from django.conf import settings as s; "
        "print(s.REQUEST_MAX_BYTES, s.PHOTO_MAX_BYTES, s.PHOTOS_PER_ISSUE, s.UPLOAD_MAX_BYTES, "
        "s.DATA_UPLOAD_MAX_MEMORY_SIZE)",
        REQUEST_MAX_KB="256", PHOTO_MAX_MB="5", PHOTOS_PER_ISSUE="4",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["262144", "5242880", "4", str(262144 + 4 * 5242880), "262144"]


def test_a_replica_url_brings_the_router_and_the_middleware():
    result = run_manage(
        "shell", "-v", "0", "-c",
        "from django.conf import settings as s; from django.core.handlers.wsgi import WSGIHandler; "
        "r = s.DATABASES['replica']; h = WSGIHandler(); "
        "print(r['HOST'], r['NAME'], r['TEST']['MIRROR'], s.DATABASE_ROUTERS, s.REPLICA_OWN_WRITES_SECONDS, "
        "any(type(m.__self__).__name__ == 'ReadReplicaMiddleware' for m in h._exception_middleware))",
        DATABASE_URL="postgres://postgres@db:5432/liaison", REDIS_URL="redis://redis:6379/0",
        DATABASE_REPLICA_URL="postgres://reader@replica:5433/liaison", DATABASE_REPLICA_MAX_LAG="2",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["replica", "liaison", "default", "['liaison.replica.Router']", "4", "True"]


def test_without_a_replica_url_nothing_changes(client, world):
    from django.db import router

    assert "replica" not in settings.DATABASES
    assert settings.DATABASE_ROUTERS == [] and router.routers == []
    client.force_login(world.cadre)
    assert client.post("/issues/notifications/read/").status_code == 302
    response = client.get("/issues/")
    assert response.status_code == 200
    assert "liaison_wrote" not in response.cookies and "liaison_wrote" not in client.cookies
