from django.db import migrations

POSTGRESQL = [
    """
    CREATE FUNCTION issues_event_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'The timeline is append-only: events are never changed or deleted.';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER issues_event_append_only BEFORE UPDATE OR DELETE ON issues_event
    FOR EACH ROW EXECUTE FUNCTION issues_event_append_only();
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS issues_event_append_only ON issues_event;",
    "DROP FUNCTION IF EXISTS issues_event_append_only();",
]
SQLITE = [
    f"""
    CREATE TRIGGER issues_event_no_{action.lower()} BEFORE {action} ON issues_event
    BEGIN SELECT RAISE(ABORT, 'The timeline is append-only: events are never changed or deleted.'); END;
    """
    for action in ("UPDATE", "DELETE")
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS issues_event_no_update;", "DROP TRIGGER IF EXISTS issues_event_no_delete;"]


def _run(statements):
    def run(apps, schema_editor):
        for sql in statements[schema_editor.connection.vendor]:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    """The database itself refuses to change or delete a timeline event."""

    dependencies = [("issues", "0002_categories")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
