from django.db import migrations

# The sheet's audit trail is append-only like the ledger's timeline; on PostgreSQL each change
# also records its transaction, and an attendance row changes only in a transaction that logs it.
POSTGRESQL = [
    """
    CREATE FUNCTION teams_attendancechange_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'Attendance changes are append-only: they are never changed or deleted.';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER teams_attendancechange_append_only BEFORE UPDATE OR DELETE ON teams_attendancechange
    FOR EACH ROW EXECUTE FUNCTION teams_attendancechange_append_only();
    """,
    "ALTER TABLE teams_attendancechange ADD COLUMN tx bigint",
    """
    CREATE FUNCTION teams_attendancechange_tx() RETURNS trigger AS $$
    BEGIN
        NEW.tx := txid_current();
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER teams_attendancechange_tx BEFORE INSERT ON teams_attendancechange
    FOR EACH ROW EXECUTE FUNCTION teams_attendancechange_tx();
    """,
    """
    CREATE FUNCTION teams_attendance_logged() RETURNS trigger AS $$
    BEGIN
        IF (NEW.status, NEW.note) IS DISTINCT FROM (OLD.status, OLD.note) AND NOT EXISTS (
            SELECT 1 FROM teams_attendancechange c WHERE c.attendance_id = NEW.id AND c.tx = txid_current()
        ) THEN
            RAISE EXCEPTION 'An attendance row changes only with its entry in the change log.';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER teams_attendance_logged BEFORE UPDATE ON teams_attendance
    FOR EACH ROW EXECUTE FUNCTION teams_attendance_logged();
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS teams_attendance_logged ON teams_attendance;",
    "DROP FUNCTION IF EXISTS teams_attendance_logged();",
    "DROP TRIGGER IF EXISTS teams_attendancechange_tx ON teams_attendancechange;",
    "DROP FUNCTION IF EXISTS teams_attendancechange_tx();",
    "ALTER TABLE teams_attendancechange DROP COLUMN IF EXISTS tx;",
    "DROP TRIGGER IF EXISTS teams_attendancechange_append_only ON teams_attendancechange;",
    "DROP FUNCTION IF EXISTS teams_attendancechange_append_only();",
]
SQLITE = [
    f"""
    CREATE TRIGGER teams_attendancechange_no_{action.lower()} BEFORE {action} ON teams_attendancechange
    BEGIN SELECT RAISE(ABORT, 'Attendance changes are append-only: they are never changed or deleted.'); END;
    """
    for action in ("UPDATE", "DELETE")
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS teams_attendancechange_no_update;",
    "DROP TRIGGER IF EXISTS teams_attendancechange_no_delete;",
]


def _run(statements):
    def run(apps, schema_editor):
        for sql in statements[schema_editor.connection.vendor]:
            schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [("teams", "0004_liaison_day_one_a_date")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
