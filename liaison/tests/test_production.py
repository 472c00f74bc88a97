"""Production mode, in a process of its own: the API's docs and schema need a signed-in user
(open in development), and database connections are kept as long as CONN_MAX_AGE says."""

import json

import pytest

from liaison.tests.test_settings import PRODUCTION_ENV, run_manage

POSTGRES = "postgres://postgres@127.0.0.1:5432/liaison"  # read, never connected to
ASK = """
import json
from django.test import Client
client = Client(HTTP_HOST="liaison.example.cn")
answers = {}
for path in ("/api/docs/", "/api/docs/?script=", "/api/schema/"):
    response = client.get(path, secure=True)
    answers[path] = [response.status_code, response.headers.get("Location", "")]
print(json.dumps(answers))
"""


def answers(**env):
    result = run_manage("shell", "-v", "0", "-c", ASK, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_in_production_the_api_docs_and_schema_need_a_login():
    found = answers(**PRODUCTION_ENV)
    assert found["/api/docs/"] == [302, "/accounts/login/?next=/api/docs/"]
    assert found["/api/docs/?script="][0] == 302
    assert found["/api/schema/"] == [401, ""]


def test_in_development_the_api_docs_and_schema_are_open():
    found = answers(ALLOWED_HOSTS=PRODUCTION_ENV["ALLOWED_HOSTS"])
    assert found["/api/docs/"][0] == found["/api/docs/?script="][0] == found["/api/schema/"][0] == 200


def conn_max_age(**env):
    show = "from django.conf import settings; print(settings.DATABASES['default']['CONN_MAX_AGE'])"
    result = run_manage("shell", "-v", "0", "-c", show, DATABASE_URL=POSTGRES, **env)
    assert result.returncode == 0, result.stderr
    return int(result.stdout)


def test_connections_are_closed_after_each_request_unless_conn_max_age_says():
    assert conn_max_age() == 0
    assert conn_max_age(CONN_MAX_AGE="60") == 60


def test_production_keeps_connections_a_minute_by_default():
    assert conn_max_age(**PRODUCTION_ENV) == 60
    assert conn_max_age(**PRODUCTION_ENV, CONN_MAX_AGE="0") == 0


@pytest.mark.parametrize("value, message", [("forever", "expected a whole number"), ("-1", "must be at least 0")])
def test_a_bad_conn_max_age_stops_start_up_naming_it(value, message):
    result = run_manage("check", CONN_MAX_AGE=value, DATABASE_URL=POSTGRES)
    assert result.returncode != 0
    assert f"CONN_MAX_AGE={value!r}: {message}" in result.stderr


def test_the_load_balancer_and_prometheus_are_not_sent_to_https():
    """They ask gunicorn directly over plain HTTP: a redirect would read as a failed probe."""
    ask = (
        "from django.test import Client; c = Client(HTTP_HOST='liaison.example.cn');"
        "print(c.get('/healthz').status_code, c.get('/metrics').status_code, c.get('/public/').status_code)"
    )
    result = run_manage("shell", "-v", "0", "-c", ask, **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    healthz, metrics, public = result.stdout.split()
    assert healthz in ("200", "503")  # here no database: the answer, not a redirect
    assert metrics == "404"  # no METRICS_TOKEN
    assert public == "301"
