from django.db import migrations

# On PostgreSQL an issue or a step changes only in a transaction that writes the timeline
# event: each event records its transaction, and a constraint trigger checks at commit (the
# ledger's services write the event after the change, in the same transaction).
POSTGRESQL = [
    "ALTER TABLE issues_event ADD COLUMN tx bigint",
    """
    CREATE FUNCTION issues_event_tx() RETURNS trigger AS $$
    BEGIN
        NEW.tx := txid_current();
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER issues_event_tx BEFORE INSERT ON issues_event
    FOR EACH ROW EXECUTE FUNCTION issues_event_tx();
    """,
    """
    CREATE FUNCTION issues_change_has_event() RETURNS trigger AS $$
    DECLARE
        -- The issue's id is in the column the trigger names: `id` of an issue, `issue_id` of a step.
        changed_issue bigint := (to_jsonb(NEW) ->> TG_ARGV[0])::bigint;
    BEGIN
        IF NOT EXISTS (
            SELECT 1 FROM issues_event e WHERE e.issue_id = changed_issue AND e.tx = txid_current()
        ) THEN
            RAISE EXCEPTION 'Issue % changed without its timeline event.', changed_issue;
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE CONSTRAINT TRIGGER issues_issue_change_has_event AFTER UPDATE ON issues_issue
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION issues_change_has_event('id');
    """,
    """
    CREATE CONSTRAINT TRIGGER issues_step_change_has_event AFTER UPDATE ON issues_step
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION issues_change_has_event('issue_id');
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS issues_step_change_has_event ON issues_step;",
    "DROP TRIGGER IF EXISTS issues_issue_change_has_event ON issues_issue;",
    "DROP FUNCTION IF EXISTS issues_change_has_event();",
    "DROP TRIGGER IF EXISTS issues_event_tx ON issues_event;",
    "DROP FUNCTION IF EXISTS issues_event_tx();",
    "ALTER TABLE issues_event DROP COLUMN IF EXISTS tx;",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [("issues", "0006_event_satisfaction")]

    operations = [migrations.RunPython(_run(POSTGRESQL), _run(POSTGRESQL_REVERSE))]
