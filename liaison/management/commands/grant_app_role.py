"""Grant a PostgreSQL role what the running application needs, and no more.

Run it as the tables' owner after every `migrate`: the application then connects as ROLE, which
does not own the tables, so it cannot truncate them, drop the audit triggers or rewrite history.
The three audit trails (the ledger's timeline, the attendance sheet's change log and the record
of assessment rounds published and withdrawn) take inserts only."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

APPEND_ONLY = ("issues_event", "teams_attendancechange", "reports_assessmentevent")


class Command(BaseCommand):
    help = "Grant a non-owner database role the application's privileges (PostgreSQL; run as the owner)."

    def add_arguments(self, parser):
        parser.add_argument("role", help="the role the application connects as")

    def handle(self, *args, role, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Roles and privileges are PostgreSQL's: there is nothing to grant on SQLite.")
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                raise CommandError(f"There is no role {role!r}: create it first (CREATE ROLE … LOGIN PASSWORD …).")
        role = connection.ops.quote_name(role)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
            cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
            cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
            for table in APPEND_ONLY:
                cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {role}")
        self.stdout.write(f"Granted {role} the application's privileges; {', '.join(APPEND_ONLY)} take inserts only.")
