"""The official calendar of 2025–2027 as published by the State Council (国务院办公厅关于
部分节假日安排的通知). Administrators add each new year's in the admin."""

from datetime import date, timedelta

from django.db import migrations


def _span(first, last):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


HOLIDAYS = [
    ("元旦", date(2025, 1, 1), date(2025, 1, 1), []),
    ("春节", date(2025, 1, 28), date(2025, 2, 4), [date(2025, 1, 26), date(2025, 2, 8)]),
    ("清明节", date(2025, 4, 4), date(2025, 4, 6), []),
    ("劳动节", date(2025, 5, 1), date(2025, 5, 5), [date(2025, 4, 27)]),
    ("端午节", date(2025, 5, 31), date(2025, 6, 2), []),
    ("国庆节、中秋节", date(2025, 10, 1), date(2025, 10, 8), [date(2025, 9, 28), date(2025, 10, 11)]),
    ("元旦", date(2026, 1, 1), date(2026, 1, 3), [date(2026, 1, 4)]),
    ("春节", date(2026, 2, 15), date(2026, 2, 23), [date(2026, 2, 14), date(2026, 2, 28)]),
    ("清明节", date(2026, 4, 4), date(2026, 4, 6), []),
    ("劳动节", date(2026, 5, 1), date(2026, 5, 5), [date(2026, 5, 9)]),
    ("端午节", date(2026, 6, 19), date(2026, 6, 21), []),
    ("中秋节", date(2026, 9, 25), date(2026, 9, 27), []),
    ("国庆节", date(2026, 10, 1), date(2026, 10, 7), [date(2026, 9, 20), date(2026, 10, 10)]),
    ("元旦", date(2027, 1, 1), date(2027, 1, 3), []),
]


def load(apps, schema_editor):
    Holiday = apps.get_model("teams", "Holiday")
    rows = []
    for name, first, last, workdays in HOLIDAYS:
        rows += [Holiday(date=d, kind="holiday", name=name) for d in _span(first, last)]
        rows += [Holiday(date=d, kind="workday", name=f"{name}调休上班") for d in workdays]
    Holiday.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("teams", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
