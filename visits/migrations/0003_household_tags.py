from django.db import migrations

# The priority tags every county starts with; administrators add more as data.
TAGS = [
    ("dibao", "低保", 1),
    ("elderly-alone", "独居老人", 2),
    ("disabled", "残疾", 3),
    ("party-member-difficulty", "困难党员", 4),
    ("poverty-watch", "脱贫监测", 5),
]


def add_tags(apps, schema_editor):
    HouseholdTag = apps.get_model("visits", "HouseholdTag")
    for code, name, priority in TAGS:
        HouseholdTag.objects.get_or_create(code=code, defaults={"name": name, "priority": priority})


class Migration(migrations.Migration):
    dependencies = [("visits", "0002_household_checks")]

    operations = [migrations.RunPython(add_tags, migrations.RunPython.noop)]
