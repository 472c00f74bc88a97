import django.db.models.deletion
from django.db import migrations, models

# A round's record (its publications and withdrawals) is append-only like the ledger's timeline.
# On PostgreSQL a published round is frozen as well: the round, its results, the links to the
# inspections behind them, those inspections and their members absent or criticised change only
# while no published round holds them; a round becomes published, or a draft again, only in a
# transaction that writes its entry in the record (checked at commit, as the ledger's events are).
PUBLISHED_ROUND_USES = {
    # (the rows' kind, how a round is reached from the key a row names)
    "round": "SELECT 1 FROM reports_assessmentround r WHERE r.id = key AND r.status = 'published'",
    "result": """SELECT 1 FROM reports_assessmentresult x JOIN reports_assessmentround r ON r.id = x.round_id
                 WHERE x.id = key AND r.status = 'published'""",
    "inspection": """SELECT 1 FROM reports_assessmentresult_inspections l
                     JOIN reports_assessmentresult x ON x.id = l.assessmentresult_id
                     JOIN reports_assessmentround r ON r.id = x.round_id
                     WHERE l.inspection_id = key AND r.status = 'published'""",
}
APPEND_ONLY = "The record of publications and withdrawals is append-only: its entries are never changed or deleted."
RESULTS_FROZEN = "Round % is published: its results are frozen until the round is withdrawn."
INSPECTION_FROZEN = "Inspection % was used by a published assessment round: it is frozen until the round is withdrawn."
# (table, the kind of key its rows name, the key's column, the message)
FROZEN_ROWS = [
    ("reports_assessmentresult", "round", "round_id", RESULTS_FROZEN),
    ("reports_assessmentresult_inspections", "result", "assessmentresult_id",
     "Result % is of a published round: the inspections behind it are frozen until the round is withdrawn."),
    ("reports_inspection", "inspection", "id", INSPECTION_FROZEN),
    ("reports_inspection_absent_members", "inspection", "inspection_id", INSPECTION_FROZEN),
    ("reports_inspection_criticised", "inspection", "inspection_id", INSPECTION_FROZEN),
]

POSTGRESQL = [
    f"""
    CREATE FUNCTION reports_assessmentevent_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{APPEND_ONLY}';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER reports_assessmentevent_append_only BEFORE UPDATE OR DELETE ON reports_assessmentevent
    FOR EACH ROW EXECUTE FUNCTION reports_assessmentevent_append_only();
    """,
    "ALTER TABLE reports_assessmentevent ADD COLUMN tx bigint",
    """
    CREATE FUNCTION reports_assessmentevent_tx() RETURNS trigger AS $$
    BEGIN
        NEW.tx := txid_current();
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER reports_assessmentevent_tx BEFORE INSERT ON reports_assessmentevent
    FOR EACH ROW EXECUTE FUNCTION reports_assessmentevent_tx();
    """,
    # Whether a published round holds the row `key` of `kind` names. Volatile, so that it reads
    # the rounds as committed when the row is changed, not when the statement began.
    f"""
    CREATE FUNCTION reports_published_round_uses(kind text, key bigint) RETURNS boolean AS $$
    BEGIN
        IF kind = 'round' THEN
            RETURN EXISTS ({PUBLISHED_ROUND_USES["round"]});
        ELSIF kind = 'result' THEN
            RETURN EXISTS ({PUBLISHED_ROUND_USES["result"]});
        END IF;
        RETURN EXISTS ({PUBLISHED_ROUND_USES["inspection"]});
    END;
    $$ LANGUAGE plpgsql;
    """,
    # The rows a published round holds: TG_ARGV = (the kind of key, its column, the message).
    """
    CREATE FUNCTION reports_frozen_while_published() RETURNS trigger AS $$
    DECLARE
        old_key bigint := CASE WHEN TG_OP <> 'INSERT' THEN (to_jsonb(OLD) ->> TG_ARGV[1])::bigint END;
        new_key bigint := CASE WHEN TG_OP <> 'DELETE' THEN (to_jsonb(NEW) ->> TG_ARGV[1])::bigint END;
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW IS NOT DISTINCT FROM OLD THEN
            RETURN NEW;
        END IF;
        IF reports_published_round_uses(TG_ARGV[0], old_key) THEN
            RAISE EXCEPTION USING MESSAGE = replace(TG_ARGV[2], '%', old_key::text);
        END IF;
        IF reports_published_round_uses(TG_ARGV[0], new_key) THEN
            RAISE EXCEPTION USING MESSAGE = replace(TG_ARGV[2], '%', new_key::text);
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    *(
        f"""
        CREATE TRIGGER {table}_frozen_while_published BEFORE INSERT OR UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION reports_frozen_while_published('{kind}', '{column}', '{message}');
        """
        for table, kind, column, message in FROZEN_ROWS
    ),
    # A published round itself: neither changed (but by being withdrawn) nor deleted.
    """
    CREATE FUNCTION reports_assessmentround_frozen() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'Round % is published: a published round is never deleted.', OLD.id;
        END IF;
        IF NEW.status = 'published' AND NEW IS DISTINCT FROM OLD THEN
            RAISE EXCEPTION 'Round % is published: it changes only by being withdrawn.', OLD.id;
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER reports_assessmentround_frozen BEFORE UPDATE OR DELETE ON reports_assessmentround
    FOR EACH ROW WHEN (OLD.status = 'published') EXECUTE FUNCTION reports_assessmentround_frozen();
    """,
    # Published, or a draft again, only with the entry in the record, in the same transaction.
    """
    CREATE FUNCTION reports_assessmentround_on_record() RETURNS trigger AS $$
    DECLARE
        expected text := CASE WHEN NEW.status = 'published' THEN 'published' ELSE 'withdrawn' END;
    BEGIN
        IF NOT EXISTS (
            SELECT 1 FROM reports_assessmentevent e
            WHERE e.round_id = NEW.id AND e.kind = expected AND e.tx = txid_current()
        ) THEN
            RAISE EXCEPTION 'Round % was % without its entry in the record.', NEW.id, expected;
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE CONSTRAINT TRIGGER reports_assessmentround_published_on_record AFTER INSERT ON reports_assessmentround
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.status = 'published')
    EXECUTE FUNCTION reports_assessmentround_on_record();
    """,
    """
    CREATE CONSTRAINT TRIGGER reports_assessmentround_status_on_record AFTER UPDATE ON reports_assessmentround
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status AND 'published' IN (OLD.status, NEW.status))
    EXECUTE FUNCTION reports_assessmentround_on_record();
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS reports_assessmentround_status_on_record ON reports_assessmentround;",
    "DROP TRIGGER IF EXISTS reports_assessmentround_published_on_record ON reports_assessmentround;",
    "DROP FUNCTION IF EXISTS reports_assessmentround_on_record();",
    "DROP TRIGGER IF EXISTS reports_assessmentround_frozen ON reports_assessmentround;",
    "DROP FUNCTION IF EXISTS reports_assessmentround_frozen();",
    *(f"DROP TRIGGER IF EXISTS {table}_frozen_while_published ON {table};" for table, *_rest in FROZEN_ROWS),
    "DROP FUNCTION IF EXISTS reports_frozen_while_published();",
    "DROP FUNCTION IF EXISTS reports_published_round_uses(text, bigint);",
    "DROP TRIGGER IF EXISTS reports_assessmentevent_tx ON reports_assessmentevent;",
    "DROP FUNCTION IF EXISTS reports_assessmentevent_tx();",
    "ALTER TABLE reports_assessmentevent DROP COLUMN IF EXISTS tx;",
    "DROP TRIGGER IF EXISTS reports_assessmentevent_append_only ON reports_assessmentevent;",
    "DROP FUNCTION IF EXISTS reports_assessmentevent_append_only();",
]
SQLITE = [
    f"""
    CREATE TRIGGER reports_assessmentevent_no_{action.lower()} BEFORE {action} ON reports_assessmentevent
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END;
    """
    for action in ("UPDATE", "DELETE")
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS reports_assessmentevent_no_update;",
    "DROP TRIGGER IF EXISTS reports_assessmentevent_no_delete;",
]


def _run(statements):
    def run(apps, schema_editor):
        for sql in statements[schema_editor.connection.vendor]:
            schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [("reports", "0005_period_count_labels")]

    operations = [
        # A round with a record is never deleted (the database refuses to delete its record).
        migrations.AlterField(
            model_name="assessmentevent",
            name="round",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="events",
                                    to="reports.assessmentround", verbose_name="round"),
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
