from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("teams", "0005_attendance_audit"),
    ]

    operations = [
        migrations.AddField(
            model_name="attendance",
            name="checked_in_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="checked in at"),
        ),
    ]
