"""The audit trail holds against the application itself: run as a database role that does not own
the tables (`grant_app_role`), the application works, but it cannot truncate or rewrite the
timeline or the attendance change log, nor switch their triggers off; and an issue, a step or an
attendance row changes only together with its audit record."""

from contextlib import contextmanager
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection, transaction

from issues import services as issue_services
from issues.models import Category, Issue
from teams import attendance as team_attendance
from teams import services as team_services
from teams.models import Attendance, LiaisonDay

ROLE = "liaison_app_test"


@pytest.fixture
def app_role(tworld):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [ROLE])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {ROLE} LOGIN")
    call_command("grant_app_role", ROLE, stdout=StringIO())
    return ROLE


@contextmanager
def connected_as(role):
    """The application's own connection, as `role`, for the duration."""
    settings = connection.settings_dict
    owner = settings["USER"]
    connection.close()
    settings["USER"] = role
    try:
        yield
    finally:
        connection.close()
        settings["USER"] = owner


def raw(role, *statements):
    """Run statements in one transaction as `role`; the error the database answers, if any."""
    params = connection.get_connection_params()
    params["user"] = role
    conn = psycopg.connect(**params)
    try:
        with conn, conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    except psycopg.Error as error:
        return error
    finally:
        conn.close()
    return None


def register(world):
    return issue_services.register(
        by=world.cadre, village=world.village_a, category=Category.objects.get_or_create(
            code="livelihood", defaults={"name": "民生文化", "group": "committee"})[0],
        title="路灯不亮", description="巷口路灯坏了", source="reception", reporter_name="王秀英",
        reporter_phone="13912345678",
    )


def test_the_application_runs_as_a_role_that_does_not_own_the_tables(tworld, app_role):
    with connected_as(app_role):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone() == (ROLE,)
        issue = register(tworld)
        issue_services.escalate(issue=issue, by=tworld.leader, reason="需镇街协调")
        team_services.generate_liaison_days(weeks=2)
        day = LiaisonDay.objects.filter(team=tworld.team_a).order_by("date").first()
        team_attendance.record_attendance(
            liaison_day=day, by=tworld.leader, entries=[{"member": tworld.cadre.pk, "status": "leave", "note": "出差"}]
        )
    assert Issue.objects.get(pk=issue.pk).level == "town"
    assert Attendance.objects.get(liaison_day=day, member=tworld.cadre).status == "leave"


@pytest.mark.parametrize("statement, refusal", [
    ("UPDATE issues_event SET public_note = 'x'", "permission denied"),
    ("DELETE FROM issues_event", "permission denied"),
    ("TRUNCATE issues_event", "permission denied"),
    ("ALTER TABLE issues_event DISABLE TRIGGER ALL", "must be owner"),
    ("UPDATE teams_attendancechange SET to_note = 'x'", "permission denied"),
    ("DELETE FROM teams_attendancechange", "permission denied"),
    ("DROP TRIGGER issues_event_append_only ON issues_event", "must be owner"),
])
def test_the_application_role_cannot_rewrite_history(tworld, app_role, statement, refusal):
    issue = register(tworld)
    team_services.generate_liaison_days(weeks=2)
    day = LiaisonDay.objects.filter(team=tworld.team_a).order_by("date").first()
    team_attendance.record_attendance(
        liaison_day=day, by=tworld.leader, entries=[{"member": tworld.cadre.pk, "status": "leave", "note": "出差"}]
    )
    error = raw(app_role, statement)
    assert error is not None and refusal in str(error)
    assert issue.events.count() == 1


def test_changes_without_their_audit_record_are_refused(tworld, app_role):
    issue = register(tworld)
    team_services.generate_liaison_days(weeks=2)
    row = Attendance.objects.filter(liaison_day__team=tworld.team_a, member=tworld.cadre).first()
    for statement in (
        f"UPDATE issues_issue SET result = '已解决' WHERE id = {issue.pk}",
        f"UPDATE issues_step SET on_time = true WHERE issue_id = {issue.pk}",
        f"UPDATE teams_attendance SET status = 'present' WHERE id = {row.pk}",
    ):
        error = raw(app_role, statement)
        assert error is not None and ("without its timeline event" in str(error) or "change log" in str(error))
    # The owner is held to it as well; the ORM outside a service too.
    with pytest.raises(Exception, match="without its timeline event"), transaction.atomic():
        Issue.objects.filter(pk=issue.pk).update(result="已解决")
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    issue.refresh_from_db()
    row.refresh_from_db()
    assert (issue.result, row.status) == ("", "pending")
