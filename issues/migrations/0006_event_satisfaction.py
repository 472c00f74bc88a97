from django.db import migrations, models

# The timeline refuses updates (0003); the one move of ratings out of `internal_note` lifts
# that for its own statement and puts it back.
MOVE = (
    "UPDATE issues_event SET satisfaction = internal_note, internal_note = '' "
    "WHERE kind = 'rated' AND satisfaction = ''"
)
BACK = (
    "UPDATE issues_event SET internal_note = satisfaction, satisfaction = '' "
    "WHERE kind = 'rated' AND satisfaction <> ''"
)
SQLITE_NO_UPDATE = """
    CREATE TRIGGER issues_event_no_update BEFORE UPDATE ON issues_event
    BEGIN SELECT RAISE(ABORT, 'The timeline is append-only: events are never changed or deleted.'); END;
"""


def _move(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute("ALTER TABLE issues_event DISABLE TRIGGER issues_event_append_only")
            schema_editor.execute(statement)
            schema_editor.execute("ALTER TABLE issues_event ENABLE TRIGGER issues_event_append_only")
        else:
            schema_editor.execute("DROP TRIGGER IF EXISTS issues_event_no_update")
            schema_editor.execute(statement)
            schema_editor.execute(SQLITE_NO_UPDATE)

    return run


class Migration(migrations.Migration):
    """A rating is stored in a field of its own, no longer in the event's internal note."""

    dependencies = [("issues", "0005_level_labels")]

    operations = [
        migrations.AddField(
            model_name="event",
            name="satisfaction",
            field=models.CharField(
                blank=True,
                choices=[
                    ("satisfied", "Satisfied"),
                    ("basically_satisfied", "Basically satisfied"),
                    ("dissatisfied", "Dissatisfied"),
                ],
                default="",
                max_length=20,
                verbose_name="satisfaction",
            ),
        ),
        migrations.RunPython(_move(MOVE), _move(BACK)),
    ]
