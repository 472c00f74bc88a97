from datetime import UTC, datetime, timedelta

from django.db import migrations, models
from django.db.models.functions import Coalesce

# The ledger's order as one key running one way (issues.models.LEDGER_KEY, then the id, both going
# down), so that a deep page after a cursor is an index range; 0008's index mixed directions and
# nulls, and a cursor's page read it from its start. PostgreSQL only and kept out of the models'
# state, as 0008's was (SQLite, the no-service demo, has no use for it). The expression is written
# out here, as it stood: a later change of LEDGER_KEY needs a migration like this one.
FAR = datetime(3000, 1, 1, tzinfo=UTC)
LEDGER_KEY = Coalesce(
    models.Case(
        models.When(status="open", then=models.Value(FAR) - models.F("due_at")),
        default=models.F("due_at") - models.Value(FAR),
    ),
    models.Value(timedelta(0)),
)
LEDGER_INDEX = models.Index(LEDGER_KEY.desc(), models.F("id").desc(), name="issue_ledger_key")
# The open issues alone, in the same order: the lists of open ones (the ledger's open, overdue and
# due-soon filters, the queues) read a few hundred rows in order instead of passing over every
# finished issue of the county to find them.
OPEN_INDEX = models.Index(
    LEDGER_KEY.desc(), models.F("id").desc(), condition=models.Q(status="open"), name="issue_ledger_open"
)
OLD_INDEX = models.Index(
    models.Case(models.When(status="open", then=models.Value(0)), default=models.Value(1)).asc(),
    models.Case(models.When(status="open", then=models.F("due_at"))).asc(nulls_last=True),
    models.F("due_at").desc(nulls_last=True),
    models.F("id").desc(),
    name="issue_ledger_order",
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        issue = apps.get_model("issues", "Issue")
        schema_editor.remove_index(issue, OLD_INDEX)
        schema_editor.add_index(issue, LEDGER_INDEX)
        schema_editor.add_index(issue, OPEN_INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        issue = apps.get_model("issues", "Issue")
        schema_editor.remove_index(issue, OPEN_INDEX)
        schema_editor.remove_index(issue, LEDGER_INDEX)
        schema_editor.add_index(issue, OLD_INDEX)


class Migration(migrations.Migration):
    dependencies = [("issues", "0010_event_reopened")]

    operations = [migrations.RunPython(create_index, drop_index)]
