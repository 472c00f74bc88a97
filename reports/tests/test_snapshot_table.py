"""A full refresh replaces a county's every snapshot row: its task reclaims the rows of the refresh
it dropped at once, so the dashboards do not read past a county's worth of dead rows until
autovacuum comes by."""

from django.db import connection

from reports.figures import services, tasks
from reports.models import Refresh, Snapshot
from teams.models import Town


def vacuumed_at():
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'reports_snapshot'")
        return cursor.fetchone()[0]


def test_the_refresh_that_drops_the_one_before_it_reclaims_its_rows(tworld):
    old = services.refresh_in_process(tworld.county)
    before = vacuumed_at()
    refresh = services.start_full_refresh(tworld.county)
    services.refresh_towns(refresh.pk, list(Town.objects.filter(county=tworld.county).values_list("pk", flat=True)))
    tasks.finish_refresh([], refresh.pk)
    assert not Refresh.objects.filter(pk=old.pk).exists()
    assert not Snapshot.objects.filter(refresh_id=old.pk).exists()
    after = vacuumed_at()
    assert after is not None and (before is None or after > before)
