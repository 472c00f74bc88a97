from django.db import migrations, models

# The ledger's order (issues.models.LEDGER_ORDER) served by an index, on PostgreSQL only: SQLite,
# the no-service demo, cannot index NULLS LAST. The index is kept out of the models' state (and
# Meta.indexes), so that the state is the same on both databases and SQLite's table rebuilds
# never try to create it; to change it, write another migration like this one.
LEDGER_INDEX = models.Index(
    models.Case(models.When(status="open", then=models.Value(0)), default=models.Value(1)).asc(),
    models.Case(models.When(status="open", then=models.F("due_at"))).asc(nulls_last=True),
    models.F("due_at").desc(nulls_last=True),
    models.F("id").desc(),
    name="issue_ledger_order",
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("issues", "Issue"), LEDGER_INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("issues", "Issue"), LEDGER_INDEX)


class Migration(migrations.Migration):
    dependencies = [("issues", "0007_changes_need_an_event")]

    operations = [migrations.RunPython(create_index, drop_index)]
