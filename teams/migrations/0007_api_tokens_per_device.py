"""API tokens move from DRF's table (one per user, its key in clear) to django-rest-knox's (one
per device, only a digest kept): each token still working is carried over under the same key,
so scripts keep working, and DRF's rows are deleted, their keys with them."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import migrations


def carry_over(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return  # a database made after the move
    lifetime = getattr(settings, "API_TOKEN_LIFETIME", timedelta(hours=24))
    AuthToken = apps.get_model("knox", "AuthToken")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id, created FROM authtoken_token")
        rows = cursor.fetchall()
    for key, user_id, created in rows:
        digest = hashlib.sha512(key.encode()).hexdigest()  # knox.crypto.hash_token
        AuthToken.objects.bulk_create([
            AuthToken(digest=digest, token_key=key[:15], user_id=user_id, expiry=created + lifetime)
        ])
        AuthToken.objects.filter(digest=digest).update(created=created)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM authtoken_token")


class Migration(migrations.Migration):
    dependencies = [
        ("teams", "0006_attendance_checked_in_at"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [migrations.RunPython(carry_over, migrations.RunPython.noop)]
