"""Schemathesis against the schema the API serves, in `make test`: every operation, as a team
leader, a town office and a visitor, on a county at work (liaison/tests/conftest.py), with all
of Schemathesis' checks: no 5xx; every status code, header and body as the schema says;
schema-valid input accepted and schema-invalid input refused; a visitor refused where a login
is required; 405 for methods an operation does not have.

Bounded (a fixed number of examples per operation, derandomized from a fixed seed) so that the
run is the same every time and adds about three minutes of work to the suite, which xdist spreads
over its workers (one test per operation and persona); `make test-nightly` draws ten times as many. Strings may hold NUL
(`allow-x00`): the schema says that no text the API reads holds one (core/schema.py), and the
server refuses it with a 400. Requests go to the WSGI application in-process, inside the test's
transaction, so nothing outlives a test.

One allowance is ours, as narrow as it can be: a POST whose body the schema accepts may still be
refused with 400 for a rule no JSON Schema can state (an ID number's check digit, a tracking
code's check character, a village outside the user's scope, a date in the future, a reason the
service requires). Query parameters get no such allowance: a filter value the schema accepts is
never a 400 (a list's `cursor` is not generated: it is the server's own token). A text comes as a
JSON string, as the schema says (a number for it is a 400:
core/schema.py). The run's figures are printed at the end of the session (conftest.py)."""

import contextlib
import io
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation

from conftest import EXAMPLES_FACTOR, PASSWORD
from issues.tests.conftest import forget_public_counters
from liaison.wsgi import application

PERSONAS = ["anonymous", "leader", "town_office"]
EXAMPLES = 25 * EXAMPLES_FACTOR  # `make test-nightly`: ten times as many
# The address the requests come from: their rate-limit counters are not other tests'.
CLIENT = {"REMOTE_ADDR": "127.0.0.2"}

TOTALS = Counter()


def counting(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    where = (environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), body.decode("latin-1"))
    if any(nul in text for text in where for nul in ("\x00", "%00", "\\u0000")):
        TOTALS["with NUL"] += 1

    def counted(status, headers, *args):
        TOTALS["requests"] += 1
        TOTALS[f"{status[0]}xx"] += 1
        return start_response(status, headers, *args)

    return application(environ, counted)


# What a POST whose body the schema accepts may get: the usual answers, and 400 (see above).
BUSINESS_RULES = ["2xx", "400", "401", "403", "404", "409", "429"]
CONFIG = schemathesis.Config.from_dict({
    "seed": 20261124,
    "generation": {"max-examples": EXAMPLES, "deterministic": True, "allow-x00": True, "database": "none"},
    "operations": [{
        "include-method": "POST",
        "checks": {"positive_data_acceptance": {"expected-statuses": BUSINESS_RULES}},
    }],
})
SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/", counting, config=CONFIG)


@contextlib.contextmanager
def one_connection():
    """Keep the test's database connection (and its transaction) across the requests, as
    Django's test client does: the WSGI handler would otherwise close it after each one."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# Ids of objects that exist in the current test's world, by the path's resource or the body's
# field: examples draw among them and what Hypothesis made up (`flatmap_case`), so that they
# reach past "not found" into the services.
REAL = {"path": {}, "body": {}}


@pytest.fixture(params=PERSONAS)
def persona(request, busy_world, client):
    """The persona's headers: a token from the API's own endpoint."""
    user = getattr(busy_world, request.param)
    headers = {}
    if user is not None:
        answer = client.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD})
        headers["Authorization"] = f"Token {answer.json()['token']}"
    REAL.update(real_values(busy_world))
    forget_public_counters()
    yield headers
    forget_public_counters()


def real_values(w):
    issues = [w.issue_a.code, w.issue_town.code, w.issue_county.code, w.issue_done.code, w.issue_c.code]
    return {
        "path": {
            "towns": [w.town1.pk, w.other_town.pk], "villages": [w.village_a.pk, w.village_c.pk],
            "departments": [w.dept1.pk], "teams": [w.team_a.pk, w.team_c.pk],
            "households": [w.home_a.pk, w.home_c.pk], "liaison-days": [w.day_a.pk, w.day_c.pk],
            "visits": [w.visit_a.pk, w.visit_c.pk], "categories": ["livelihood"], "issues": issues,
        },
        "body": {
            "village": [w.village_a.pk, w.village_c.pk], "household": [w.home_a.pk], "visit": [w.visit_a.pk],
            "cadres": [[w.cadre.pk], [w.leader.pk, w.cadre.pk]], "households": [[w.home_a.pk]],
            "member": [w.cadre.pk, w.leader.pk, w.volunteer.pk], "to": [w.cadre.pk, w.leader.pk],
            "department": [w.dept1.pk], "category": ["livelihood"], "tags": [["dibao"]], "code": issues,
            "phone_last4": ["5678", "0000"], "reporter_phone": ["13912345678"], "phone": ["13812345678"],
            "received_at": ["2026-11-24T08:00:00+08:00"], "date": ["2026-11-24"], "team": [w.team_a.pk, w.team_c.pk],
        },
    }


def _same_kind(value, choices):
    return type(value) is type(choices[0])


@SCHEMA.hook
def flatmap_case(context, case):
    """Swap some ids of a schema-valid path or body for real ones (each swap drawn, so shrinking
    and replay work). A component made invalid on purpose is left as it is."""
    swaps = {}
    if _positive(case, ParameterLocation.PATH):
        choices = REAL["path"].get(case.path.split("/")[3], [])
        for name, value in (case.path_parameters or {}).items():
            if choices and _same_kind(value, choices):
                swaps[("path", name)] = st.sampled_from([value, *choices])
    if _positive(case, ParameterLocation.BODY):
        items = case.body if isinstance(case.body, list) else [case.body]
        for index, item in enumerate(items):
            for name, value in (item.items() if isinstance(item, dict) else ()):
                choices = REAL["body"].get(name)
                if choices and _same_kind(value, choices):
                    # Mostly a real one: a body needs several at once to get past the services.
                    swaps[(index, name)] = st.sampled_from([value, *choices * 3])
    if not swaps:
        return st.just(case)
    return st.fixed_dictionaries(swaps).map(lambda chosen: _swapped(case, chosen))


def _positive(case, location):
    component = case.meta.components.get(location) if case.meta is not None else None
    return component is not None and component.mode.is_positive


def _swapped(case, chosen):
    items = case.body if isinstance(case.body, list) else [case.body]
    for (where, name), value in chosen.items():
        if where == "path":
            case.path_parameters[name] = value
        else:
            items[where][name] = value
    return case


def operations():
    return [result.ok() for result in SCHEMA.get_all_operations()]


def test_the_served_schema_has_every_operation():
    assert len(operations()) >= 30


@SCHEMA.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
def test_the_api_keeps_its_schema(case, persona):
    TOTALS["examples"] += 1
    # A list's `cursor` is a token the server issued (a row's sort keys): no JSON Schema can say
    # which ones it did, so a generated one is dropped; liaison/tests/test_cursor_pages.py reads real ones.
    if case.query:
        case.query.pop("cursor", None)
    with one_connection():
        try:
            case.call_and_validate(headers=persona, environ_overrides=CLIENT)
        except FailureGroup:
            TOTALS["failures"] += 1
            raise
