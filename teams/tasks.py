from celery import shared_task

from teams import services


@shared_task
def generate_liaison_days(weeks=None):
    days, rows = services.generate_liaison_days(weeks=weeks)
    return {"liaison_days": days, "attendance_rows": rows}
